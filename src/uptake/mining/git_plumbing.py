"""Reading a local git repository with plumbing only: no checkout, no process per blob.

`rev-list` once for the first-parent history, `ls-tree` once per distinct month-end
commit, and one long-lived `cat-file --batch` that streams every blob that needs parsing.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from uptake.errors import SourceError

MINED_SUFFIXES = (".py", ".ipynb")
_SYMLINK_MODE = "120000"
_SUBMODULE_MODE = "160000"
_READ_BUFFER_BYTES = 1 << 18  # fewer reads for the many small objects of `cat-file`
_PIPE_BYTES = 1 << 20  # /proc/sys/fs/pipe-max-size's default: allowed without privileges


@dataclass(frozen=True)
class Commit:
    sha: str
    committed_at: datetime  # UTC


@dataclass(frozen=True)
class TreeFile:
    path: str
    blob_sha: str
    size: int


class GitRepository:
    """A local clone (full, shallow or partial), read through git plumbing."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not (self.path / ".git").exists() and not (self.path / "HEAD").exists():
            raise SourceError(f"{self.path} is not a git repository")

    def _git(self, *args: str) -> bytes:
        try:
            result = subprocess.run(
                ["git", "-C", str(self.path), *args], capture_output=True, check=False
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
            self._git("rev-parse", "--verify", "--quiet", "HEAD")
        except SourceError:
            return []
        output = self._git(
            "rev-list", "--first-parent", "--format=%H %ct", "--no-commit-header", "HEAD"
        )
        commits = []
        for line in output.decode().splitlines():
            sha, _, seconds = line.partition(" ")
            commits.append(
                Commit(sha, datetime.fromtimestamp(int(seconds), UTC).replace(tzinfo=None))
            )
        return commits

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

    def python_files_at(self, commits: Iterable[str]) -> dict[str, list[TreeFile]]:
        """`python_files` for many first-parent commits from ONE `git log --raw` pass."""
        return self.first_parent_log().python_files_at(commits)

    def first_parent_log(self) -> FirstParentLog:
        """HEAD's first-parent history with each commit's changes, from one `git log --raw`
        (merges against their first parent); empty for a repository with no commits."""
        try:
            self._git("rev-parse", "--verify", "--quiet", "HEAD")
        except SourceError:
            return FirstParentLog(self, [], [])
        output = self._git(
            "log",
            "--first-parent",
            "-m",
            "--root",
            "--raw",
            "--no-renames",
            "-z",
            "--no-abbrev",
            "--format=%x01%H %ct",
            "--reverse",
            "HEAD",
        )
        commits, changes = [], []
        for chunk in output.split(b"\x01")[1:]:
            header, _, raw = chunk.partition(b"\0")
            sha, _, seconds = header.decode().partition(" ")
            commits.append(
                Commit(sha, datetime.fromtimestamp(int(seconds), UTC).replace(tzinfo=None))
            )
            changes.append(raw)
        return FirstParentLog(self, commits, changes)

    def blob_sizes(self, shas: Iterable[str]) -> dict[str, int]:
        """Size of each blob, from one `cat-file --batch-check`."""
        shas = list(shas)
        if not shas:
            return {}
        result = subprocess.run(
            ["git", "-C", str(self.path), "cat-file", "--batch-check"],
            input="\n".join(shas).encode() + b"\n",
            capture_output=True,
            check=False,
        )
        sizes = {}
        for line in result.stdout.decode().splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] == "blob":
                sizes[fields[0]] = int(fields[2])
        return sizes

    def read_blobs(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
        """(sha, content) for each sha, in order, through one `cat-file --batch`; None if missing."""
        process = subprocess.Popen(
            ["git", "-C", str(self.path), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=_READ_BUFFER_BYTES,
        )
        _widen_pipe(process.stdout)
        shas = list(shas)
        # Feed requests from a thread so neither pipe fills while the other waits.
        writer = threading.Thread(target=_write_requests, args=(process.stdin, shas), daemon=True)
        writer.start()
        try:
            for sha in shas:
                header = process.stdout.readline()
                if not header:
                    raise SourceError(f"git cat-file stopped early in {self.path}")
                fields = header.split()
                if len(fields) < 3 or fields[1] == b"missing":
                    yield sha, None
                    continue
                size = int(fields[2])
                content = process.stdout.read(size)
                process.stdout.read(1)  # the newline after each object
                yield sha, content
        finally:
            writer.join(timeout=5)
            process.stdout.close()
            process.kill()
            process.wait()


class FirstParentLog:
    """A first-parent history, oldest first, with the raw changes of each commit."""

    def __init__(self, git: GitRepository, oldest_first: list[Commit], changes: list[bytes]):
        self.git = git
        self.oldest_first = oldest_first
        self.changes = changes

    @property
    def commits(self) -> list[Commit]:
        """Newest first, like `GitRepository.first_parent_history`."""
        return self.oldest_first[::-1]

    def python_files_at(self, commits: Iterable[str]) -> dict[str, list[TreeFile]]:
        """The .py and .ipynb blobs of these commits' trees, replaying the changes up to
        each: the cost follows the changes, not files times months."""
        wanted = set(commits)
        if not wanted:
            return {}
        tree: dict[str, tuple[str, str]] = {}
        snapshots: dict[str, list[tuple[str, str]]] = {}
        for commit, changes in zip(self.oldest_first, self.changes, strict=True):
            fields = changes.lstrip(b"\n").split(b"\0")
            for meta, raw_path in zip(fields[0::2], fields[1::2], strict=False):
                if not meta.startswith(b":"):
                    continue
                _, new_mode, _, new_sha, status = meta[1:].decode().split()
                path = raw_path.decode(errors="surrogateescape")
                if status == "D":
                    tree.pop(path, None)
                else:
                    tree[path] = (new_mode, new_sha)
            if commit.sha in wanted:
                snapshots[commit.sha] = sorted(
                    (path, blob)
                    for path, (mode, blob) in tree.items()
                    if mode.startswith("100") and path.endswith(MINED_SUFFIXES)
                )
        sizes = self.git.blob_sizes({blob for files in snapshots.values() for _, blob in files})
        made: dict[tuple[str, str], TreeFile] = {}  # one object for a file in many months
        return {
            commit: [
                made.get(file) or made.setdefault(file, TreeFile(*file, sizes.get(file[1], -1)))
                for file in files
            ]
            for commit, files in snapshots.items()
        }


def _widen_pipe(stream) -> None:
    """Let git run up to a megabyte ahead while the reader extracts a batch of blobs
    (Linux only; elsewhere the pipe keeps its size, which is only slower)."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


def _write_requests(stdin, shas: list[str]) -> None:
    try:
        for sha in shas:
            stdin.write(sha.encode() + b"\n")
        stdin.close()
    except (BrokenPipeError, ValueError):
        pass


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
    while next_month(month) <= until:
        boundary = datetime.combine(next_month(month), datetime.min.time())
        while index < len(ordered) and ordered[index].committed_at < boundary:
            latest = ordered[index]
            index += 1
        if latest is not None:
            snapshots[month] = latest
        month = next_month(month)
    return snapshots
