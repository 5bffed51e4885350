"""Mining local repositories: which modules each month-end snapshot imports.

Two phases per repository, both safe to run in worker processes: *plan* (one rev-list,
one diff-tree walking from each month-end tree to the next) and *parse* (stream the
blobs not yet in the warehouse's cache through one cat-file a worker and extract their
imports; an oversized blob is known by the size git announces, and read past). The
warehouse is written by the calling process only: parsed blobs as they arrive (so a
killed run never parses them again), then each repository's months in one journaled
load.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from uptake.errors import SourceError
from uptake.mining import import_scanner, store
from uptake.mining.git_plumbing import (
    Commit,
    GitRepository,
    HistoryReader,
    TreeFile,
    month_end_commits,
    month_start,
)
from uptake.mining.imports import ExtractedImports, extract_imports, extract_many
from uptake.mining.outcomes import record_outcome
from uptake.warehouse import Load, Warehouse

SOURCE = "mining_local"
MAX_BLOB_BYTES = 5_000_000
PARSE_CHUNK = 2_000
# Blobs extracted together: few calls, and no more than git (`read_blobs`) can write ahead
EXTRACT_BATCH_BYTES = 1_000_000
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"


@dataclass(frozen=True)
class RepositoryPlan:
    repo: str
    path: str
    months: dict[date, Commit]  # months to mine: new, or whose month-end commit changed
    trees: dict[str, list[TreeFile]] = field(default_factory=dict)  # commit sha -> files

    def blobs(self) -> dict[str, TreeFile]:
        """Each distinct blob of the plan, with one path it appears under."""
        found: dict[str, TreeFile] = {}
        for files in self.trees.values():
            for file in files:
                found.setdefault(file.blob_sha, file)
        return found


def plan_repository(
    repo: str,
    path: str,
    until: date,
    already_mined: dict[date, str],
    reader: Callable[[str], HistoryReader] = GitRepository,
) -> RepositoryPlan:
    """The months to mine and their trees, read by `reader` (git plumbing by default)."""
    git = reader(path)
    months = month_end_commits(git.first_parent_history(), until)
    todo = {
        month: commit for month, commit in months.items() if already_mined.get(month) != commit.sha
    }
    trees = git.python_files_at(todo.values())
    return RepositoryPlan(repo=repo, path=path, months=todo, trees=trees)


def parse_blobs(path: str, files: list[TreeFile]) -> pa.Table:
    """`read_imports` as the rows of `store.blob_table`, which cross from a worker process
    cheaper than objects."""
    return store.blob_table(read_imports(path, files))


def read_imports(path: str, files: list[TreeFile]) -> list[store.BlobImports]:
    """Extract the imports of each blob, reading all of them through one cat-file."""
    by_sha = {f.blob_sha: f for f in files}
    return imports_of(by_sha, GitRepository(path).read_blobs(by_sha, max_bytes=MAX_BLOB_BYTES))


def imports_of(
    by_sha: Mapping[str, TreeFile], blobs: Iterable[tuple[str, int, bytes | None]]
) -> list[store.BlobImports]:
    """The rows of blobs read as `GitRepository.read_blobs` gives them (sha, size, content;
    no content when missing or over MAX_BLOB_BYTES), extracted in batches."""
    results = []
    batch: list[tuple[TreeFile, bytes]] = []
    batch_bytes = 0
    for sha, size, content in blobs:
        file = by_sha[sha]
        if content is None and size >= 0:
            results.append(oversized(file, size))
            continue
        if content is None or content.startswith(LFS_POINTER_PREFIX):
            results.append(blob_imports(file, content))
            continue
        batch.append((file, content))
        batch_bytes += len(content)
        if batch_bytes >= EXTRACT_BATCH_BYTES:
            results.extend(_extracted_batch(batch))
            batch, batch_bytes = [], 0
    results.extend(_extracted_batch(batch))
    return results


def _extracted_batch(batch: list[tuple[TreeFile, bytes]]) -> list[store.BlobImports]:
    found = extract_many(
        [(content, file.path) for file, content in batch], max_bytes=MAX_BLOB_BYTES
    )
    return [
        _blob_row(file, content, extracted)
        for (file, content), extracted in zip(batch, found, strict=True)
    ]


def blob_imports(file: TreeFile, content: bytes | None) -> store.BlobImports:
    if content is None:
        return _skipped(file, "blob not in the clone (shallow or partial clone)", file.size)
    if content.startswith(LFS_POINTER_PREFIX):
        return _skipped(file, "git-lfs pointer, not the file", len(content))
    return _blob_row(file, content, extract_imports(content, file.path, max_bytes=MAX_BLOB_BYTES))


def _blob_row(file: TreeFile, content: bytes, extracted: ExtractedImports) -> store.BlobImports:
    columns = _ROW_COLUMNS.get(extracted)
    if columns is None:
        if len(_ROW_COLUMNS) > 10_000:
            _ROW_COLUMNS.clear()
        columns = _ROW_COLUMNS[extracted] = (
            tuple(sorted(extracted.roots)),
            tuple(sorted(extracted.modules)),
            tuple(sorted(extracted.relative)),
            extracted.method,
            extracted.reason,
        )
    return store.BlobImports(file.blob_sha, *columns, len(content))


# The sorted columns of each extraction result: most blobs import what others import.
_ROW_COLUMNS: dict[ExtractedImports, tuple] = {}


def _skipped(file: TreeFile, reason: str, size: int) -> store.BlobImports:
    return store.BlobImports(file.blob_sha, (), (), (), "skipped", reason, size)


def oversized(file: TreeFile, size: int) -> store.BlobImports:
    """The row of a blob over MAX_BLOB_BYTES, which is not read."""
    return _skipped(file, f"over size limit ({size} bytes)", size)


def month_snapshots(plan: RepositoryPlan, methods: Mapping[str, str]) -> list[store.MonthSnapshot]:
    """Each month's tree as blob counts, with how its files were read (blob sha -> method)."""
    return with_read_counts(month_trees(plan), methods)


def month_trees(plan: RepositoryPlan) -> list[store.MonthSnapshot]:
    """Each month's tree as blob counts, before its blobs are parsed: how its files were
    read is counted in by `with_read_counts`."""
    snapshots = []
    for month, commit in sorted(plan.months.items()):
        files = plan.trees[commit.sha]
        snapshots.append(
            store.MonthSnapshot(
                repo=plan.repo,
                month=month,
                commit_sha=commit.sha,
                committed_at=commit.committed_at,
                python_files=sum(1 for f in files if f.path.endswith(".py")),
                notebook_files=sum(1 for f in files if f.path.endswith(".ipynb")),
                fallback_files=0,
                skipped_files=0,
                blob_files=dict(Counter(file.blob_sha for file in files)),
            )
        )
    return snapshots


def with_read_counts(
    snapshots: list[store.MonthSnapshot], methods: Mapping[str, str]
) -> list[store.MonthSnapshot]:
    """`month_trees`' snapshots with the files read by the fallback, and skipped, counted."""
    # Only the few blobs not read by `ast` are looked up in each month.
    unusual = [(sha, method) for sha, method in methods.items() if method != "ast"]
    counted = []
    for snapshot in snapshots:
        reads: Counter = Counter()
        for sha, method in unusual:
            reads[method] += snapshot.blob_files.get(sha, 0)
        counted.append(
            replace(snapshot, fallback_files=reads["fallback"], skipped_files=reads["skipped"])
        )
    return counted


class _InlineExecutor:
    """The Executor interface, run in this process: for one worker, and for tests."""

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 (delivered through the future, like a pool)
            future.set_exception(exc)
        return future


def mine_repositories(
    warehouse: Warehouse,
    repositories: Iterable[tuple[str, str | Path]],
    *,
    until: date | None = None,
    workers: int | None = None,
    on_progress: Callable[[str, str], None] | None = None,
) -> dict:
    """Mine each (name, path) up to the last month that ended by `until` (default: today).

    A repository that cannot be read is rejected with the reason; the others go on.
    """
    until = until or month_start(datetime.now(UTC))
    workers = workers or min(2, os.cpu_count() or 1)
    report = on_progress or (lambda repo, message: None)
    repositories = [(name, str(path)) for name, path in repositories]
    totals: Counter = Counter()
    rejects: list[tuple[str, str]] = []
    pool = worker_pool(workers)
    planned = _plan_or_error(warehouse, *repositories[0], until) if repositories else None
    for index, (name, _) in enumerate(repositories):
        load = Load(source=SOURCE, parameters={"repo": name, "until": until.isoformat()})
        plan = planned
        parsing = _submit_missing(warehouse, pool, plan, totals)
        if index + 1 < len(repositories):  # planned here while the workers parse
            planned = _plan_or_error(warehouse, *repositories[index + 1], until)
        try:
            if isinstance(plan, Exception):
                raise plan  # at this repository's turn, as if planned here
            trees = month_trees(plan)  # while the workers parse
            month_blobs = store.month_blob_rows(trees)
            snapshots = with_read_counts(trees, _collect_parsed(warehouse, plan, *parsing, report))
        except SourceError as exc:
            load.reject(name, str(exc))
            snapshots, month_blobs = [], None
        with warehouse.load(SOURCE, load.parameters, load):
            load.rows_loaded = store.replace_months(
                warehouse.con, snapshots, "local", load.load_id, month_blobs=month_blobs
            )
            reason = load.rejects[0][1] if load.rejects else None
            record_outcome(warehouse.con, name, reason, load_id=load.load_id)
        tally_repository(name, load, snapshots, totals, rejects, report)
    return {**totals, "rejects": rejects}


def tally_repository(
    name: str,
    load: Load,
    snapshots: list[store.MonthSnapshot],
    totals: Counter,
    rejects: list[tuple[str, str]],
    report: Callable[[str, str], None],
) -> None:
    """Count one mined repository into a run's summary and say how it went."""
    totals["repositories"] += 1
    totals["months"] += len(snapshots)
    totals["rejected"] += len(load.rejects)
    rejects.extend(load.rejects)
    report(
        name, f"rejected: {load.rejects[0][1]}" if load.rejects else f"{len(snapshots)} new months"
    )


@dataclass(frozen=True)
class ParsePool:
    """Processes that parse blobs, and how many: each repository's blobs are dealt out to
    that many chunks."""

    executor: Executor
    workers: int


def worker_pool(workers: int) -> ParsePool:
    """`workers` processes that parse blobs, started at the first call and kept for later
    ones (the next repositories, a re-run, the next flow run in a long-lived process):
    starting and warming one costs more than most parses.

    They come from the forkserver, which imports this module once. A plain fork would
    copy the thread pools of Polars (extraction) and DuckDB mid-flight (Polars deadlocks
    in such a child once its parent has used it), and the pipes of git commands that
    other threads have open, which would then never see the end of their input.
    """
    if workers <= 1:
        return ParsePool(_InlineExecutor(), 1)
    pool = _POOLS.get(workers)
    if pool is not None:
        try:
            pool.executor.submit(int)
        except (BrokenProcessPool, RuntimeError):  # a worker died, or shut down at exit
            pool = None
    if pool is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", __name__, "polars"])  # once, as it starts
        executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_warm_up)
        for _ in range(workers):
            executor.submit(int)  # a process is started per task while none is idle
        pool = _POOLS[workers] = ParsePool(executor, workers)
    return pool


_POOLS: dict[int, ParsePool] = {}


def _warm_up() -> None:
    """Pay extraction's first-call costs (regular expressions compiled) before any blob."""
    extract_many([(b"import os\nname = 'x'  # warm\n", "warm_up.py")])
    import_scanner.warm_up()


def parse_chunks(files: list[TreeFile], workers: int) -> list[list[TreeFile]]:
    """`files` dealt out in turn into chunks of at most PARSE_CHUNK, at least one a worker
    when each gets enough files to be worth a `cat-file` of its own. Dealt, not cut: a
    history's old files (Python 2, say, which only `ast` can rule on) and new ones cost
    differently, and each chunk gets its share of both."""
    if not files:
        return []
    count = max(-(-len(files) // PARSE_CHUNK), min(workers, len(files) // 100), 1)
    return [files[start::count] for start in range(count)]


def _plan_or_error(
    warehouse: Warehouse, name: str, path: str, until: date
) -> RepositoryPlan | Exception:
    try:
        return plan_repository(name, path, until, store.mined_months(warehouse.con, name))
    except Exception as exc:  # noqa: BLE001 (raised at the repository's turn)
        return exc


def _submit_missing(warehouse, pool: ParsePool, plan, totals) -> tuple | None:
    """Send the plan's blobs not cached yet to the workers: (methods of the cached ones,
    missing, futures)."""
    if isinstance(plan, Exception):
        return None
    blobs = plan.blobs()
    methods = store.cached_blobs(warehouse.con, blobs)
    missing = [file for sha, file in blobs.items() if sha not in methods]
    totals["blobs_cached"] += len(blobs) - len(missing)
    totals["blobs_parsed"] += len(missing)
    futures = [
        pool.executor.submit(parse_blobs, plan.path, chunk)
        for chunk in parse_chunks(missing, pool.workers)
    ]
    return methods, missing, futures


def _collect_parsed(
    warehouse, plan: RepositoryPlan, methods: dict, missing: list, futures: list, report
) -> dict[str, str]:
    """Cache the chunks' blobs as they come, those done together in one transaction (a
    killed run does not parse them again); returns blob sha -> method for the plan."""
    done, pending = 0, list(futures)
    while pending:
        wait(pending, return_when=FIRST_COMPLETED)
        finished = [future for future in pending if future.done()]  # in submission order
        pending = [future for future in pending if not future.done()]
        results = pa.concat_tables([future.result() for future in finished])
        store.save_blobs(warehouse.con, results)
        methods.update(store.blob_methods(results))
        done += results.num_rows
        report(plan.repo, f"parsed {done}/{len(missing)} new blobs")
    return methods
