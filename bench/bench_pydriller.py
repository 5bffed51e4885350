"""uptake against PyDriller: the modules real repositories import at every month end.

The job, done both ways on the same repositories in the same run: for each month from a
repository's first commit up to (not including) --until, the set of top-level modules
imported by the files of the tree at the last first-parent commit of that month.

- uptake in memory, the like-for-like call (PyDriller keeps nothing either):
  `uptake.Repository(path, until=...).month_ends()`, each month's `imports`; the median
  of --repeats runs. The two sides' module sets must agree with the warehouse's.
- uptake into a warehouse, what `uptake mine` does: `mine_repositories` into a fresh
  warehouse, then one query for each month's modules; the median of --repeats runs (the
  warehouse's creation is not timed). The first call in a process starts the worker
  processes: one call on the smallest repository comes first and is not counted, and
  the in-memory reader's helper processes are started then too.
- PyDriller 2.x, as a researcher would write it: `Repository(path,
  only_in_branch=<default branch>)` walks the branch's commits oldest first; a dict
  .py path -> top-level modules follows each commit's `modified_files` (ADD, MODIFY and
  COPY parse `source_code` with `ast`, a file that does not parse counts for nothing;
  DELETE drops the path; RENAME moves it), and the union of its values is recorded at
  every month boundary. PyDriller has no first-parent walk and gives a merge commit no
  modified files, so to follow the first-parent history as far as it allows, the
  changes of a merged side branch's commits are held back until the merge that brings
  them into the branch (from `git rev-list --parents`), and months are cut by the
  committer dates (UTC) of first-parent commits, as uptake cuts them. One run, or, when
  it takes under --slow seconds, the median of --repeats more (the "runs" column).

Every side runs once on each repository before the runs it counts (PyDriller's is the
one run when that run is slow), as timing tools warm up: the clone's packs opened and
mapped, git's and the worker processes' first look at it. On a 2-core VM a few
milliseconds vary by a third from run to run: --repeats (default 5) evens that out.

Where the two can differ, besides speed (the "agree" columns are the share of months
whose two sets are equal):

- uptake also reads .ipynb notebooks, and reads files `ast` cannot parse (Python 2, say)
  with a line-based fallback, where PyDriller's side skips them; it also counts
  `importlib.import_module("x")` and `__import__("x")` calls. "agree .py" compares
  PyDriller with uptake's .py blobs that uptake read with `ast` only (which paths hold
  which blob is read from each month-end tree with `git ls-tree`, outside the timing).
- a merge: PyDriller replays the side branch's own changes, not the merge's result. A
  file changed on both sides, or a conflict resolved in the merge, ends up as the side
  branch left it, where uptake reads the merged tree.
- a commit dated before its parent (clock skew) can shift a change by a month.

Repositories: the `ok` rows of --corpus (tab-separated owner/name, status, git dir).
Those with at least 10 .py files at HEAD and at most 3,000 first-parent commits are
sorted by first-parent commits (then name), and the 20 at evenly spaced quantiles from
the 10th to the 90th percentile are taken: a spread around the median repository.
--repository (repeatable) names the git directories to use instead. Each is read
through a `git clone --bare --shared` in a scratch directory (no object is copied),
because PyDriller writes to the configuration of the repository it opens; the large
files a mirror lacks are read as empty files there (`scratch_clone`), which spares
PyDriller the reading of them. Nothing from a repository is ever run.

    .venv/bin/pip install 'pydriller>=2.12'      # the "bench" extra
    .venv/bin/python bench/bench_pydriller.py [--repeats N] [--workers N] [--until YYYY-MM]
        [--slow SECONDS] [--corpus DIR] [--repository PATH ...] [--differences]
"""

from __future__ import annotations

import argparse
import ast
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path

from pydriller import ModificationType as Change
from pydriller import Repository

from uptake.mining.history_miner import mine_repositories
from uptake.mining.month_ends import Repository as MonthEndReader
from uptake.warehouse import Warehouse

CORPUS = Path("/work/corpus/results")
SAMPLE_SIZE = 20
MIN_PY_FILES = 10
MAX_COMMITS = 3_000  # PyDriller takes minutes on the longest histories

MODULES_BY_MONTH = """
    select s.month, list_sort(list_distinct(flatten(list(b.import_roots))))
    from raw.repo_snapshot_blobs s join raw.blob_imports b using (blob_sha)
    where s.repo = ? group by s.month order by s.month"""

ModulesByMonth = dict[date, frozenset[str]]


@dataclass(frozen=True)
class Candidate:
    name: str
    git_dir: Path
    commits: int  # first-parent commits of HEAD
    py_files: int  # at HEAD


def _git(git_dir: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args],
        input=stdin,
        capture_output=True,
        check=True,
        text=True,
    ).stdout


def describe(name: str, git_dir: Path) -> Candidate:
    commits = int(_git(git_dir, "rev-list", "--first-parent", "--count", "HEAD"))
    paths = _git(git_dir, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
    return Candidate(name, git_dir, commits, sum(path.endswith(".py") for path in paths))


def corpus_repositories(results: Path) -> list[tuple[str, Path]]:
    """(owner/name, git dir) of each fetched repository the corpus results list."""
    found = []
    for table in sorted(results.glob("*.tsv")):
        for line in table.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and fields[1] == "ok":
                found.append((fields[0], Path(fields[2])))
    return found


def spread_around_median(candidates: list[Candidate], count: int) -> list[Candidate]:
    """`count` repositories at evenly spaced quantiles from the 10th to the 90th
    percentile of first-parent commits, among those worth comparing."""
    eligible = sorted(
        (c for c in candidates if c.py_files >= MIN_PY_FILES and c.commits <= MAX_COMMITS),
        key=lambda c: (c.commits, c.name),
    )
    last = len(eligible) - 1
    positions = sorted({round((0.1 + 0.8 * i / (count - 1)) * last) for i in range(count)})
    return [eligible[position] for position in positions]


def name_of(git_dir: Path) -> str:
    """owner/name for a mirror's /work/.mirror/owner+name/repo[/.git], else the folder."""
    folder = git_dir.parent if git_dir.name == ".git" else git_dir
    folder = folder.parent if folder.name == "repo" else folder
    return folder.name.replace("+", "/", 1)


def scratch_clone(git_dir: Path, scratch: Path) -> Path:
    """A bare clone borrowing `git_dir`'s objects, which both sides read (the same
    packs): PyDriller, through GitPython, writes a setting into the configuration of
    the repository it opens, and the mirrors stay untouched.

    A mirror may lack its largest files (data, checkpoints), which uptake never reads
    but PyDriller's patches do: git stops on the first one. In the clone each missing
    object is replaced (refs/replace) by the empty blob, so PyDriller reads it as an
    empty file, as uptake reads a missing .py blob as a file with no imports."""
    clone = scratch / f"{name_of(git_dir).replace('/', '+')}.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", "--shared", str(git_dir), str(clone)], check=True
    )
    listed = _git(clone, "rev-list", "--objects", "--missing=print", "HEAD").splitlines()
    missing = [line[1:] for line in listed if line.startswith("?")]
    if missing:
        empty_blob = _git(clone, "hash-object", "-w", "--stdin", stdin="").strip()
        replacements = "".join(f"create refs/replace/{sha} {empty_blob}\n" for sha in missing)
        _git(clone, "update-ref", "--stdin", stdin=replacements)
    return clone


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


# ---------------------------------------------------------------- uptake


@dataclass(frozen=True)
class UptakeRun:
    seconds: float
    modules: ModulesByMonth  # every month uptake mined
    python_modules: ModulesByMonth | None  # from .py blobs read by `ast` only, when asked


def uptake_months(
    name: str, git_dir: Path, until: date, workers: int, python_view: bool = False
) -> UptakeRun:
    with (
        tempfile.TemporaryDirectory() as scratch,
        Warehouse.open(Path(scratch) / "w.duckdb") as warehouse,
    ):
        started = time.perf_counter()
        summary = mine_repositories(warehouse, [(name, git_dir)], until=until, workers=workers)
        rows = warehouse.con.execute(MODULES_BY_MONTH, [name]).fetchall()
        seconds = time.perf_counter() - started
        if summary["rejects"]:
            raise RuntimeError(f"uptake rejected {name}: {summary['rejects'][0][1]}")
        month_ends = warehouse.con.execute(
            "select month, commit_sha from raw.repo_snapshots where repo = ?", [name]
        ).fetchall()
        # A month whose tree holds no mined file has no blob to join: it imports nothing.
        modules = {month: frozenset() for month, _ in month_ends}
        modules.update((month, frozenset(roots)) for month, roots in rows)
        python_modules = _python_view(warehouse, name, git_dir, month_ends) if python_view else None
    return UptakeRun(seconds, modules, python_modules)


def in_memory_months(git_dir: Path, until: date, workers: int) -> tuple[float, ModulesByMonth]:
    started = time.perf_counter()
    months = {
        snapshot.month: snapshot.imports
        for snapshot in MonthEndReader(git_dir, until=until, workers=workers).month_ends()
    }
    return time.perf_counter() - started, months


def _python_view(
    warehouse: Warehouse, name: str, git_dir: Path, month_ends: list[tuple[date, str]]
) -> ModulesByMonth:
    """Each month's modules from the blobs at .py paths that uptake read with `ast`: the
    warehouse keeps no paths, so each month-end tree is listed again."""
    blobs = warehouse.con.execute(
        """select s.month, s.blob_sha, b.import_roots, b.method
        from raw.repo_snapshot_blobs s join raw.blob_imports b using (blob_sha)
        where s.repo = ?""",
        [name],
    ).fetchall()
    python_blobs = {month: _python_blobs(git_dir, commit) for month, commit in month_ends}
    modules: dict[date, set[str]] = {month: set() for month, _ in month_ends}
    for month, blob_sha, roots, method in blobs:
        if method == "ast" and blob_sha in python_blobs[month]:
            modules[month].update(roots)
    return {month: frozenset(roots) for month, roots in modules.items()}


def _python_blobs(git_dir: Path, commit: str) -> set[str]:
    """The blobs of regular .py files (not symlinks) in a commit's tree."""
    found = set()
    for entry in _git(git_dir, "ls-tree", "-r", "-z", commit).split("\0"):
        meta, _, path = entry.partition("\t")
        if path.endswith(".py") and meta.startswith("100"):
            found.add(meta.split()[2])
    return found


# ---------------------------------------------------------------- PyDriller


@dataclass(frozen=True)
class FileChange:
    path: str  # a .py path
    modules: frozenset[str] | None  # None: the path leaves the tree, or does not parse
    same_as: str | None = None  # a pure rename or copy: it imports what this path did


def top_level_imports(source: str) -> frozenset[str] | None:
    """The top-level modules a file imports; None when `ast` cannot parse it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):  # ValueError: null bytes
        return None
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.partition(".")[0])
    return frozenset(modules)


# Changes whose new path holds a file, and those whose old path is gone.
WRITES = {Change.ADD, Change.MODIFY, Change.COPY, Change.RENAME}
REMOVES = {Change.DELETE, Change.RENAME}


def python_changes(commit) -> list[FileChange]:
    """A PyDriller commit's changes to .py files (none for a merge: PyDriller's rule)."""
    changes = []
    for file in commit.modified_files:
        kind = file.change_type
        if kind in WRITES and file.new_path.endswith(".py"):
            if file.source_code is not None:
                changes.append(FileChange(file.new_path, top_level_imports(file.source_code)))
            elif kind in (Change.RENAME, Change.COPY):
                # A pure rename or copy has no patch, and PyDriller then no source code.
                changes.append(FileChange(file.new_path, None, same_as=file.old_path))
            else:  # an empty file
                changes.append(FileChange(file.new_path, frozenset()))
        if kind in REMOVES and file.old_path.endswith(".py"):
            changes.append(FileChange(file.old_path, None))  # after a rename has read it
    return changes


def default_branch(git_dir: Path) -> str:
    """HEAD's branch, which uptake mines; HEAD itself when it is detached."""
    try:
        return _git(git_dir, "symbolic-ref", "--short", "HEAD").strip()
    except subprocess.CalledProcessError:
        return "HEAD"


def first_parent_owners(git_dir: Path, branch: str) -> dict[str, str]:
    """Each commit of `branch` -> the first-parent commit that brings it into the branch:
    itself for a first-parent commit, the merge for a commit of a merged side branch."""
    parents = {}
    for line in _git(git_dir, "rev-list", "--parents", branch).splitlines():
        sha, *rest = line.split()
        parents[sha] = rest
    chain = []
    sha = _git(git_dir, "rev-parse", branch).strip()
    while sha:
        chain.append(sha)
        sha = parents[sha][0] if parents.get(sha) else ""
    owners: dict[str, str] = {}
    for first_parent in reversed(chain):  # oldest first: each merge claims what is new
        unclaimed = [first_parent]
        while unclaimed:
            sha = unclaimed.pop()
            if sha not in owners:
                owners[sha] = first_parent
                unclaimed.extend(parents.get(sha, ()))
    return owners


def pydriller_months(git_dir: Path, until: date) -> ModulesByMonth:
    branch = default_branch(git_dir)
    owners = first_parent_owners(git_dir, branch)
    imports: dict[str, frozenset[str]] = {}  # .py path -> modules, in the branch as it stands
    held_back: dict[str, list[list[FileChange]]] = defaultdict(list)  # merge -> side changes
    landed: set[str] = set()
    months: ModulesByMonth = {}
    month: date | None = None

    def apply(changes: list[FileChange]) -> None:
        for change in changes:
            modules = imports.get(change.same_as) if change.same_as else change.modules
            if modules is None:
                imports.pop(change.path, None)
            else:
                imports[change.path] = modules

    def close_months_before(stop: date) -> None:
        nonlocal month
        while month < stop:
            months[month] = frozenset().union(*imports.values())
            month = next_month(month)

    for commit in Repository(str(git_dir), only_in_branch=branch).traverse_commits():
        changes = python_changes(commit)
        owner = owners[commit.hash]
        if owner != commit.hash:
            if owner in landed:  # walked after its merge (clock skew): as late as can be
                apply(changes)
            else:
                held_back[owner].append(changes)
            continue
        committed = commit.committer_date.astimezone(UTC).date().replace(day=1)
        if month is None:
            month = committed
        close_months_before(committed)
        for side_changes in held_back.pop(commit.hash, []):
            apply(side_changes)
        apply(changes)
        landed.add(commit.hash)
    if month is not None:
        close_months_before(until)
    return months


def pydriller_run(git_dir: Path, until: date) -> tuple[float, ModulesByMonth]:
    started = time.perf_counter()
    months = pydriller_months(git_dir, until)
    return time.perf_counter() - started, months


# ---------------------------------------------------------------- comparison


def agreement(uptake: ModulesByMonth, pydriller: ModulesByMonth) -> float:
    """Share of months whose two module sets are equal; a month one side lacks differs."""
    months = uptake.keys() | pydriller.keys()
    if not months:
        return 1.0
    return sum(uptake.get(m) == pydriller.get(m) for m in months) / len(months)


def first_difference(uptake: ModulesByMonth, pydriller: ModulesByMonth) -> str:
    """How many months differ, and how the first of them does."""
    differing = sorted(
        m for m in uptake.keys() | pydriller.keys() if uptake.get(m) != pydriller.get(m)
    )
    if not differing:
        return "none"
    first = differing[0]
    ours, theirs = uptake.get(first), pydriller.get(first)
    if ours is None or theirs is None:
        return f"{len(differing)} months, first {first:%Y-%m} mined by one side only"
    return (
        f"{len(differing)} months, first {first:%Y-%m}: uptake only {sorted(ours - theirs)[:6]}, "
        f"PyDriller only {sorted(theirs - ours)[:6]}"
    )


@dataclass(frozen=True)
class Row:
    name: str
    commits: int
    months: int
    memory_s: float
    uptake_s: float
    pydriller_s: float
    pydriller_runs: int
    agree: float
    agree_python: float
    difference: str
    python_difference: str

    @property
    def ratio(self) -> float:
        """PyDriller against uptake in memory: the same job, nothing kept."""
        return self.pydriller_s / self.memory_s

    @property
    def warehouse_ratio(self) -> float:
        return self.pydriller_s / self.uptake_s


def compare(
    candidate: Candidate, clone: Path, until: date, workers: int, repeats: int, slow: float
) -> Row:
    # Each side runs once uncounted (a warm-up: the clone opened, its packs mapped, the
    # worker processes' first look at it), then `repeats` times for a median.
    runs = [
        uptake_months(candidate.name, clone, until, workers, python_view=i == 1)
        for i in range(repeats + 1)
    ][1:]
    in_memory = [in_memory_months(clone, until, workers) for _ in range(repeats + 1)][1:]
    if in_memory[0][1] != runs[0].modules:
        raise RuntimeError(f"{candidate.name}: month_ends() and the warehouse disagree")
    pydriller_seconds, months = pydriller_run(clone, until)
    timings = [pydriller_seconds]
    if pydriller_seconds < slow:  # quick enough for a warm-up and a median too
        timings = [pydriller_run(clone, until)[0] for _ in range(repeats)]
    uptake_modules, uptake_python = runs[0].modules, runs[0].python_modules
    return Row(
        name=candidate.name,
        commits=candidate.commits,
        months=len(uptake_modules),
        memory_s=statistics.median(seconds for seconds, _ in in_memory),
        uptake_s=statistics.median(run.seconds for run in runs),
        pydriller_s=statistics.median(timings),
        pydriller_runs=len(timings),
        agree=agreement(uptake_modules, months),
        agree_python=agreement(uptake_python, months),
        difference=first_difference(uptake_modules, months),
        python_difference=first_difference(uptake_python, months),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--until", default="2026-12", help="first month not mined (YYYY-MM)")
    parser.add_argument(
        "--slow", type=float, default=10.0, help="one PyDriller run when it takes longer"
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument(
        "--repository", type=Path, action="append", help="a git directory (repeatable)"
    )
    parser.add_argument(
        "--differences", action="store_true", help="say where each repository differs"
    )
    args = parser.parse_args()
    until = date(*map(int, args.until.split("-")), 1)
    if args.repository:
        # A work tree's path stands for its .git directory.
        git_dirs = [p / ".git" if (p / ".git").is_dir() else p for p in args.repository]
        chosen = [describe(name_of(path), path) for path in git_dirs]
    else:
        candidates = [describe(name, path) for name, path in corpus_repositories(args.corpus)]
        chosen = spread_around_median(candidates, SAMPLE_SIZE)
    with tempfile.TemporaryDirectory() as scratch:
        clones = {c.name: scratch_clone(c.git_dir, Path(scratch)) for c in chosen}
        smallest = min(chosen, key=lambda c: c.commits)
        # The first call in a process also starts uptake's worker processes (and here its
        # reading helpers, which a first call would start in the background): not counted.
        uptake_months(smallest.name, clones[smallest.name], until, args.workers)
        MonthEndReader.start_helpers(args.workers)
        rows = []
        for candidate in sorted(chosen, key=lambda c: (c.commits, c.name)):
            rows.append(
                compare(
                    candidate, clones[candidate.name], until, args.workers, args.repeats, args.slow
                )
            )
            print_row(rows[-1], header=len(rows) == 1)
    print()
    for label, ratios in (
        ("uptake in memory", [row.ratio for row in rows]),
        ("uptake into a warehouse", [row.warehouse_ratio for row in rows]),
    ):
        print(
            f"{len(rows)} repositories, PyDriller / {label}: median "
            f"{statistics.median(ratios):.1f}x, min {min(ratios):.1f}x, max {max(ratios):.1f}x"
        )
    print(
        f"ratio: PyDriller s / memory s; (whs): PyDriller s / warehouse s. agree: months with "
        f"equal module sets; agree .py: uptake's .py blobs read by ast only. "
        f"uptake: median of {args.repeats} runs after a warm-up, {args.workers} workers; "
        f"PyDriller: median of 'runs' runs after a warm-up (one when it takes over "
        f"{args.slow:g} s)."
    )
    if args.differences:
        print("\nwhere they differ (uptake as mined | .py blobs read by ast):")
        for row in rows:
            if row.agree < 1 or row.agree_python < 1:
                print(f"  {row.name}: {row.difference} | {row.python_difference}")


def print_row(row: Row, *, header: bool) -> None:
    if header:
        print(
            f"{'repository':<44} {'commits':>7} {'months':>6} {'memory s':>9} "
            f"{'warehouse s':>11} {'PyDriller s':>11} {'runs':>4} {'ratio':>6} "
            f"{'(whs)':>6} {'agree':>7} {'agree .py':>9}"
        )
    print(
        f"{row.name:<44} {row.commits:>7} {row.months:>6} {row.memory_s:>9.3f} "
        f"{row.uptake_s:>11.3f} {row.pydriller_s:>11.3f} {row.pydriller_runs:>4} "
        f"{row.ratio:>5.1f}x {row.warehouse_ratio:>5.1f}x "
        f"{row.agree:>7.1%} {row.agree_python:>9.1%}",
        flush=True,
    )


if __name__ == "__main__":
    main()
