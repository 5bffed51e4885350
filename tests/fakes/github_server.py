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

This module holds the server, its scripting and rate limits; the git model is in
git_model.py, the JSON answers in github_repos_api.py and github_contents_api.py, the
search query parser in github_search.py. The names tests use are re-exported from here.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.fakes.git_model import FakeCommit, FakeRepo, TreeEntry, git_blob_sha
from tests.fakes.github_contents_api import CONTENTS_INLINE_LIMIT, ContentAnswers
from tests.fakes.github_repos_api import DEFAULT_PER_PAGE, DOCS, MAX_PER_PAGE, not_found
from tests.fakes.loopback import LoopbackServer, QuietHandler

__all__ = [
    "CONTENTS_INLINE_LIMIT",
    "DEFAULT_PER_PAGE",
    "DOCS",
    "MAX_PER_PAGE",
    "PRIMARY_LIMIT_MESSAGE",
    "SECONDARY_LIMIT_MESSAGE",
    "FakeCommit",
    "FakeGitHub",
    "FakeRepo",
    "RecordedRequest",
    "ScriptedResponse",
    "TreeEntry",
    "git_blob_sha",
    "github_server",
]

PRIMARY_LIMIT_MESSAGE = (
    "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests"
    " get a higher rate limit. Check out the documentation for more details.)"
)
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    " If you reach out to GitHub Support for help, please include the request ID 0000:0000."
)

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


class FakeGitHub(LoopbackServer, ContentAnswers):
    """The fake's state and HTTP server; `start()` binds a free port on 127.0.0.1."""

    block_on_close = False  # keep-alive connections must not block stop()
    thread_name = "fake-github"

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

    # -- answering ---------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

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
            status, extra, payload = 404, {}, not_found()
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
            return 404, {}, not_found()
        repo = self.repos.get(f"{match[1]}/{match[2]}".lower())
        if repo is None:
            return 404, {}, not_found()
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
        return 404, {}, not_found()

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


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # an idle keep-alive connection is dropped after this long

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            status, headers, body = fake.handle(self.command, self.path, dict(self.headers.items()))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    return Handler


@pytest.fixture
def github_server() -> Iterator[FakeGitHub]:
    """A started, empty fake GitHub; add repositories with `github_server.add_repo(...)`."""
    with FakeGitHub() as server:
        yield server
