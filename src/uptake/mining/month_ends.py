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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from uptake.errors import ParameterError, SourceError
from uptake.mining import import_scanner, reading_helpers
from uptake.mining.git_plumbing import GitRepository, TreeFile, month_start
from uptake.mining.history_miner import MAX_BLOB_BYTES, imports_of, plan_repository
from uptake.mining.object_reader import ObjectReader

# Fewer blobs are read quicker here alone (measured with bench/bench_pydriller.py).
SHARED_FROM_BLOBS = 8


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
    blobs: this one, and from 8 blobs on, `workers - 1` helper processes, started in the
    background at the first call that could use them (or by `start_helpers`) and kept
    for later calls; until they are ready, this process reads alone.
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
        process and its reading helpers when there are some ready."""
        helpers = []
        if self.workers > 1 and len(files) >= SHARED_FROM_BLOBS:
            helpers = reading_helpers.acquire(self.workers - 1, warm_up_helper)
        if not helpers:
            return read_share(self._objects, files)
        try:
            return self._read_shared(files, helpers)
        finally:
            reading_helpers.release(helpers)

    def _read_shared(self, files: list[TreeFile], helpers: list[reading_helpers.Helper]):
        # Dealt in turn, not cut: a history's versions of a file, and its notebooks, are
        # spread over every share.
        count = len(helpers) + 1
        mine, *theirs = (files[start::count] for start in range(count))
        through_git = isinstance(self._objects, GitRepository)
        sent = []
        for helper, share in zip(helpers, theirs, strict=True):
            try:
                helper.send(read_share_at, str(self.path), share, through_git)
                sent.append((helper, share))
            except reading_helpers.HelperGone:
                mine = mine + share
        try:
            found = read_share(self._objects, mine)
        finally:
            # Every reply is taken, even when this share failed: one left in a pipe would
            # answer the next call.
            replies = [self._reply(helper, share) for helper, share in sent]
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
            found.update(reply)
        return found

    def _reply(self, helper: reading_helpers.Helper, share: list[TreeFile]):
        """A helper's blobs, or the error its share raised; read here if it died."""
        try:
            return helper.receive()
        except reading_helpers.HelperGone:  # killed, out of memory: nothing is lost
            return read_share(self._objects, share)
        except Exception as exc:  # noqa: BLE001 (raised once every reply is in)
            return exc

    @staticmethod
    def start_helpers(workers: int = 2, *, wait: bool = True) -> None:
        """Start the `workers - 1` processes `month_ends` shares a history's blobs with,
        and with `wait` return once they are ready. Optional: the first call that could
        use them starts them in the background, and reads alone until they are ready."""
        reading_helpers.start(workers - 1, warm_up_helper, wait=wait)


def warm_up_helper() -> None:
    """What a helper does before it says it is ready: its imports, and the scanner's
    first-call costs."""
    import_scanner.warm_up()


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
    """`read_share` in a helper, which opens the repository as its caller did and keeps
    it open for the next call: libgit2 looks again for packs when an object is missing,
    and a blob's id names its content, so what the clone gains since is read too."""
    objects = _KEPT_OPEN.get((path, through_git))
    if objects is None:
        _KEPT_OPEN.clear()
        objects = GitRepository(path) if through_git else ObjectReader(path)
        _KEPT_OPEN[path, through_git] = objects
    return read_share(objects, files)


_KEPT_OPEN: dict[tuple[str, bool], ObjectReader | GitRepository] = {}  # in a helper


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
