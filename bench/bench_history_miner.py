"""Mining a repository's monthly history: uptake's miner against a naive baseline and a floor.

A generated repository (default 2,400 commits over 5 years, ~250 Python files that grow
and change) is mined three ways in the same run:

- naive baseline: check out every month-end commit and parse every .py file with
  `ast.parse` and a walk (what a first script would do);
- floor: stream the same unique blobs through one `git cat-file --batch`, doing nothing
  else with them;
- uptake: `mine_repositories` into a fresh warehouse (plumbing, blob cache, extractor),
  after a first call that starts the worker processes (reported apart).

Floor and uptake run in turn --repeats times; the medians are compared. Twice: on the
repository as `git fast-import` wrote it, and on a copy repacked by `git repack -adf`,
packed as a clone is. The floor depends on the packing: fast-import chains each blob as
a delta of the blob written before it, whatever its path, which git then reads back
slowly; a clone's pack (deltas between versions of a file) reads about twice as fast.
With --repository, the same comparison on a real clone too (every month to this one).

Then how uptake's time grows with months mined and with repositories.

    .venv/bin/python bench/bench_history_miner.py [--commits N] [--workers N] [--repeats N]
        [--repository PATH]
"""

from __future__ import annotations

import argparse
import ast
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from uptake.mining.git_plumbing import GitRepository, month_end_commits, month_start
from uptake.mining.history_miner import mine_repositories, plan_repository
from uptake.warehouse import Warehouse

MODULES = [
    "os",
    "sys",
    "re",
    "json",
    "numpy",
    "pandas",
    "torch",
    "torch.nn",
    "tensorflow",
    "jax",
    "requests",
    "flask",
    "collections",
    "typing",
    "pathlib",
    "itertools",
    "sklearn.metrics",
]
START = datetime(2019, 1, 1)


def python_file(rng: random.Random, version: int) -> bytes:
    imports = "\n".join(f"import {m}" for m in rng.sample(MODULES, rng.randint(2, 6)))
    body = "\n\n".join(
        f"def function_{version}_{i}(x, y={i}):\n    '''Docstring {i}.'''\n    total = x + y\n"
        f"    for item in range({i}):\n        total += item * {rng.randint(1, 99)}\n    return total"
        for i in range(rng.randint(10, 40))
    )
    return f"{imports}\n\n\n{body}\n".encode()


def generate_repository(path: Path, commits: int, seed: int) -> None:
    """A linear history through `git fast-import`: quick to build, real to read."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    files: list[str] = []
    stream = []
    span = (datetime(2024, 1, 1) - START).total_seconds()
    for number in range(commits):
        when = int((START + timedelta(seconds=span * number / commits)).timestamp())
        stream.append(f"commit refs/heads/main\ncommitter Bench <b@example.org> {when} +0000\n")
        message = f"change {number}"
        stream.append(f"data {len(message)}\n{message}\n")
        # fast-import chains commits on the same branch by itself: no `from` needed.
        if len(files) < 250 and rng.random() < 0.4 or not files:
            files.append(f"pkg{len(files) % 12}/module_{len(files)}.py")
            changed = [files[-1]]
        else:
            changed = rng.sample(files, min(len(files), rng.randint(1, 3)))
        for name in changed:
            content = python_file(rng, number)
            stream.append(f"M 100644 inline {name}\ndata {len(content)}\n")
            stream.append(content.decode() + "\n")
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"],
        input="".join(stream).encode(),
        check=True,
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)


def naive_baseline(path: Path, until: date) -> tuple[float, int]:
    started = time.perf_counter()
    months = month_end_commits(GitRepository(path).first_parent_history(), until)
    parsed = 0
    for commit in months.values():
        subprocess.run(["git", "-C", str(path), "checkout", "-q", "-f", commit.sha], check=True)
        for file in path.rglob("*.py"):
            tree = ast.parse(file.read_bytes())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    pass
            parsed += 1
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "-f", "main"], check=True)
    return time.perf_counter() - started, parsed


def cat_file_floor(path: Path, until: date) -> tuple[float, int]:
    repo = GitRepository(path)
    months = month_end_commits(repo.first_parent_history(), until)
    shas = sorted(
        {f.blob_sha for c in {c.sha for c in months.values()} for f in repo.python_files(c)}
    )
    started = time.perf_counter()
    total = sum(len(content or b"") for _, _, content in repo.read_blobs(shas))
    return time.perf_counter() - started, total


def plan_only(path: Path, until: date) -> float:
    """uptake's first step alone: which blobs each month-end holds (rev-list, diff-tree)."""
    started = time.perf_counter()
    plan_repository("bench", str(path), until, {})
    return time.perf_counter() - started


def uptake_mine(
    repositories: list[tuple[str, Path]], until: date, workers: int
) -> tuple[float, dict]:
    with (
        tempfile.TemporaryDirectory() as scratch,
        Warehouse.open(Path(scratch) / "w.duckdb") as warehouse,
    ):
        started = time.perf_counter()
        summary = mine_repositories(warehouse, repositories, until=until, workers=workers)
        return time.perf_counter() - started, summary


def floor_against_uptake(
    path: Path, until: date, workers: int, repeats: int
) -> tuple[float, float, list[float], dict, int]:
    """Floor and uptake on `path` in turn, `repeats` times: (floor median, uptake median,
    ratio of each round, uptake's last summary, bytes the floor read)."""
    floors, mines = [], []
    for _ in range(repeats):  # in turn, so the machine's load weighs on both alike
        floor_s, floor_bytes = cat_file_floor(path, until)
        mine_s, summary = uptake_mine([("bench", path)], until, workers)
        floors.append(floor_s)
        mines.append(mine_s)
    ratios = [m / f for m, f in zip(mines, floors, strict=True)]
    return statistics.median(floors), statistics.median(mines), ratios, summary, floor_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=2400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--repository", type=Path, help="a real clone to compare on too")
    args = parser.parse_args()
    until = date(2024, 1, 1)
    with tempfile.TemporaryDirectory() as scratch:
        repos = []
        for seed in range(4):
            path = Path(scratch) / f"repo{seed}"
            generate_repository(path, args.commits, seed)
            repos.append((f"bench/repo{seed}", path))
        first = repos[0][1]
        repacked = Path(scratch) / "repo0-repacked"
        shutil.copytree(first, repacked)
        subprocess.run(["git", "-C", str(repacked), "repack", "-adfq"], check=True)
        months = len(month_end_commits(GitRepository(first).first_parent_history(), until))
        naive_s, naive_files = naive_baseline(first, until)
        # The first call in a process also starts the worker processes, kept for later calls.
        first_call_s, _ = uptake_mine(repos[1:2], until, args.workers)
        floor_s, mine_s, ratios, summary, floor_bytes = floor_against_uptake(
            first, until, args.workers, args.repeats
        )
        plan_s = plan_only(first, until)
        print(
            f"repository: {args.commits} commits, {months} month-ends, "
            f"{summary['blobs_parsed']} unique blobs ({floor_bytes / 1e6:.1f} MB)"
        )
        print(f"{'what':<44} {'seconds':>8} {'vs uptake':>10}")
        print(
            f"{'naive: checkout + ast every file, monthly':<44} {naive_s:>8.2f} {naive_s / mine_s:>9.1f}x"
        )
        print(
            f"{'floor: cat-file the unique blobs only':<44} {floor_s:>8.2f} {floor_s / mine_s:>9.2f}x"
        )
        print(f"{'uptake mine (' + str(args.workers) + ' workers)':<44} {mine_s:>8.2f} {1:>9.1f}x")
        print(
            f"{'  first call, starting its workers':<44} {first_call_s:>8.2f} "
            f"{first_call_s / mine_s:>9.2f}x"
        )
        print(
            f"{'  its planning alone (rev-list, diff-tree walk)':<44} {plan_s:>8.2f} {plan_s / mine_s:>9.2f}x"
        )
        print(f"  ({naive_files} files parsed by the naive baseline)")
        print(f"\nuptake against the floor (medians of {args.repeats}, rounds in turn):")
        compared = [("as fast-import wrote it", first, until, floor_s, mine_s, ratios)]
        compared.append(("repacked, as a clone is", repacked, until))
        if args.repository is not None:
            label = f"{args.repository.parent.name}/{args.repository.name}"
            compared.append((label, args.repository, month_start(date.today())))
        for label, path, cutoff, *measured in compared:
            if not measured:
                measured = floor_against_uptake(path, cutoff, args.workers, args.repeats)[:3]
            floor_s, mine_s, ratios = measured
            print(
                f"  {label:<28} floor {floor_s:5.2f} s  uptake {mine_s:5.2f} s  "
                f"{mine_s / floor_s:4.1f}x (rounds: {', '.join(f'{r:.1f}' for r in ratios)})"
            )
        print("\ngrowth with months mined (1 repository):")
        for window in (12, 24, months):
            start_month = date(until.year - (window + 11) // 12, 1, 1) if window < months else None
            cutoff = until if start_month is None else _add_months(date(2019, 1, 1), window)
            seconds, result = uptake_mine(repos[:1], cutoff, args.workers)
            print(f"  {result['months']:>3} months: {seconds:6.2f} s")
        print("growth with repositories (all months):")
        for count in (1, 2, 4):
            seconds, result = uptake_mine(repos[:count], until, args.workers)
            print(f"  {count} repositories, {result['months']} months: {seconds:6.2f} s")


def _add_months(month: date, n: int) -> date:
    total = month.year * 12 + month.month - 1 + n
    return date(total // 12, total % 12 + 1, 1)


if __name__ == "__main__":
    main()
