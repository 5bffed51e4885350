"""Reading a source's local file whole, within a size limit.

At most limit + 1 bytes are read, so a 2 GB file (or a sparse one) costs no more
memory than a file at the limit, and is refused with the reason.
"""

from __future__ import annotations

from uptake.errors import SourceError
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
    if len(content) > limit:
        raise SourceError(f"larger than {limit // 2**20} MB: not {what}")
    return content
