"""A fake GitHub REST API v3 on 127.0.0.1, served from an in-memory git model.

    server = FakeGitHub().start()            # or the `github_server` fixture
    repo = server.add_repo("hugovk/top-pypi-packages", stargazers_count=900)
    c1 = repo.commit({"data.json": b"{}", "src/a.py": "import torch\\n"},
                     date="2024-04-01T08:13:25Z", message="Deploy")
    c2 = repo.commit({"data.json": b"{...}", "src/a.py": None})   # None deletes a file
    Github(base_url=server.base_url, retry=None, seconds_between_requests=0) ...

    server.secondary_rate_limit(retry_after=2, match="/contents/")   # one 403 + Retry-After
    server.primary_rate_limit(reset_at=epoch, times=1)                # 403, remaining 0
    server.fail(500, times=None, echo_authorization=True)             # every request fails
    server.requests / server.authorization_headers() / server.requests_to("/git/blobs/")

The model is git's: each commit holds the files it changes (bytes, str or None for a
deletion) on top of its parent, on one linear default branch. Blob, tree and commit shas
are real git object ids (the same bytes, dates and author give the sha `git` computes), so
the fake can serve a repository for import mining as well as a file's history.
`server.add_git_repo("owner/name", path)` serves a real local clone's HEAD history instead:
merges (several parents), symlinks, submodules and executable files as git stores them.

Endpoints (GET only), with the JSON shapes PyGithub reads:
  /rate_limit
  /repos/{owner}/{repo}
  /repos/{owner}/{repo}/commits?sha=&path=&since=&until=&per_page=&page=   (Link paging)
  /repos/{owner}/{repo}/commits/{ref}
  /repos/{owner}/{repo}/git/commits/{sha}
  /repos/{owner}/{repo}/contents/{path}?ref=   (files over 1 MB: encoding "none", content "")
  /repos/{owner}/{repo}/git/blobs/{sha}
  /repos/{owner}/{repo}/git/trees/{ref-or-sha}?recursive=1   (`tree_entry_limit` truncates)
  /repos/{owner}/{repo}/branches/{branch}
  /search/repositories?q=&sort=&order=&per_page=&page=   (language:, created:, stars:,
      topic:, fork: qualifiers; at most `search_result_cap` (1,000) results, as GitHub)
Every answer carries X-RateLimit-Limit/Remaining/Reset/Used/Resource headers (5,000 an
hour with an Authorization header, 60 without, counted per credential); with
`enforce_rate_limit = True` an exhausted bucket answers the real primary-limit 403.
Scripted failures are served first, in the order added, to requests whose path matches.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import pytest

CONTENTS_INLINE_LIMIT = 1024 * 1024  # the contents API sends no content above 1 MB
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30
DOCS = "https://docs.github.com/rest"
PRIMARY_LIMIT_MESSAGE = (
    "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests"
    " get a higher rate limit. Check out the documentation for more details.)"
)
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    " If you reach out to GitHub Support for help, please include the request ID 0000:0000."
)


def git_blob_sha(data: bytes) -> str:
    return _git_object_sha("blob", data)


def _git_object_sha(kind: str, body: bytes) -> str:
    return hashlib.sha1(b"%s %d\0" % (kind.encode(), len(body)) + body).hexdigest()


def _as_datetime(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the model ---------------------------------------------------------------------------


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
        self.created_at = _as_datetime(created_at)
        self._pushed_at = _as_datetime(pushed_at) if pushed_at is not None else None
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
        date = _as_datetime(date)
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


# -- scripting and records ---------------------------------------------------------------


@dataclass
class ScriptedResponse:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    match: str | None = None  # regex searched in the request path (query excluded)
    times: int | None = 1  # None: forever
    echo_authorization: bool = False  # put the received Authorization header in the body
    served: int = 0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # unquoted, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    status: int

    @property
    def authorization(self) -> str | None:
        for name, value in self.headers.items():
            if name.lower() == "authorization":
                return value
        return None

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


class _Bucket:
    def __init__(self, limit: int, reset: int) -> None:
        self.limit = limit
        self.used = 0
        self.reset = reset


# -- the server --------------------------------------------------------------------------


class FakeGitHub:
    """The fake's state and HTTP server; `start()` binds a free port on 127.0.0.1."""

    def __init__(self, repos: Iterable[FakeRepo] = (), *, clock: Callable[[], float] = time.time):
        self.repos: dict[str, FakeRepo] = {}
        for repo in repos:
            self.repos[repo.full_name.lower()] = repo
        self.clock = clock
        self.requests: list[RecordedRequest] = []
        self.contents_inline_limit = CONTENTS_INLINE_LIMIT
        self.tree_entry_limit: int | None = None
        self.search_result_cap = 1000  # GitHub serves the first 1,000 results of a search only
        self.enforce_rate_limit = False
        self.authenticated_limit = 5000
        self.anonymous_limit = 60
        self._scripts: list[ScriptedResponse] = []
        self._buckets: dict[tuple[str | None, str], _Bucket] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- arranging ---------------------------------------------------------------------

    def add_repo(self, full_name: str, **metadata) -> FakeRepo:
        """A new repository (see FakeRepo for the metadata keywords); returns it for commits."""
        repo = FakeRepo(full_name, id=len(self.repos) + 1, **metadata)
        self.repos[full_name.lower()] = repo
        return repo

    def add_git_repo(self, full_name: str, path: str | Path, **metadata) -> FakeRepo:
        """A repository serving a local git repository's HEAD history (see FakeRepo.load_git)."""
        repo = self.add_repo(full_name, **metadata)
        repo.load_git(path)
        return repo

    def fail(
        self,
        status: int,
        message: str = "Server Error",
        *,
        match: str | None = None,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        echo_authorization: bool = False,
    ) -> ScriptedResponse:
        """Answer matching requests with `status` and GitHub's error body, `times` times."""
        scripted = ScriptedResponse(
            status=status,
            body={"message": message, "documentation_url": DOCS, "status": str(status)},
            headers=dict(headers or {}),
            match=match,
            times=times,
            echo_authorization=echo_authorization,
        )
        with self._lock:
            self._scripts.append(scripted)
        return scripted

    def secondary_rate_limit(
        self, retry_after: int | None = 60, *, match: str | None = None, times: int | None = 1,
        status: int = 403,
    ) -> ScriptedResponse:  # fmt: skip
        """GitHub's secondary (abuse) limit: 403 (or 429), usually with Retry-After."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return self.fail(status, SECONDARY_LIMIT_MESSAGE, match=match, times=times, headers=headers)

    def primary_rate_limit(
        self, reset_at: float | None = None, *, reset_in: float = 3600, match: str | None = None,
        times: int | None = 1, status: int = 403,
    ) -> ScriptedResponse:  # fmt: skip
        """The hourly limit used up: 403 with X-RateLimit-Remaining: 0 and the reset epoch."""
        reset = int(reset_at if reset_at is not None else self.clock() + reset_in)
        headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
        return self.fail(status, PRIMARY_LIMIT_MESSAGE, match=match, times=times, headers=headers)

    def clear_scripts(self) -> None:
        with self._lock:
            self._scripts.clear()

    # -- inspecting --------------------------------------------------------------------

    def authorization_headers(self) -> list[str | None]:
        """The Authorization header of every request, in order (None when absent)."""
        return [r.authorization for r in self.requests]

    def requests_to(self, pattern: str) -> list[RecordedRequest]:
        """Requests whose path matches the regex `pattern`."""
        return [r for r in self.requests if re.search(pattern, r.path)]

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the fake GitHub is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGitHub:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False  # keep-alive connections must not block stop()
        httpd.fake = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-github",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- answering ---------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str]):
        """(status, headers, body bytes) for one request; records it."""
        split = urlsplit(raw_path)
        path = unquote(split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        resource = "search" if path.startswith("/search/") else "core"
        with self._lock:
            bucket = self._bucket(authorization, resource)
            scripted = self._take_script(path)
            counted = path != "/rate_limit"
            if counted:
                bucket.used += 1
            rate_headers = self._rate_headers(bucket, resource)
        if scripted is not None:
            body = dict(scripted.body)
            if scripted.echo_authorization:
                body["message"] = f"{body['message']} (request had Authorization: {authorization})"
            status, extra, payload = scripted.status, scripted.headers, body
        elif self.enforce_rate_limit and counted and bucket.used > bucket.limit:
            status, extra, payload = (
                403,
                {"X-RateLimit-Remaining": "0"},
                {"message": PRIMARY_LIMIT_MESSAGE, "documentation_url": DOCS},
            )
        elif method != "GET":
            status, extra, payload = 404, {}, _not_found()
        else:
            status, extra, payload = self._route(path, query, authorization)
        out_headers = {**rate_headers, **extra}
        out_headers.setdefault("Content-Type", "application/json; charset=utf-8")
        out_headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, dict(headers), status))
        return status, out_headers, json.dumps(payload).encode("utf-8")

    def _take_script(self, path: str) -> ScriptedResponse | None:
        for scripted in self._scripts:
            if scripted.match is not None and not re.search(scripted.match, path):
                continue
            if scripted.times is not None and scripted.served >= scripted.times:
                continue
            scripted.served += 1
            return scripted
        return None

    def _bucket(self, authorization: str | None, resource: str) -> _Bucket:
        now = int(self.clock())
        key = (authorization, resource)
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.reset:
            if resource == "search":
                limit = 30 if authorization else 10
            else:
                limit = self.authenticated_limit if authorization else self.anonymous_limit
            bucket = self._buckets[key] = _Bucket(
                limit, now + (60 if resource == "search" else 3600)
            )
        return bucket

    @staticmethod
    def _rate_headers(bucket: _Bucket, resource: str) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(bucket.limit - bucket.used, 0)),
            "X-RateLimit-Reset": str(bucket.reset),
            "X-RateLimit-Used": str(min(bucket.used, bucket.limit)),
            "X-RateLimit-Resource": resource,
        }

    def _route(self, path: str, query: dict[str, list[str]], authorization: str | None):
        if path == "/rate_limit":
            return 200, {}, self._rate_limit_json(authorization)
        if path == "/search/repositories":
            return self._search_answer({k: v[-1] for k, v in query.items()})
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if not match:
            return 404, {}, _not_found()
        repo = self.repos.get(f"{match[1]}/{match[2]}".lower())
        if repo is None:
            return 404, {}, _not_found()
        rest = match[3] or ""
        params = {k: v[-1] for k, v in query.items()}
        routes = (
            (r"", self._repo_answer),
            (r"/commits", self._commits_answer),
            (r"/commits/(?P<ref>[^/]+)", self._commit_answer),
            (r"/git/commits/(?P<ref>[0-9a-fA-F]+)", self._git_commit_answer),
            (r"/contents(?:/(?P<path>.*))?", self._contents_answer),
            (r"/git/blobs/(?P<sha>[0-9a-fA-F]+)", self._blob_answer),
            (r"/git/trees/(?P<ref>.+)", self._tree_answer),
            (r"/branches/(?P<branch>.+)", self._branch_answer),
        )
        for pattern, answer in routes:
            found = re.fullmatch(pattern, rest)
            if found:
                return answer(repo, params, **found.groupdict())
        return 404, {}, _not_found()

    # -- JSON shapes -------------------------------------------------------------------

    def _api(self, repo: FakeRepo) -> str:
        return f"{self.base_url}/repos/{repo.full_name}"

    def _repo_answer(self, repo: FakeRepo, params):
        api = self._api(repo)
        html = f"https://github.com/{repo.full_name}"
        return (
            200,
            {},
            {
                "id": repo.id,
                "node_id": f"R_{repo.id}",
                "name": repo.name,
                "full_name": repo.full_name,
                "private": False,
                "owner": {
                    "login": repo.owner,
                    "id": 1000 + repo.id,
                    "node_id": f"U_{repo.owner}",
                    "type": repo.owner_type,
                    "site_admin": False,
                    "url": f"{self.base_url}/users/{repo.owner}",
                    "html_url": f"https://github.com/{repo.owner}",
                },
                "html_url": html,
                "description": repo.description,
                "fork": repo.fork,
                "url": api,
                "commits_url": f"{api}/commits{{/sha}}",
                "contents_url": f"{api}/contents/{{+path}}",
                "git_commits_url": f"{api}/git/commits{{/sha}}",
                "trees_url": f"{api}/git/trees{{/sha}}",
                "blobs_url": f"{api}/git/blobs{{/sha}}",
                "clone_url": f"{html}.git",
                "created_at": _iso(repo.created_at),
                "updated_at": _iso(repo.pushed_at),
                "pushed_at": _iso(repo.pushed_at),
                "size": sum(len(b) for b in repo.blobs.values()) // 1024,
                "stargazers_count": repo.stargazers_count,
                "watchers_count": repo.stargazers_count,
                "watchers": repo.stargazers_count,
                "language": repo.language,
                "forks_count": 0,
                "forks": 0,
                "open_issues_count": 0,
                "open_issues": 0,
                "archived": repo.archived,
                "disabled": False,
                "topics": repo.topics,
                "visibility": "public",
                "default_branch": repo.default_branch,
            },
        )

    def _commit_json(self, repo: FakeRepo, commit: FakeCommit, *, with_files: bool = False):
        api = self._api(repo)
        person = {
            "name": commit.author_name,
            "email": commit.author_email,
            "date": _iso(commit.date),
        }
        author = person | {"date": _iso(commit.author_date or commit.date)}
        answer = {
            "sha": commit.sha,
            "node_id": f"C_{commit.sha[:12]}",
            "url": f"{api}/commits/{commit.sha}",
            "html_url": f"https://github.com/{repo.full_name}/commit/{commit.sha}",
            "comments_url": f"{api}/commits/{commit.sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{commit.sha}",
                "author": author,
                "committer": person,
                "message": commit.message,
                "tree": {"sha": commit.tree_sha, "url": f"{api}/git/trees/{commit.tree_sha}"},
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "author": None,  # no GitHub account matches the fake's authors
            "committer": None,
            "parents": [
                {
                    "sha": parent,
                    "url": f"{api}/commits/{parent}",
                    "html_url": f"https://github.com/{repo.full_name}/commit/{parent}",
                }
                for parent in commit.parents
            ],
        }
        if with_files:
            parent = repo.resolve(commit.parent) if commit.parent else None
            files = []
            for path, content in sorted(commit.changes.items()):
                before = parent.files.get(path) if parent else None
                if content is None:
                    status, blob = "removed", git_blob_sha(before or b"")
                else:
                    status = "added" if before is None else "modified"
                    blob = git_blob_sha(content)
                files.append({
                    "sha": blob,
                    "filename": path,
                    "status": status,
                    "additions": 0,
                    "deletions": 0,
                    "changes": 0,
                    "blob_url": f"https://github.com/{repo.full_name}/blob/{commit.sha}/{path}",
                    "raw_url": f"https://github.com/{repo.full_name}/raw/{commit.sha}/{path}",
                    "contents_url": f"{api}/contents/{quote(path)}?ref={commit.sha}",
                })  # fmt: skip
            answer["files"] = files
            answer["stats"] = {"total": 0, "additions": 0, "deletions": 0}
        return answer

    def _commits_answer(self, repo: FakeRepo, params):
        start = repo.resolve(params.get("sha"))
        if start is None:
            if not repo.commits:
                return 409, {}, {"message": "Git Repository is empty.", "documentation_url": DOCS}
            return 404, {}, {"message": f"No commit found for SHA: {params.get('sha')}",
                             "documentation_url": DOCS}  # fmt: skip
        history = repo.history(start)  # newest first, through every parent as GitHub lists
        if params.get("path"):
            history = [c for c in history if _touches(c, params["path"].strip("/"))]
        if params.get("since"):
            since = _as_datetime(params["since"])
            history = [c for c in history if c.date >= since]
        if params.get("until"):
            until = _as_datetime(params["until"])
            history = [c for c in history if c.date <= until]
        page, per_page, links = self._paginate(repo, "commits", params, len(history))
        chosen = history[(page - 1) * per_page : page * per_page]
        return 200, links, [self._commit_json(repo, c) for c in chosen]

    def _paginate(self, repo: FakeRepo | None, endpoint: str, params, total: int):
        try:
            per_page = min(max(int(params.get("per_page", DEFAULT_PER_PAGE)), 1), MAX_PER_PAGE)
            page = max(int(params.get("page", 1)), 1)
        except ValueError:
            per_page, page = DEFAULT_PER_PAGE, 1
        last = max((total + per_page - 1) // per_page, 1)
        rels = []
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels += [("first", 1), ("prev", min(page - 1, last))]
        links = {}
        if rels:
            base = {k: v for k, v in params.items() if k != "page"}
            base["per_page"] = str(per_page)
            url = f"{self._api(repo) if repo else self.base_url}/{endpoint}"
            links["Link"] = ", ".join(
                f'<{url}?{urlencode({**base, "page": str(n)})}>; rel="{rel}"' for rel, n in rels
            )
        return page, per_page, links

    def _branch_answer(self, repo: FakeRepo, params, branch: str):
        if branch != repo.default_branch or repo.head is None:
            return 404, {}, {"message": "Branch not found", "documentation_url": DOCS}
        api = self._api(repo)
        return 200, {}, {
            "name": branch,
            "commit": self._commit_json(repo, repo.head),
            "_links": {"self": f"{api}/branches/{branch}",
                       "html": f"https://github.com/{repo.full_name}/tree/{branch}"},
            "protected": False,
        }  # fmt: skip

    def _search_answer(self, params):
        """GitHub's repository search over the fake's repositories, with its 1,000-result cap."""
        try:
            wanted = _SearchQuery.parse(params.get("q", ""))
        except ValueError as exc:
            return 422, {}, {"message": "Validation Failed", "errors": [{"message": str(exc)}],
                             "documentation_url": DOCS}  # fmt: skip
        found = [r for r in self.repos.values() if wanted.matches(r)]
        if params.get("sort") == "stars":
            found.sort(
                key=lambda r: (r.stargazers_count, -r.id), reverse=params.get("order") != "asc"
            )
        else:
            found.sort(key=lambda r: r.id)
        served = found[: self.search_result_cap]
        page, per_page, links = self._paginate(None, "search/repositories", params, len(served))
        if (page - 1) * per_page >= self.search_result_cap:
            return 422, {}, {"message": f"Only the first {self.search_result_cap} search results"
                             " are available", "documentation_url": DOCS}  # fmt: skip
        chosen = served[(page - 1) * per_page : page * per_page]
        items = [self._repo_answer(r, {})[2] | {"score": 1.0} for r in chosen]
        return 200, links, {"total_count": len(found), "incomplete_results": False, "items": items}

    def _commit_answer(self, repo: FakeRepo, params, ref: str):
        commit = repo.resolve(ref)
        if commit is None:
            return (
                422,
                {},
                {"message": f"No commit found for SHA: {ref}", "documentation_url": DOCS},
            )
        return 200, {}, self._commit_json(repo, commit, with_files=True)

    def _git_commit_answer(self, repo: FakeRepo, params, ref: str):
        commit = repo.resolve(ref)
        if commit is None or commit.sha != ref.lower():
            return 404, {}, _not_found()
        return (
            200,
            {},
            self._commit_json(repo, commit)["commit"]
            | {
                "sha": commit.sha,
                "node_id": f"C_{commit.sha[:12]}",
                "parents": self._commit_json(repo, commit)["parents"],
            },
        )

    def _contents_answer(self, repo: FakeRepo, params, path: str | None = None):
        ref = params.get("ref")
        commit = repo.resolve(ref)
        if commit is None:
            message = (
                "This repository is empty."
                if not repo.commits
                else f"No commit found for the ref {ref}"
            )
            return 404, {}, {"message": message, "documentation_url": DOCS, "status": "404"}
        path = (path or "").strip("/")
        ref_name = ref or repo.default_branch
        if path in commit.files:
            return (
                200,
                {},
                self._content_json(repo, path, commit.files[path], ref_name, inline=True),
            )
        prefix = f"{path}/" if path else ""
        children: dict[str, bytes | None] = {}
        for file_path, content in commit.files.items():
            if file_path.startswith(prefix):
                head, _, tail = file_path[len(prefix) :].partition("/")
                children[head] = None if tail else content
        if not children:
            return 404, {}, _not_found()
        listing = []
        for name, content in sorted(children.items()):
            child = f"{prefix}{name}"
            if content is None:
                listing.append(self._dir_json(repo, commit, child, ref_name))
            else:
                listing.append(self._content_json(repo, child, content, ref_name, inline=False))
        return 200, {}, listing

    def _content_json(self, repo: FakeRepo, path: str, content: bytes, ref: str, *, inline: bool):
        api = self._api(repo)
        sha = git_blob_sha(content)
        answer = {
            "type": "file",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": len(content),
            "url": f"{api}/contents/{quote(path)}?ref={ref}",
            "html_url": f"https://github.com/{repo.full_name}/blob/{ref}/{path}",
            "git_url": f"{api}/git/blobs/{sha}",
            "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
            "_links": {
                "self": f"{api}/contents/{quote(path)}?ref={ref}",
                "git": f"{api}/git/blobs/{sha}",
                "html": f"https://github.com/{repo.full_name}/blob/{ref}/{path}",
            },
        }
        if inline:
            if len(content) > self.contents_inline_limit:
                answer.update(content="", encoding="none")
            else:
                answer.update(content=_base64_lines(content), encoding="base64")
        return answer

    def _dir_json(self, repo: FakeRepo, commit: FakeCommit, path: str, ref: str):
        api = self._api(repo)
        sha = self._subtree_sha(repo, commit, path)
        return {
            "type": "dir",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": 0,
            "url": f"{api}/contents/{quote(path)}?ref={ref}",
            "html_url": f"https://github.com/{repo.full_name}/tree/{ref}/{path}",
            "git_url": f"{api}/git/trees/{sha}",
            "download_url": None,
            "_links": {
                "self": f"{api}/contents/{quote(path)}?ref={ref}",
                "git": f"{api}/git/trees/{sha}",
                "html": f"https://github.com/{repo.full_name}/tree/{ref}/{path}",
            },
        }

    @staticmethod
    def _subtree_sha(repo: FakeRepo, commit: FakeCommit, path: str) -> str:
        sha = commit.tree_sha
        for part in path.split("/"):
            sha = next(e.sha for e in repo.trees[sha] if e.name == part)
        return sha

    def _blob_answer(self, repo: FakeRepo, params, sha: str):
        content = repo.blobs.get(sha.lower())
        if content is None:
            return 404, {}, _not_found()
        return (
            200,
            {},
            {
                "sha": sha.lower(),
                "node_id": f"B_{sha[:12]}",
                "size": len(content),
                "url": f"{self._api(repo)}/git/blobs/{sha.lower()}",
                "content": _base64_lines(content),
                "encoding": "base64",
            },
        )

    def _tree_answer(self, repo: FakeRepo, params, ref: str):
        if ref.lower() in repo.trees:
            root = ref.lower()
        else:
            commit = repo.resolve(ref)
            if commit is None:
                return 404, {}, _not_found()
            root = commit.tree_sha
        recursive = params.get("recursive") not in (None, "", "0", "false")
        entries = list(self._walk_tree(repo, root, "", recursive))
        truncated = self.tree_entry_limit is not None and len(entries) > self.tree_entry_limit
        if truncated:
            entries = entries[: self.tree_entry_limit]
        api = self._api(repo)
        return (
            200,
            {},
            {
                "sha": root,
                "url": f"{api}/git/trees/{root}",
                "tree": [
                    {
                        "path": path,
                        "mode": entry.mode,
                        "type": entry.type,
                        "sha": entry.sha,
                        **({"size": entry.size} if entry.type == "blob" else {}),
                        "url": f"{api}/git/{'blobs' if entry.type == 'blob' else 'trees'}/{entry.sha}",
                    }
                    for path, entry in entries
                ],
                "truncated": truncated,
            },
        )

    def _walk_tree(self, repo: FakeRepo, sha: str, prefix: str, recursive: bool) -> Iterator:
        for entry in repo.trees[sha]:
            path = f"{prefix}{entry.name}"
            yield path, entry
            if recursive and entry.type == "tree":
                yield from self._walk_tree(repo, entry.sha, f"{path}/", recursive)

    def _rate_limit_json(self, authorization: str | None):
        with self._lock:
            resources = {name: self._bucket(authorization, name) for name in ("core", "search")}
        shaped = {
            name: {
                "limit": b.limit,
                "used": min(b.used, b.limit),
                "remaining": max(b.limit - b.used, 0),
                "reset": b.reset,
            }
            for name, b in resources.items()
        }
        return {"resources": shaped, "rate": shaped["core"]}


@dataclass
class _SearchQuery:
    """The qualifiers of a repository search the fake understands; free words are ignored."""

    language: str | None = None
    created: tuple[datetime, datetime] | None = None  # inclusive bounds
    stars: tuple[int, int] | None = None
    topics: tuple[str, ...] = ()
    fork: str = "false"  # GitHub leaves forks out unless fork:true or fork:only

    @classmethod
    def parse(cls, q: str) -> _SearchQuery:
        query = cls()
        for term in q.split():
            key, _, value = term.partition(":")
            if key == "language":
                query.language = value.lower()
            elif key == "created":
                query.created = _date_range(value)
            elif key == "stars":
                query.stars = _int_range(value)
            elif key == "topic":
                query.topics += (value.lower(),)
            elif key == "fork":
                query.fork = value
        return query

    def matches(self, repo: FakeRepo) -> bool:
        if self.language and (repo.language or "").lower() != self.language:
            return False
        if self.created and not self.created[0] <= repo.created_at <= self.created[1]:
            return False
        if self.stars and not self.stars[0] <= repo.stargazers_count <= self.stars[1]:
            return False
        if any(t not in [x.lower() for x in repo.topics] for t in self.topics):
            return False
        return {"true": True, "only": repo.fork}.get(self.fork, not repo.fork)


def _bound(value: str, *, end: bool) -> datetime:
    if "T" in value:
        return _as_datetime(value)
    day = date.fromisoformat(value)
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment.replace(hour=23, minute=59, second=59) if end else moment


def _date_range(value: str) -> tuple[datetime, datetime]:
    low, high = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    if ".." in value:
        start, _, stop = value.partition("..")
        return (low if start == "*" else _bound(start, end=False),
                high if stop == "*" else _bound(stop, end=True))  # fmt: skip
    for op, answer in ((">=", lambda v: (_bound(v, end=False), high)),
                       ("<=", lambda v: (low, _bound(v, end=True))),
                       (">", lambda v: (_bound(v, end=True), high)),
                       ("<", lambda v: (low, _bound(v, end=False)))):  # fmt: skip
        if value.startswith(op):
            return answer(value[len(op) :])
    return _bound(value, end=False), _bound(value, end=True)


def _int_range(value: str) -> tuple[int, int]:
    big = 2**62
    if ".." in value:
        start, _, stop = value.partition("..")
        return (0 if start == "*" else int(start), big if stop == "*" else int(stop))
    for op, answer in ((">=", lambda v: (v, big)), ("<=", lambda v: (0, v)),
                       (">", lambda v: (v + 1, big)), ("<", lambda v: (0, v - 1))):  # fmt: skip
        if value.startswith(op):
            return answer(int(value[len(op) :]))
    return int(value), int(value)


def _touches(commit: FakeCommit, path: str) -> bool:
    if not path:
        return True
    return any(changed == path or changed.startswith(f"{path}/") for changed in commit.changes)


def _base64_lines(content: bytes) -> str:
    """Base64 in 60-character lines, each ending in a newline, as GitHub sends it."""
    encoded = base64.b64encode(content).decode("ascii")
    return "".join(f"{encoded[i : i + 60]}\n" for i in range(0, len(encoded), 60))


def _not_found() -> dict:
    return {"message": "Not Found", "documentation_url": DOCS, "status": "404"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle keep-alive connection is dropped after this long

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        status, headers, body = fake.handle(self.command, self.path, dict(self.headers.items()))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args) -> None:  # silence the default stderr log
        pass


@pytest.fixture
def github_server() -> Iterator[FakeGitHub]:
    """A started, empty fake GitHub; add repositories with `github_server.add_repo(...)`."""
    server = FakeGitHub().start()
    try:
        yield server
    finally:
        server.stop()
