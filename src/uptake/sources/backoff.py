"""What the HTTP sources share when a service says "not now": how long to wait, and the
error once the retries are spent."""

from __future__ import annotations

from uptake.errors import RateLimitedError, SourceError

MAX_RETRY_AFTER_S = 120.0


def retry_wait(delay: float, retry_after: str | None) -> float:
    """The server's Retry-After in seconds (capped) when it sent a usable one, else `delay`."""
    try:
        seconds = float(retry_after) if retry_after is not None else -1.0
    except ValueError:
        return delay  # an HTTP-date or garbage: keep to the backoff
    return min(seconds, MAX_RETRY_AFTER_S) if seconds >= 0 else delay


def retries_exhausted(service: str, url: str, status: int | str, attempts: int) -> SourceError:
    """RateLimitedError when the last answer was 429, else SourceError; both name the URL."""
    if status == 429:
        return RateLimitedError(
            f"rate limited by {service}: {url} answered HTTP 429 on all {attempts} attempts"
        )
    what = f"HTTP {status}" if isinstance(status, int) else status
    return SourceError(f"{service} failed: {url} answered {what} on all {attempts} attempts")
