"""Text that cannot be stored: strings holding lone surrogates.

Python strings can hold lone surrogates (U+D800 to U+DFFF): a JSON escape such as
"\\udcff" decodes to one, and so does a file name whose bytes are not UTF-8
(surrogateescape). DuckDB and Arrow refuse them, and the refusal would fail a whole
batch or load, so sources find them first and reject the record or file that holds them.
"""

from __future__ import annotations

from collections.abc import Iterable


def invalid_text(values: Iterable[object]) -> str | None:
    """A short, storable quote of the first string in `values` (or in lists and tuples
    among them) that is not valid Unicode; None when every string is."""
    for value in values:
        if isinstance(value, str):
            if not value.isascii() and not _encodes(value):
                return printable(value)[:80]
        elif isinstance(value, list | tuple):
            found = invalid_text(value)
            if found is not None:
                return found
    return None


def printable(text: str) -> str:
    """`text` with each lone surrogate written as its escape (`\\udcff`), so it can be stored."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
