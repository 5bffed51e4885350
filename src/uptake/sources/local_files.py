"""Reading a source's file whole, from disk or over HTTP(S), within a size limit.

At most limit + 1 bytes are read, so a 2 GB file (or a sparse one) costs no more
memory than a file at the limit, and is refused with the reason.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from uptake.errors import RateLimitedError, SourceError
from uptake.secrets import carries_credentials, redact
from uptake.sources.unicode_text import invalid_text


def read_bounded(path: str, limit: int, what: str) -> bytes:
    """The bytes of `path`; SourceError naming why when unreadable or over `limit` bytes."""
    if invalid_text([path]) is not None:
        raise SourceError("the file name is not valid UTF-8: rename the file")
    try:
        with open(path, "rb") as handle:
            content = handle.read(limit + 1)
    except OSError as exc:
        raise SourceError(f"cannot read: {exc}") from None
    return _within(content, limit, what)


def read_location(location: str, limit: int, what: str, *, timeout: float = 60.0) -> bytes:
    """A local file's bytes, or an http(s) URL's body. HTTP 429 raises RateLimitedError and
    other 4xx SourceError (no use retrying); network failures and 5xx raise OSError, which
    callers may retry."""
    if not is_url(location):
        return read_bounded(location, limit, what)
    if carries_credentials(location):
        # Stored with the load as its origin, it would keep the credential in the warehouse.
        raise SourceError(
            f"{redact(location)}: a URL carrying a user, password, token or signature is "
            "refused; serve the file without one, or download it and give the path"
        )
    request = urllib.request.Request(location, headers={"User-Agent": "uptake"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only)
            content = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 429:
            raise RateLimitedError(f"{location} answered HTTP 429 (rate limited)") from None
        if 400 <= exc.code < 500:
            raise SourceError(f"{location} answered HTTP {exc.code} {exc.reason}") from None
        raise OSError(f"{location} answered HTTP {exc.code} {exc.reason}") from None
    return _within(content, limit, what)


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def expand_folders(locations: Iterable[str | Path], wanted: Callable[[str], bool]) -> list[str]:
    """Each folder becomes the files in it whose name is `wanted`, sorted; files and URLs
    pass through as given (a missing one is the loader's to reject, with the reason)."""
    expanded: list[str] = []
    for location in locations:
        path = Path(location)
        if not is_url(str(location)) and path.is_dir():
            expanded.extend(str(p) for p in sorted(path.iterdir()) if wanted(p.name))
        else:
            expanded.append(str(location))
    return expanded


def _within(content: bytes, limit: int, what: str) -> bytes:
    if len(content) > limit:
        raise SourceError(f"larger than {limit // 2**20} MB: not {what}")
    return content


def gunzip_bounded(content: bytes, limit: int, what: str) -> bytes:
    """The inflated bytes of every gzip member (as `cat a.gz b.gz` writes), read in bounded
    steps so that a gzip bomb is refused, not inflated. Plain bytes pass through."""
    if content[:2] != b"\x1f\x8b":
        return content
    parts, total, rest = [], 0, content
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        try:
            part = inflater.decompress(rest, limit + 1 - total)
        except zlib.error as exc:
            raise SourceError(f"corrupt gzip: {exc}") from None
        total += len(part)
        if total > limit or inflater.unconsumed_tail:
            raise SourceError(f"gzip inflates past {limit // 2**20} MB: not {what}")
        if not inflater.eof:
            raise SourceError("corrupt gzip: truncated")
        parts.append(part)
        rest = inflater.unused_data
    return b"".join(parts)
