"""Reading a local git repository with plumbing only: no checkout, no process per blob.

`rev-list` once for the first-parent history (each commit with its tree), one
`diff-tree --stdin` walking from each month-end tree to the next, and one long-lived
`cat-file --batch` that streams every blob that needs parsing.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from uptake.errors import SourceError

MINED_SUFFIXES = (".py", ".ipynb")
MINED_SUFFIXES_BYTES = tuple(suffix.encode() for suffix in MINED_SUFFIXES)
_SYMLINK_MODE = "120000"
_SUBMODULE_MODE = "160000"
_READ_BUFFER_BYTES = 1 << 18  # fewer reads for the many small objects of `cat-file`
_PIPE_BYTES = 1 << 20  # /proc/sys/fs/pipe-max-size's default: allowed without privileges
# A clone's own config may name a command for git to run: diff-tree, say, runs
# core.fsmonitor's. Plumbing reads objects only, so that one is switched off.
_GIT = ("git", "-c", "core.fsmonitor=false")
EPOCH = datetime(1970, 1, 1)  # commit times are read as naive UTC
_EMPTY_TREES = {  # by the length of an object id: SHA-1 or SHA-256 repositories
    40: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    64: "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
}


@dataclass(frozen=True)
class Commit:
    sha: str
    committed_at: datetime  # UTC
    tree: str = ""  # the commit's tree, where the reader knows it


@dataclass(frozen=True)
class TreeFile:
    path: str
    blob_sha: str
    size: int


class HistoryReader(Protocol):
    """What planning asks of a clone: git plumbing here, or libgit2 (`object_reader`)."""

    def first_parent_history(self) -> list[Commit]: ...

    def python_files_at(self, commits: Iterable[Commit]) -> dict[str, list[TreeFile]]: ...


class GitRepository:
    """A local clone (full, shallow or partial), read through git plumbing."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not (self.path / ".git").exists() and not (self.path / "HEAD").exists():
            raise SourceError(f"{self.path} is not a git repository")

    def _git(self, *args: str, stdin: bytes | None = None) -> bytes:
        try:
            result = subprocess.run(
                [*_GIT, "-C", str(self.path), *args],
                input=stdin,
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise SourceError(f"cannot run git in {self.path}: {exc}") from None
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip().splitlines()
            raise SourceError(
                f"git {args[0]} failed in {self.path}: {message[-1] if message else 'no message'}"
            )
        return result.stdout

    def first_parent_history(self) -> list[Commit]:
        """HEAD and its first parents, newest first; empty for a repository with no commits."""
        try:
            output = self._git(
                "rev-list", "--first-parent", "--format=%H %T %ct", "--no-commit-header", "HEAD"
            )
        except SourceError:
            if self._has_commits():
                raise
            return []
        commits = []
        for line in output.decode().splitlines():
            sha, tree, seconds = line.split(" ")
            commits.append(Commit(sha, EPOCH + timedelta(seconds=int(seconds)), tree))
        return commits

    def _has_commits(self) -> bool:
        try:
            self._git("rev-parse", "--verify", "--quiet", "HEAD")
        except SourceError:
            return False
        return True

    def python_files(self, commit: str) -> list[TreeFile]:
        """The .py and .ipynb blobs in a commit's tree; symlinks and submodules are not files."""
        output = self._git("ls-tree", "-r", "-z", "--long", "--full-tree", commit)
        files = []
        for entry in output.split(b"\0"):
            if not entry:
                continue
            meta, _, raw_path = entry.partition(b"\t")
            mode, kind, sha, size = meta.decode().split(maxsplit=3)
            path = raw_path.decode(errors="surrogateescape")
            if kind != "blob" or mode in (_SYMLINK_MODE, _SUBMODULE_MODE):
                continue
            if path.endswith(MINED_SUFFIXES):
                files.append(TreeFile(path, sha, int(size) if size.strip().isdigit() else -1))
        return files

    def python_files_at(self, commits: Iterable[Commit]) -> dict[str, list[TreeFile]]:
        """`python_files` of many commits from ONE `git diff-tree --stdin` that walks from
        each commit's tree to the next (oldest first): the cost follows what changed
        between them, not files times commits. Git's output is read in blocks as it comes,
        never held whole (hundreds of MB for a large history). Sizes are not looked up
        (-1): `read_blobs` learns each from git as it reads it."""
        ordered = sorted({c.sha: c for c in commits}.values(), key=lambda c: c.committed_at)
        if not ordered:
            return {}
        if any(not commit.tree for commit in ordered):
            raise ValueError("python_files_at needs each commit's tree (first_parent_history)")
        trees = [_EMPTY_TREES[len(ordered[0].tree)], *(commit.tree for commit in ordered)]
        requests = [f"{old} {new}" for old, new in zip(trees, trees[1:], strict=False)]
        command = (
            *("diff-tree", "--stdin", "-r", "-z", "--raw", "--no-renames", "--no-abbrev"),
            # Only mined files' changes, at any depth: a project's docs, data and other
            # languages need not cross the pipe (flask's walk: 25 -> 19 ms).
            *("--", *(f"*{suffix}" for suffix in MINED_SUFFIXES)),
        )
        tree: dict[str, TreeFile] = {}  # path -> file, for the mined files of the current tree
        snapshots: dict[str, list[TreeFile]] = {}
        with _StreamedGit(self.path, command, requests) as output:
            for commit, changes in zip(ordered, _diffs(output), strict=False):
                _apply_changes(changes, tree)
                snapshots[commit.sha] = list(tree.values())
            output.check_exit()
        if len(snapshots) != len(ordered):
            raise SourceError(f"git diff-tree walked {len(snapshots)} of {len(ordered)} trees")
        return snapshots

    def read_blobs(
        self, shas: Iterable[str], *, max_bytes: int | None = None
    ) -> Iterator[tuple[str, int, bytes | None]]:
        """(sha, size, content) for each sha, in order, through one `cat-file --batch`.

        A blob the clone lacks comes as size -1 and no content; one over `max_bytes` as
        its size and no content (git sends it anyway: it is read past in pieces).
        """
        process = subprocess.Popen(
            [*_GIT, "-C", str(self.path), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=_READ_BUFFER_BYTES,
        )
        _widen_pipe(process.stdout)
        shas = list(shas)
        # Feed requests from a thread so neither pipe fills while the other waits.
        writer = threading.Thread(target=_write_lines, args=(process.stdin, shas), daemon=True)
        writer.start()
        stdout = process.stdout
        try:
            for sha in shas:
                header = stdout.readline()
                if not header:
                    raise SourceError(f"git cat-file stopped early in {self.path}")
                fields = header.split()
                if len(fields) < 3 or fields[1] == b"missing":
                    yield sha, -1, None
                    continue
                size = int(fields[2])
                if max_bytes is not None and size > max_bytes:
                    _read_past(stdout, size + 1)
                    yield sha, size, None
                    continue
                content = stdout.read(size)
                stdout.read(1)  # the newline after each object
                yield sha, size, content
        finally:
            writer.join(timeout=5)
            stdout.close()
            process.kill()
            process.wait()


def _diffs(output: Iterable[bytes]) -> Iterator[list[tuple[bytes, bytes]]]:
    """`diff-tree --stdin -z --raw` output, read in blocks, as each requested diff's
    (metadata, path) pairs, each diff once the next one begins (or the output ends).

    Each diff starts with an "old-tree new-tree" line ended by a newline, not a NUL, so
    it comes glued to the field after it; a path (which may hold a newline) never does.
    """
    diff: list[tuple[bytes, bytes]] | None = None
    metadata: bytes | None = None  # a change's first field, waiting for its path
    partial = b""
    for block in (*output, None):
        if block is None:  # the end: what is left is one last field
            fields, partial = [partial], b""
        else:
            fields = (partial + block).split(b"\0")
            partial = fields.pop()
        for field in fields:
            if metadata is not None:
                diff.append((metadata, field))
                metadata = None
                continue
            while field and not field.startswith(b":"):
                _, _, field = field.partition(b"\n")
                if diff is not None:
                    yield diff
                diff = []
            if field:
                metadata = field
    if diff is not None:
        yield diff


def _apply_changes(changes: list[tuple[bytes, bytes]], tree: dict[str, TreeFile]) -> None:
    """Apply one diff to `tree`, keeping only regular files with a mined suffix: a symlink,
    a submodule, or a file whose mode turns into one, leaves the tree."""
    for meta, raw_path in changes:
        if not raw_path.endswith(MINED_SUFFIXES_BYTES):
            continue
        _, new_mode, _, new_sha, status = meta[1:].split(b" ")
        path = raw_path.decode(errors="surrogateescape")
        if status == b"D" or not new_mode.startswith(b"100"):
            tree.pop(path, None)
        else:
            tree[path] = TreeFile(path, new_sha.decode(), -1)


class _StreamedGit:
    """A git command fed `requests` (one a line) from a thread, its output read in blocks
    as it comes; the last error line of a failed command raised by `check_exit`."""

    def __init__(self, path: Path, command: tuple[str, ...], requests: list[str]):
        self.path, self.command = path, command
        try:
            self.process = subprocess.Popen(
                [*_GIT, "-C", str(path), *command],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise SourceError(f"cannot run git in {path}: {exc}") from None
        self.errors: list[bytes] = []
        self.threads = [
            threading.Thread(target=_write_lines, args=(self.process.stdin, requests), daemon=True),
            threading.Thread(target=_drain, args=(self.process.stderr, self.errors), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def __enter__(self) -> _StreamedGit:
        return self

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.process.stdout.read1(_READ_BUFFER_BYTES), b"")

    def check_exit(self) -> None:
        """Wait for git to exit; raise SourceError with its message if it failed."""
        if self.process.wait() == 0:
            return
        for thread in self.threads:
            thread.join(timeout=5)
        message = b"".join(self.errors).decode(errors="replace").strip().splitlines()
        raise SourceError(
            f"git {self.command[0]} failed in {self.path}: "
            f"{message[-1] if message else 'no message'}"
        )

    def __exit__(self, *exc_info) -> None:
        self.process.stdout.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for thread in self.threads:
            thread.join(timeout=5)


def _write_lines(stdin, lines: list[str]) -> None:
    try:
        for line in lines:
            stdin.write(line.encode() + b"\n")
        stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass


def _drain(stream, into: list[bytes]) -> None:
    """Keep the last 64 kB a stream gives, so a chatty command never blocks on it."""
    kept = 0
    for block in iter(lambda: stream.read1(1 << 16), b""):
        into.append(block)
        kept += len(block)
        while kept > 1 << 16 and len(into) > 1:
            kept -= len(into.pop(0))
    stream.close()


def _widen_pipe(stream) -> None:
    """Let git run up to a megabyte ahead while the reader extracts a batch of blobs
    (Linux only; elsewhere the pipe keeps its size, which is only slower)."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


def _read_past(stream, size: int) -> None:
    while size > 0:
        piece = stream.read(min(size, _READ_BUFFER_BYTES))
        if not piece:
            return
        size -= len(piece)


def month_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def month_end_commits(history: list[Commit], until: date) -> dict[date, Commit]:
    """For every month from the first commit's to the last one ending on or before `until`,
    the last first-parent commit made before that month ended."""
    if not history:
        return {}
    ordered = sorted(history, key=lambda c: c.committed_at)  # oldest first
    first = month_start(ordered[0].committed_at)
    snapshots: dict[date, Commit] = {}
    month, index, latest = first, 0, None
    following = next_month(month)
    while following <= until:
        boundary = datetime.combine(following, datetime.min.time())
        while index < len(ordered) and ordered[index].committed_at < boundary:
            latest = ordered[index]
            index += 1
        if latest is not None:
            snapshots[month] = latest
        month, following = following, next_month(following)
    return snapshots
