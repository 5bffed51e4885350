"""Reading a clone's objects in this process through libgit2 (pygit2), no git started.

The same three questions `git_plumbing.GitRepository` asks git (the first-parent
history, the mined files of month-end trees, the blobs), answered with the same rows: a
small repository's whole plan costs less than starting one git process, which is what
one clone read in memory (`uptake.Repository`) spends most of its time on otherwise.
Unchanged subtrees are listed once (by their object id) for all the months that share
them. A blob the clone lacks (a partial or snapshot clone) reads as missing, as from
`cat-file`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path

import pygit2
from pygit2.enums import ObjectType, SortMode

from uptake.errors import SourceError
from uptake.mining.git_plumbing import EPOCH, MINED_SUFFIXES_BYTES, Commit, TreeFile

_FILE_TYPE_BITS = 0o170000
_REGULAR_FILE = 0o100000  # 100644 and 100755; not a symlink (120000) or submodule (160000)


class ObjectReader:
    """A local clone read by libgit2; raises SourceError where git plumbing would."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._repo = pygit2.Repository(str(self.path))
        except (pygit2.GitError, KeyError, ValueError) as exc:
            raise SourceError(f"{self.path} is not a git repository ({exc})") from None
        self._listed: dict[pygit2.Oid, list[tuple[bytes, str]]] = {}  # tree -> mined files

    @property
    def is_partial_clone(self) -> bool:
        """Whether some remote promises the objects the clone lacks (`--filter`)."""
        config = self._repo.config
        return (
            any(
                entry.name.startswith("remote.") and entry.name.endswith(".promisor")
                for entry in config
            )
            or "extensions.partialclone" in config
        )

    def first_parent_history(self) -> list[Commit]:
        """HEAD and its first parents, newest first; empty for a repository with no commits."""
        try:
            if self._repo.head_is_unborn:
                return []
            walker = self._repo.walk(self._repo.head.target, SortMode.TOPOLOGICAL)
            walker.simplify_first_parent()
            return [
                Commit(str(c.id), EPOCH + timedelta(seconds=c.commit_time), str(c.tree_id))
                for c in walker
            ]
        except (pygit2.GitError, KeyError) as exc:
            raise SourceError(f"cannot read the history of {self.path}: {exc}") from None

    def python_files_at(self, commits: Iterable[Commit]) -> dict[str, list[TreeFile]]:
        """The .py and .ipynb blobs of each commit's tree, by commit sha (sizes unknown: -1)."""
        snapshots = {}
        for commit in commits:
            if commit.sha in snapshots:
                continue
            try:
                listed = self._mined_files(pygit2.Oid(hex=commit.tree))
            except (pygit2.GitError, KeyError) as exc:
                raise SourceError(f"cannot read tree {commit.tree} in {self.path}: {exc}") from None
            snapshots[commit.sha] = [
                TreeFile(raw_path.decode(errors="surrogateescape"), sha, -1)
                for raw_path, sha in listed
            ]
        return snapshots

    def _mined_files(self, tree_id: pygit2.Oid) -> list[tuple[bytes, str]]:
        listed = self._listed.get(tree_id)
        if listed is not None:
            return listed
        listed = []
        # The entry's type (an int) first: its mode is a Python enum, slow to make, and
        # asked only of the few blobs named like a mined file.
        for entry in self._repo[tree_id]:
            kind = entry.type
            if kind == ObjectType.TREE:
                prefix = entry.raw_name + b"/"
                listed.extend((prefix + path, sha) for path, sha in self._mined_files(entry.id))
            elif (
                kind == ObjectType.BLOB
                and entry.raw_name.endswith(MINED_SUFFIXES_BYTES)
                and (entry.filemode & _FILE_TYPE_BITS) == _REGULAR_FILE
            ):
                listed.append((entry.raw_name, str(entry.id)))
        self._listed[tree_id] = listed
        return listed

    def read_blobs(
        self, shas: Iterable[str], *, max_bytes: int | None = None
    ) -> Iterator[tuple[str, int, bytes | None]]:
        """(sha, size, content) for each sha, as `GitRepository.read_blobs` gives them: a
        blob the clone lacks as size -1 and no content, one over `max_bytes` as its size
        and no content (not inflated)."""
        odb = self._repo.odb
        for sha in shas:
            try:
                kind, size = odb.read_header(sha)
                if kind != ObjectType.BLOB:
                    raise KeyError(sha)
                if max_bytes is not None and size > max_bytes:
                    yield sha, size, None
                    continue
                yield sha, size, odb.read(sha)[1]
            except (KeyError, pygit2.GitError):
                yield sha, -1, None
