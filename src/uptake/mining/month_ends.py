"""One local clone's month-end imports, in memory: the miner without a warehouse.

    from uptake import Repository

    for snapshot in Repository("path/to/flask", until="2024-01").month_ends():
        print(f"{snapshot.month:%Y-%m}", snapshot.commit[:7], sorted(snapshot.imports))

The same plan and parser as `uptake mine` (the first-parent history, each month's last
commit before the month ended, the .py and .ipynb files of its tree, each distinct blob
parsed once), with nothing written anywhere: for a notebook or a script that wants the
answer for a few clones, as PyDriller users walk commits. The objects are read in this
process by libgit2 (`object_reader`), where `uptake mine` starts git: for a small
repository, starting git costs more than the rest of the job. `uptake mine` is the way
for a corpus: it keeps what it parsed, so a re-run reads only new months.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from uptake.errors import ParameterError, SourceError
from uptake.mining.git_plumbing import GitRepository, TreeFile, month_start
from uptake.mining.history_miner import (
    MAX_BLOB_BYTES,
    ParsePool,
    imports_of,
    plan_repository,
    running_pool,
    worker_pool,
)
from uptake.mining.object_reader import ObjectReader

# Blobs to share with the worker processes, measured with bench/bench_pydriller.py: fewer
# are read quicker here alone; from the larger count, worth starting the processes for.
SHARED_FROM_BLOBS = 32
POOL_STARTED_FROM_BLOBS = 200
HANDOFF_SECONDS = 0.0002


@dataclass(frozen=True)
class MonthEnd:
    """A month as its last first-parent commit left the tree."""

    month: date  # the month's first day
    commit: str  # the last first-parent commit made before the month ended
    committed_at: datetime  # that commit's time, naive UTC
    imports: frozenset[str]  # top-level modules imported by the tree's files
    python_files: int
    notebook_files: int
    unread_files: int  # not read: lacking from the clone, git-lfs pointers, binary, over 5 MB


class Repository:
    """A local clone (full, bare, shallow or partial) whose month ends are to be read.

    `until` (a date, or "YYYY-MM") is the first month not read: months that ended before
    it are; default the current month. `workers` (default: up to 2) processes read the
    blobs, this one and uptake's worker processes: a history of 200 blobs or more starts
    those (once: later calls, and `uptake mine`, reuse them); a smaller one is shared
    with them only if they are running, and one under 32 blobs is read here alone,
    which is quicker.
    """

    def __init__(
        self, path: str | Path, *, until: date | str | None = None, workers: int | None = None
    ):
        self.path = Path(path)
        self._objects = _reader_for(self.path)  # not a git repository: SourceError, now
        self.until = _first_month_not_read(until)
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)):
            raise ParameterError(f"workers must be a whole number, got {workers!r}")
        if workers is not None and workers < 1:
            raise ParameterError(f"workers must be at least 1, got {workers}")
        self.workers = workers or min(2, os.cpu_count() or 1)

    def __repr__(self) -> str:
        return f"Repository({str(self.path)!r}, until='{self.until:%Y-%m}')"

    def month_ends(self) -> Iterator[MonthEnd]:
        """Every month from the first commit's to the last before `until`, oldest first
        (a month with no commit repeats the previous month's tree)."""
        plan = plan_repository(
            str(self.path), str(self.path), self.until, {}, reader=lambda _: self._objects
        )
        imports = self._imports_of(list(plan.blobs().values()))
        by_commit: dict[str, tuple[frozenset[str], int, int, int]] = {}
        for month, commit in sorted(plan.months.items()):
            if commit.sha not in by_commit:
                files = plan.trees[commit.sha]
                by_commit[commit.sha] = (
                    frozenset().union(*(imports[f.blob_sha][0] for f in files)),
                    sum(f.path.endswith(".py") for f in files),
                    sum(f.path.endswith(".ipynb") for f in files),
                    sum(imports[f.blob_sha][1] == "skipped" for f in files),
                )
            modules, python_files, notebook_files, unread = by_commit[commit.sha]
            yield MonthEnd(
                month,
                commit.sha,
                commit.committed_at,
                modules,
                python_files,
                notebook_files,
                unread,
            )

    def _imports_of(self, files: list[TreeFile]) -> dict[str, tuple[tuple[str, ...], str]]:
        """blob sha -> (top-level modules, method), the blobs dealt out between this
        process and the worker processes when there are some to share them with."""
        pool = self._pool_for(len(files))
        if pool is None:
            return read_share(self._objects, files)
        shares = [files[start :: pool.workers] for start in range(pool.workers)]
        through_git = isinstance(self._objects, GitRepository)
        try:
            futures = [
                pool.executor.submit(read_share_at, str(self.path), share, through_git)
                for share in shares[1:]
            ]
        except (BrokenProcessPool, RuntimeError):  # a worker died, or the pool shut down
            return read_share(self._objects, files)
        # The executor's threads hand a task to a worker only when they get the GIL, which
        # reading here would hold for a switch interval (5 ms): more than a share takes.
        time.sleep(HANDOFF_SECONDS)
        found = read_share(self._objects, shares[0])
        for future, share in zip(futures, shares[1:], strict=True):
            try:
                found.update(future.result())
            except BrokenProcessPool:  # a worker died (killed, out of memory): read it here
                found.update(read_share(self._objects, share))
        return found

    def _pool_for(self, blobs: int) -> ParsePool | None:
        """The worker processes to share `blobs` with: started for a large history, used
        if already running (after a large one, or `uptake mine`) for a medium one."""
        if self.workers < 2 or blobs < SHARED_FROM_BLOBS:
            return None
        if blobs >= POOL_STARTED_FROM_BLOBS:
            return worker_pool(self.workers)
        return running_pool(self.workers)


def read_share(
    objects: ObjectReader | GitRepository, files: list[TreeFile]
) -> dict[str, tuple[tuple[str, ...], str]]:
    """blob sha -> (top-level modules, method) of `files`, read by `objects`."""
    by_sha = {f.blob_sha: f for f in files}
    blobs = objects.read_blobs(by_sha, max_bytes=MAX_BLOB_BYTES)
    return {b.blob_sha: (b.import_roots, b.method) for b in imports_of(by_sha, blobs)}


def read_share_at(
    path: str, files: list[TreeFile], through_git: bool
) -> dict[str, tuple[tuple[str, ...], str]]:
    """`read_share` in a worker process, which opens the repository as its caller did."""
    return read_share(GitRepository(path) if through_git else ObjectReader(path), files)


def _reader_for(path: Path) -> ObjectReader | GitRepository:
    """libgit2 in this process, except where git must do the reading: a partial clone
    (git fetches the blobs it lacks from its promisor remote; libgit2 cannot) and what
    libgit2 cannot open (a SHA-256 repository)."""
    try:
        reader = ObjectReader(path)
    except SourceError:
        return GitRepository(path)
    return GitRepository(path) if reader.is_partial_clone else reader


def _first_month_not_read(until: date | str | None) -> date:
    if until is None:
        return month_start(datetime.now(UTC))
    if isinstance(until, date):  # a datetime too
        return month_start(until)
    if isinstance(until, str):
        try:
            return datetime.strptime(until, "%Y-%m").date()
        except ValueError:
            pass
    raise ParameterError(f"until must be a date or 'YYYY-MM', got {until!r}")
