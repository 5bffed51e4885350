"""Every past version of a file in a GitHub repository, read through the REST API (PyGithub).

The "top PyPI packages" dump keeps no archive of its own: each monthly snapshot replaced
the last one in the git history of hugovk/top-pypi-packages. `iter_file_history` walks
that history (commits touching the file, oldest first) and yields each version's raw bytes
with an origin naming repository, commit and path, so an incremental run skips what the
warehouse already holds.

Tokens: read from the environment inside `github_client` (or passed in), sent only in the
Authorization header, and scrubbed from every message this module raises or logs.
Rate limits: PyGithub's own urllib3 retries are switched off; `_Caller` sleeps through
GitHub's rate limits itself (injectable `sleep`/`clock`) up to a cap on total waiting.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException

from uptake.errors import RateLimitedError, SourceError
from uptake.secrets import redact

log = logging.getLogger(__name__)

# PyGithub logs each request and answer (headers masked, bodies not) at DEBUG: a body can
# quote the token (an error echoing the request), so its records are scrubbed too.
PYGITHUB_LOGGERS = ("github", "github.Requester")

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.github.com"
TOP_PYPI_REPO = "hugovk/top-pypi-packages"
# The file names changed over the repository's life; in order of preference for a commit
# that touched several of them (the same snapshot, minified or not, or copied under the
# new name). Measured on the real history (2018-02-07 .. 2026-04-01):
#   top-pypi-packages-30-days.json      2018-02-07 on, every snapshot (indented)
#   top-pypi-packages-30-days.min.json  2018-02-12 on, most snapshots (minified)
#   top-pypi-packages.min.json          2025-03-01 on (the new name; -30-days kept as copies)
# `top-pypi-packages.json` is left out on purpose: its 2018-01 versions are test dumps
# (one is a bare `date` output), and since 2025-03 it is a copy of the 30-days file.
TOP_PYPI_PATHS: tuple[str, ...] = (
    "top-pypi-packages-30-days.min.json",
    "top-pypi-packages-30-days.json",
    "top-pypi-packages.min.json",
)

MAX_PER_PAGE = 100  # GitHub caps per_page at 100
TOKEN_ENV_VARS = ("GITHUB_TOKEN", "GH_TOKEN")
USER_AGENT = "uptake (PyGithub)"


def github_client(
    token: str | None = None,
    *,
    base_url: str | None = None,
    per_page: int = MAX_PER_PAGE,
    seconds_between_requests: float | None = 0.25,
    timeout: int = 30,
) -> Github:
    """A PyGithub client: authenticated with `token`, else $GITHUB_TOKEN / $GH_TOKEN, else anonymous.

    The API is `base_url`, else $GITHUB_API_URL (as GitHub Actions and Enterprise set it),
    else api.github.com.

    PyGithub's own retries (a urllib3 `GithubRetry` that sleeps through rate limits with
    `time.sleep`, out of our control) are off: `retry=None` means requests' default of 0
    retries, so every 403/429/5xx reaches the caller as a GithubException.
    `seconds_between_requests` is PyGithub's politeness throttle (its default is 0.25 s;
    tests pass 0).
    """
    token = token or _token_from_env()
    return Github(
        auth=Auth.Token(token) if token else None,
        base_url=(base_url or os.environ.get("GITHUB_API_URL") or DEFAULT_BASE_URL).rstrip("/"),
        per_page=max(1, min(int(per_page), MAX_PER_PAGE)),
        retry=None,
        seconds_between_requests=seconds_between_requests,
        timeout=timeout,
        user_agent=USER_AGENT,
    )


def _token_from_env() -> str | None:
    for name in TOKEN_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def iter_file_history(
    repo_full_name: str,
    paths: Sequence[str] | str = TOP_PYPI_PATHS,
    *,
    token: str | None = None,
    base_url: str | None = None,
    known_origins: Iterable[str] = frozenset(),
    per_page: int = MAX_PER_PAGE,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    max_wait: float = 3900.0,
    max_retries: int = 3,
    seconds_between_requests: float | None = 0.25,
) -> Iterator[tuple[str, bytes]]:
    """Yield `(origin, raw bytes)` for every version of `paths` in the repository's history.

    - `paths`: the file's names over time, in order of preference. Commits are listed per
      path (`GET /repos/{repo}/commits?path=`), merged and yielded oldest first (by
      committer date). A commit that touched several of the paths yields ONE file: the
      first path in `paths` that exists at that commit.
    - origin = f"github:{repo_full_name}@{commit_sha}:{path}"; a commit is skipped without
      any content request when any of its candidate origins is in `known_origins`.
    - Content comes from `GET /contents/{path}?ref={sha}`; for files over 1 MB GitHub sends
      no content there (encoding "none") and the git blob API is used instead. The bytes are
      checked against the git blob sha.
    - A path deleted by a commit (the commit touches it, the file is gone) is skipped.
    - Rate limits (403/429 with Retry-After, or X-RateLimit-Remaining: 0) are slept through,
      `max_wait` seconds in total at most, then RateLimitedError names the reset time. 5xx
      and connection errors are retried `max_retries` times (1, 2, 4 ... s), then SourceError.

    The generator talks to GitHub lazily: listing happens at the first `next()`.
    """
    if isinstance(paths, str):
        paths = (paths,)
    paths = tuple(dict.fromkeys(paths))
    if not paths:
        raise ValueError("iter_file_history needs at least one path")
    known = frozenset(known_origins)
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    caller = _Caller(
        token=token, sleep=sleep, clock=clock, max_wait=max_wait, max_retries=max_retries
    )

    gh = github_client(
        token,
        base_url=base_url,
        per_page=per_page,
        seconds_between_requests=seconds_between_requests,
    )
    scrubbing = ScrubbingFilter(caller.scrub)
    for name in PYGITHUB_LOGGERS:
        logging.getLogger(name).addFilter(scrubbing)
    try:
        repo = caller(f"opening GitHub repository {repo_full_name}", gh.get_repo, repo_full_name)
        if repo is _NOT_FOUND:
            raise caller.error(
                SourceError,
                f"GitHub repository {repo_full_name} not found at {gh.requester.base_url}",
            )
        history = _list_history(caller, repo, repo_full_name, paths, per_page)
        log.info("%s: %d commit(s) touch %s", repo_full_name, len(history), ", ".join(paths))
        fetched = skipped = 0
        for entry in history:
            candidates = [paths[i] for i in sorted(entry.path_indexes)]
            origins = [_origin(repo_full_name, entry.sha, path) for path in candidates]
            if known.intersection(origins):
                skipped += 1
                continue
            for path, origin in zip(candidates, origins, strict=True):
                content = _read_file_at(caller, repo, repo_full_name, path, entry.sha)
                if content is None:
                    log.info("%s: %s deleted at %s, skipped", repo_full_name, path, entry.sha)
                    continue
                fetched += 1
                yield origin, content
                break
        log.info("%s: %d version(s) read, %d already known", repo_full_name, fetched, skipped)
    finally:
        for name in PYGITHUB_LOGGERS:
            logging.getLogger(name).removeFilter(scrubbing)
        gh.close()


class ScrubbingFilter(logging.Filter):
    """Rewrites a log record whose message holds the token (see `_Caller.scrub`)."""

    def __init__(self, scrub: Callable[[str], str]) -> None:
        super().__init__()
        self._scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _origin(repo_full_name: str, sha: str, path: str) -> str:
    return f"github:{repo_full_name}@{sha}:{path}"


@dataclass
class _HistoryEntry:
    sha: str
    date: datetime
    first_path: int
    position: int  # oldest first within the first path that listed it
    path_indexes: set[int] = field(default_factory=set)


def _list_history(caller, repo, repo_full_name: str, paths, per_page: int) -> list[_HistoryEntry]:
    """Every commit touching any of `paths`, oldest first, each with the paths it touched."""
    entries: dict[str, _HistoryEntry] = {}
    for index, path in enumerate(paths):
        listing = repo.get_commits(path=path)  # no request until a page is asked for
        newest_first = []
        page_number = 0
        while True:
            page = caller(
                f"listing commits of {repo_full_name}:{path} (page {page_number + 1})",
                listing.get_page,
                page_number,
            )
            if page is _NOT_FOUND:
                raise caller.error(
                    SourceError, f"GitHub: cannot list commits of {repo_full_name}:{path}"
                )
            newest_first.extend(page)
            if len(page) < per_page:
                break
            page_number += 1
        for position, commit in enumerate(reversed(newest_first)):
            entry = entries.get(commit.sha)
            if entry is None:
                entry = entries[commit.sha] = _HistoryEntry(
                    sha=commit.sha,
                    date=_commit_date(commit),
                    first_path=index,
                    position=position,
                )
            entry.path_indexes.add(index)
    return sorted(entries.values(), key=lambda e: (e.date, e.first_path, e.position))


def _commit_date(commit) -> datetime:
    date = commit.commit.committer.date
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return date


def _read_file_at(caller, repo, repo_full_name: str, path: str, sha: str) -> bytes | None:
    """The file's bytes at commit `sha`, or None when the commit deleted it."""
    where = f"{repo_full_name}:{path} at {sha}"
    content_file = caller(f"reading {where}", repo.get_contents, path, ref=sha)
    if content_file is _NOT_FOUND:
        return None
    if isinstance(content_file, list) or content_file.type != "file":
        raise caller.error(SourceError, f"GitHub: {where} is not a file")
    if content_file.encoding == "base64":
        data = base64.b64decode(content_file.content or "")
    else:
        # Over 1 MB the contents API answers encoding "none" and no content; the blob API
        # serves files up to 100 MB.
        blob = caller(
            f"reading blob {content_file.sha} of {where}", repo.get_git_blob, content_file.sha
        )
        if blob is _NOT_FOUND:
            raise caller.error(SourceError, f"GitHub: blob {content_file.sha} of {where} not found")
        if blob.encoding == "base64":
            data = base64.b64decode(blob.content or "")
        else:
            data = (blob.content or "").encode("utf-8")
    if git_blob_sha(data) != content_file.sha:
        raise caller.error(
            SourceError,
            f"GitHub: content of {where} does not match its blob sha {content_file.sha}"
            f" ({len(data)} bytes read, {content_file.size} expected)",
        )
    return data


def git_blob_sha(data: bytes) -> str:
    """Git's object id for a file with these bytes (what GitHub reports as a file's `sha`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class _NotFound:
    def __repr__(self) -> str:
        return "<not found>"


_NOT_FOUND: Any = _NotFound()


class _Caller:
    """Runs one API call, sleeping through rate limits and retrying transient failures.

    Errors leave as SourceError / RateLimitedError with the token scrubbed, raised outside
    the `except` block so the PyGithub exception (whose body could echo anything) is not
    even attached as `__context__`.
    """

    def __init__(self, *, token, sleep, clock, max_wait: float, max_retries: int) -> None:
        self._token = token
        self._sleep = sleep
        self._clock = clock
        self.max_wait = float(max_wait)
        self.max_retries = int(max_retries)
        self.waited = 0.0

    def scrub(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "***")
        return redact(text)

    def error(self, kind: type[SourceError], message: str) -> SourceError:
        return kind(self.scrub(message))

    def __call__(self, what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        attempt = 0
        while True:
            failure: SourceError | None = None
            pause = 0.0
            try:
                return function(*args, **kwargs)
            except GithubException as exc:
                if exc.status == 404:
                    return _NOT_FOUND
                limited = _rate_limit_wait(exc, self._clock())
                if limited is not None:
                    pause, reset_at = limited
                    if self.waited + pause > self.max_wait:
                        failure = self.error(
                            RateLimitedError,
                            f"GitHub rate limit while {what}: it resets at {_iso(reset_at)}"
                            f" ({pause:.0f} s from now) and {self.waited:.0f} s of the"
                            f" {self.max_wait:.0f} s allowed were already spent waiting;"
                            " run again after the reset (a GITHUB_TOKEN raises the limit)",
                        )
                    else:
                        log.warning(
                            "GitHub rate limit while %s: waiting %.0f s (until %s)",
                            self.scrub(what),
                            pause,
                            _iso(reset_at),
                        )
                        self.waited += pause
                elif exc.status >= 500 and attempt < self.max_retries:
                    pause = float(2**attempt)
                    attempt += 1
                else:
                    failure = self.error(
                        SourceError,
                        f"GitHub API error while {what}: HTTP {exc.status}: {_message(exc)}",
                    )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt < self.max_retries:
                    pause = float(2**attempt)
                    attempt += 1
                else:
                    failure = self.error(
                        SourceError,
                        f"GitHub unreachable while {what}: {type(exc).__name__}: {exc}",
                    )
            if failure is not None:
                raise failure
            self._sleep(pause)


def _rate_limit_wait(exc: GithubException, now: float) -> tuple[float, float] | None:
    """(seconds to wait, epoch of the reset) when `exc` is a rate limit, else None."""
    if exc.status not in (403, 429):
        return None
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        seconds = _parse_retry_after(retry_after, now)
        return seconds, now + seconds
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            reset_at = float(headers["x-ratelimit-reset"])
        except ValueError:
            reset_at = now + 60.0
        # plus one second: the reset happens somewhere within that second, and clocks drift
        return max(reset_at - now, 0.0) + 1.0, reset_at
    if exc.status == 429 or "rate limit" in _message(exc).lower():
        # a secondary limit without Retry-After: GitHub's advice is to wait at least a minute
        return 60.0, now + 60.0
    return None


def _parse_retry_after(value: str, now: float) -> float:
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError):
        return 60.0


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    return str(data or exc.message or "no message")[:300]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
