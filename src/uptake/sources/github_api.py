"""One GitHub REST API session for many calls: rate limits slept through, the token kept secret.

`github_history` holds the PyGithub client (`retry=None`) and the per-call rules (sleep
through 403/429 with Retry-After or an exhausted X-RateLimit-Remaining, retry 5xx, scrub
the token from errors). A session adds what a long run needs on top of them:

- a primary limit is waited out *before* the request that would be refused: the
  X-RateLimit-Remaining/Reset headers of the last answer say when (one wasted 403 less
  per hour of mining);
- every wait counts against one `max_wait` for the whole session;
- PyGithub's DEBUG log of each request and answer goes through the same token scrubbing
  as errors while the session is open;
- requests are counted, so a run can report what it cost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from github import Github

from uptake.errors import RateLimitedError
from uptake.sources.github_history import (
    _NOT_FOUND,
    MAX_PER_PAGE,
    PYGITHUB_LOGGERS,
    ScrubbingFilter,
    _Caller,
    _iso,
    _token_from_env,
    github_client,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


class GitHubSession:
    """A PyGithub client and the rules to call it; use as a context manager.

    `call(what, function, *args)` runs one API call and returns its result, or None when
    GitHub answers 404. Errors leave as SourceError / RateLimitedError naming `what`.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = 3900.0,
        max_retries: int = 3,
        per_page: int = MAX_PER_PAGE,
        seconds_between_requests: float | None = 0.25,
    ) -> None:
        token = token or _token_from_env()
        self.gh: Github = github_client(
            token,
            base_url=base_url,
            per_page=per_page,
            seconds_between_requests=seconds_between_requests,
        )
        self.base_url = self.gh.requester.base_url
        self.per_page = max(1, min(int(per_page), MAX_PER_PAGE))
        self.requests = 0
        self._caller = _Caller(
            token=token, sleep=sleep, clock=clock, max_wait=max_wait, max_retries=max_retries
        )
        self._sleep = sleep
        self._clock = clock
        self._filter = ScrubbingFilter(self._caller.scrub)
        for name in PYGITHUB_LOGGERS:
            logging.getLogger(name).addFilter(self._filter)

    def __enter__(self) -> GitHubSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for name in PYGITHUB_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)
        self.gh.close()

    def scrub(self, text: str) -> str:
        return self._caller.scrub(text)

    def call(self, what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        self._wait_for_reset(what)

        def attempt() -> T:
            self.requests += 1
            return function(*args, **kwargs)

        result = self._caller(what, attempt)
        return None if result is _NOT_FOUND else result

    def _wait_for_reset(self, what: str) -> None:
        """Sleep until the reset when the last answer said no request is left this hour."""
        requester = self.gh.requester
        remaining, _limit = requester.rate_limiting
        if remaining != 0:
            return
        reset_at = float(requester.rate_limiting_resettime)
        pause = max(reset_at - self._clock(), 0.0) + 1.0  # the reset falls within that second
        caller = self._caller
        if caller.waited + pause > caller.max_wait:
            raise caller.error(
                RateLimitedError,
                f"GitHub rate limit used up before {what}: it resets at {_iso(reset_at)}"
                f" ({pause:.0f} s from now) and {caller.waited:.0f} s of the"
                f" {caller.max_wait:.0f} s allowed were already spent waiting;"
                " run again after the reset (a GITHUB_TOKEN raises the limit)",
            )
        log.warning(
            "GitHub rate limit used up: waiting %.0f s (until %s) before %s",
            pause,
            _iso(reset_at),
            self.scrub(what),
        )
        caller.waited += pause
        self._sleep(pause)
        requester.rate_limiting = (-1, -1)  # unknown until the next answer says
