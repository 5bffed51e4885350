"""An in-memory git repository for the fake GitHub: commits, trees and blobs with git's ids.

    repo = FakeRepo("owner/name")
    c1 = repo.commit({"a.py": "import torch\\n"}, date="2024-04-01T08:13:25Z")
    c2 = repo.commit({"a.py": None})    # None deletes a file
    repo.load_git(path)                 # or: a real local clone's HEAD history

Each commit holds the files it changes on top of its parent, on one linear default branch;
blob, tree and commit shas are real git object ids (the same bytes, dates and author give
the sha `git` computes). `load_git` keeps what git holds: merges (several parents),
symlinks, submodules and executable files.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


def git_blob_sha(data: bytes) -> str:
    return _git_object_sha("blob", data)


def _git_object_sha(kind: str, body: bytes) -> str:
    return hashlib.sha1(b"%s %d\0" % (kind.encode(), len(body)) + body).hexdigest()


def as_datetime(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class TreeEntry:
    name: str
    mode: str  # "100644", "100755", "040000"
    type: str  # "blob" or "tree"
    sha: str
    size: int | None = None  # blobs only


@dataclass
class FakeCommit:
    sha: str
    date: datetime
    message: str
    changes: dict[str, bytes | None]  # what this commit changed; None = deleted
    files: dict[str, bytes]  # the whole tree after this commit
    tree_sha: str
    parent: str | None
    author_name: str
    author_email: str
    merged: tuple[str, ...] = ()  # parents after the first (merge commits)
    author_date: datetime | None = None  # when it differs from the committer date (`date`)

    @property
    def parents(self) -> tuple[str, ...]:
        return ((self.parent,) if self.parent else ()) + self.merged


class FakeRepo:
    """One repository: metadata as /repos/{owner}/{repo} shows it, and a linear history."""

    def __init__(
        self,
        full_name: str,
        *,
        id: int = 1,
        default_branch: str = "main",
        created_at: datetime | str = "2017-12-31T00:00:00Z",
        pushed_at: datetime | str | None = None,
        stargazers_count: int = 0,
        language: str | None = "Python",
        topics: Iterable[str] = (),
        owner_type: str = "User",
        fork: bool = False,
        archived: bool = False,
        description: str | None = None,
    ) -> None:
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository name must be owner/name, got {full_name!r}")
        self.full_name = full_name
        self.owner = owner
        self.name = name
        self.id = id
        self.default_branch = default_branch
        self.created_at = as_datetime(created_at)
        self._pushed_at = as_datetime(pushed_at) if pushed_at is not None else None
        self.stargazers_count = stargazers_count
        self.language = language
        self.topics = list(topics)
        self.owner_type = owner_type
        self.fork = fork
        self.archived = archived
        self.description = description
        self.commits: list[FakeCommit] = []  # oldest first
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, list[TreeEntry]] = {}

    # -- building history --------------------------------------------------------------

    def commit(
        self,
        changes: Mapping[str, bytes | str | None],
        *,
        date: datetime | str | None = None,
        message: str = "Update",
        sha: str | None = None,
        author_name: str = "Deploy Bot",
        author_email: str = "deploybot@example.com",
    ) -> FakeCommit:
        """Add a commit on top of the default branch. `sha` overrides the computed git sha."""
        parent = self.commits[-1] if self.commits else None
        if date is None:
            date = (
                datetime.fromtimestamp(parent.date.timestamp() + 60, UTC)
                if parent
                else self.created_at
            )
        date = as_datetime(date)
        normalized: dict[str, bytes | None] = {}
        for path, content in changes.items():
            path = path.strip("/")
            normalized[path] = content.encode("utf-8") if isinstance(content, str) else content
        files = dict(parent.files) if parent else {}
        for path, content in normalized.items():
            if content is None:
                files.pop(path, None)
            else:
                files[path] = content
                self.blobs[git_blob_sha(content)] = content
        tree_sha = self._store_tree(files)
        if sha is None:
            sha = self._commit_sha(tree_sha, parent.sha if parent else None, date, message,
                                   author_name, author_email)  # fmt: skip
        made = FakeCommit(
            sha=sha,
            date=date,
            message=message,
            changes=normalized,
            files=files,
            tree_sha=tree_sha,
            parent=parent.sha if parent else None,
            author_name=author_name,
            author_email=author_email,
        )
        self.commits.append(made)
        return made

    @property
    def pushed_at(self) -> datetime:
        if self._pushed_at is not None:
            return self._pushed_at
        return self.commits[-1].date if self.commits else self.created_at

    @property
    def head(self) -> FakeCommit | None:
        return self.commits[-1] if self.commits else None

    def resolve(self, ref: str | None) -> FakeCommit | None:
        """A branch name (only the default branch exists), a full sha or a unique prefix."""
        if not ref or ref in (self.default_branch, "HEAD", f"refs/heads/{self.default_branch}"):
            return self.head
        if len(ref) >= 4:
            hits = [c for c in self.commits if c.sha.startswith(ref.lower())]
            if len(hits) == 1:
                return hits[0]
        return None

    def history(self, start: FakeCommit) -> list[FakeCommit]:
        """`start` and every commit reachable from it through any parent, newest first."""
        by_sha = {c.sha: c for c in self.commits}
        reachable, todo = set(), [start.sha]
        while todo:
            sha = todo.pop()
            if sha in reachable or sha not in by_sha:
                continue
            reachable.add(sha)
            todo.extend(by_sha[sha].parents)
        return [c for c in reversed(self.commits) if c.sha in reachable]

    def load_git(self, path: str | Path) -> list[FakeCommit]:
        """Replace the history with a local repository's HEAD history, exactly as git holds it.

        Commits come in git's date order (parents before children, HEAD last), with all
        their parents and dates; trees keep git's modes and entries (120000 symlinks,
        160000 submodules as type "commit"); every reachable blob is served.
        """
        path = str(path)

        def git(*args: str, stdin: bytes | None = None) -> bytes:
            return subprocess.run(["git", "-C", path, *args], input=stdin,
                                  capture_output=True, check=True).stdout  # fmt: skip

        objects = [
            line.split()[0].decode() for line in git("rev-list", "--objects", "HEAD").splitlines()
        ]
        self.blobs, self.trees, raw_trees = {}, {}, {}
        for sha, kind, body in _cat_file_batch(git, objects):
            if kind == "blob":
                self.blobs[sha] = body
            elif kind == "tree":
                raw_trees[sha] = body
        for sha, body in raw_trees.items():
            self.trees[sha] = list(_parse_git_tree(body, self.blobs))
        log = git("log", "--date-order", "--reverse", "-z",
                  "--format=%H%x01%P%x01%T%x01%ct%x01%at%x01%an%x01%ae%x01%B", "HEAD")  # fmt: skip
        self.commits, files_at = [], {}
        for record in filter(None, log.decode().split("\0")):
            sha, parents, tree, ct, at, name, email, message = record.split("\x01")
            parents = parents.split()
            files = files_at[sha] = dict(self._tree_files(tree, ""))
            before = files_at.get(parents[0], {}) if parents else {}
            changes: dict[str, bytes | None] = {
                p: c for p, c in files.items() if before.get(p) != c
            }
            changes.update({p: None for p in before if p not in files})
            self.commits.append(
                FakeCommit(
                    sha=sha,
                    date=datetime.fromtimestamp(int(ct), UTC),
                    message=message.rstrip("\n"),
                    changes=changes,
                    files=files,
                    tree_sha=tree,
                    parent=parents[0] if parents else None,
                    author_name=name,
                    author_email=email,
                    merged=tuple(parents[1:]),
                    author_date=datetime.fromtimestamp(int(at), UTC),
                )
            )
        return self.commits

    def _tree_files(self, sha: str, prefix: str) -> Iterator[tuple[str, bytes]]:
        for entry in self.trees[sha]:
            if entry.type == "tree":
                yield from self._tree_files(entry.sha, f"{prefix}{entry.name}/")
            elif entry.type == "blob":
                yield f"{prefix}{entry.name}", self.blobs[entry.sha]

    def _store_tree(self, files: Mapping[str, bytes]) -> str:
        """Store the tree objects for `files` (nested by directory); return the root sha."""
        children: dict[str, dict] = {}
        for path, content in files.items():
            node = children
            *dirs, name = path.split("/")
            for part in dirs:
                node = node.setdefault(part, {})
            node[name] = content
        return self._store_subtree(children)

    def _store_subtree(self, node: dict) -> str:
        entries = []
        for name, value in node.items():
            if isinstance(value, dict):
                entries.append(TreeEntry(name, "040000", "tree", self._store_subtree(value)))
            else:
                entries.append(TreeEntry(name, "100644", "blob", git_blob_sha(value), len(value)))
        # git orders entries by name, a tree's name compared as if it ended with "/"
        entries.sort(key=lambda e: e.name.encode() + (b"/" if e.type == "tree" else b""))
        body = b"".join(
            b"%s %s\0" % (e.mode.lstrip("0").encode(), e.name.encode()) + bytes.fromhex(e.sha)
            for e in entries
        )
        sha = _git_object_sha("tree", body)
        self.trees[sha] = entries
        return sha

    @staticmethod
    def _commit_sha(tree_sha, parent_sha, date, message, author_name, author_email) -> str:
        stamp = f"{author_name} <{author_email}> {int(date.timestamp())} +0000"
        lines = [f"tree {tree_sha}"]
        if parent_sha:
            lines.append(f"parent {parent_sha}")
        lines += [f"author {stamp}", f"committer {stamp}", "", message]
        text = "\n".join(lines)
        if not text.endswith("\n"):
            text += "\n"
        return _git_object_sha("commit", text.encode("utf-8"))


def _cat_file_batch(git, shas: list[str]) -> Iterator[tuple[str, str, bytes]]:
    """(sha, type, content) of each object, read through one `git cat-file --batch`."""
    output = git("cat-file", "--batch", stdin="".join(f"{sha}\n" for sha in shas).encode())
    at = 0
    while at < len(output):
        end = output.index(b"\n", at)
        sha, kind, size = output[at:end].decode().split()
        start = end + 1
        yield sha, kind, output[start : start + int(size)]
        at = start + int(size) + 1


def _parse_git_tree(body: bytes, blobs: Mapping[str, bytes]) -> Iterator[TreeEntry]:
    """A raw tree object's entries (`<mode> <name>\\0<20-byte sha>` each), in git's order."""
    at = 0
    while at < len(body):
        space = body.index(b" ", at)
        nul = body.index(b"\0", space)
        mode = body[at:space].decode().zfill(6)
        sha = body[nul + 1 : nul + 21].hex()
        kind = {"040000": "tree", "160000": "commit"}.get(mode, "blob")
        name = body[space + 1 : nul].decode(errors="replace")
        yield TreeEntry(name, mode, kind, sha, len(blobs[sha]) if kind == "blob" else None)
        at = nul + 21
