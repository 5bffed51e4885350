"""Mining a real corpus from local clones: how fast, and where the time goes.

Every clone in a folder (laid out as `owner+name/repo` or `owner/name`, as `uptake mine
--clones` reads them; default: the snapshot mirror /work/.mirror) is mined into a fresh
warehouse, one repository after another, as the `github-imports` flow's tasks do:

- git, planning: `rev-list` of the first-parent history and the `diff-tree` walk between
  month-end trees (`plan_repository`), timed alone in a pass of its own;
- git, reading blobs: the floor, one `git cat-file --batch` of each repository's unique
  blobs doing nothing else with them (the baseline, measured in the same run);
- parsing: the rest of `mine_repository` (blobs read and their imports extracted in
  worker processes), that is its time less planning and the floor;
- writing: `write_mined`, each repository in its own journaled transaction.

Printed: repositories per minute and blobs per second end to end, and the share of each
part. The worker processes are started before the clock.

    .venv/bin/python bench/bench_corpus_mining.py [--clones DIR] [--limit N] [--workers N]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

from uptake.mining.corpus import find_clones
from uptake.mining.history_miner import plan_repository, worker_pool
from uptake.mining.mined_writer import write_mined
from uptake.mining.repositories import RepositoryRef
from uptake.mining.repository_miner import mine_repository
from uptake.warehouse import Warehouse

UNTIL = date(2026, 12, 1)


def cat_file_floor(git_dir: Path, shas: list[str]) -> float:
    """Seconds git alone takes to write out these blobs."""
    started = time.perf_counter()
    subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha in shas).encode(),
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clones", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--limit", type=int, default=None, help="Mine only the first N clones.")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    clones = sorted(find_clones(args.clones).items())[: args.limit]
    pool = worker_pool(args.workers)
    planning = floor = mining = writing = 0.0
    blobs = months = 0
    with tempfile.TemporaryDirectory() as scratch, Warehouse.open(Path(scratch) / "w.duckdb") as w:
        started = time.perf_counter()
        for name, git_dir in clones:
            ref = RepositoryRef(name, str(git_dir))
            t0 = time.perf_counter()
            mined = mine_repository(ref, UNTIL, {}, {}, scratch, pool)
            t1 = time.perf_counter()
            write_mined(w, mined, UNTIL)
            t2 = time.perf_counter()
            mining += t1 - t0
            writing += t2 - t1
            blobs += mined.blobs.num_rows
            months += mined.months.num_rows
        total = time.perf_counter() - started
        for name, git_dir in clones:  # the git-only passes, after the timed run
            t0 = time.perf_counter()
            try:
                plan = plan_repository(name, str(git_dir), UNTIL, {})
            except Exception:  # noqa: BLE001 (an unreadable clone costs nothing here)
                continue
            planning += time.perf_counter() - t0
            floor += cat_file_floor(git_dir, list(plan.blobs()))
        outcomes = dict(
            w.con.execute(
                "select outcome, count(*) from raw.repo_mining_outcomes group by 1"
            ).fetchall()
        )

    parsing = max(0.0, mining - planning - floor)
    print(f"clones: {len(clones):,} in {args.clones}; outcomes {outcomes}")
    print(f"{'what':<38}{'seconds':>10}{'share':>9}")
    for label, seconds in (
        ("git: planning (rev-list, diff-tree)", planning),
        ("git: reading blobs (cat-file floor)", floor),
        ("parsing (extracting imports)", parsing),
        ("writing (one transaction a repo)", writing),
    ):
        print(f"{label:<38}{seconds:>10.1f}{seconds / total:>9.0%}")
    print(f"{'end to end':<38}{total:>10.1f}")
    print(
        f"{len(clones) / total * 60:,.0f} repositories/minute, {blobs / total:,.0f} blobs/second "
        f"({blobs:,} blobs, {months:,} months)"
    )


if __name__ == "__main__":
    main()
