"""Stream the records of a large JSON array dump, one at a time, with bounded memory.

The Papers with Code dumps are one JSON array each, hundreds of MB unpacked. The reader
keeps one chunk of text in memory and lets the C scanner of the standard `json` module
(`JSONDecoder.raw_decode`) decode one record at a time from it. A record that does not
decode is skipped to its closing brace and reported with its index; the records after
it still come out. Newline-delimited records (one object per line) read the same way.

A dump that ends early (a truncated gzip, an array without its closing bracket) raises
DumpError when the end is reached: the caller must discard what it took from the file.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from uptake.errors import SourceError

CHUNK_CHARS = 1 << 20
# No real record comes near this; a "record" this large means the file is not a dump.
MAX_RECORD_CHARS = 64 << 20
PARQUET_BATCH_ROWS = 20_000
_GZIP_MAGIC = b"\x1f\x8b"
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# For skipping a malformed record: strings (possibly cut at the buffer's end) and brackets.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\Z)|[\[\]{}]', re.DOTALL)
_SEPARATOR = re.compile(r"[,\]]")
_decoder = json.JSONDecoder()


class DumpError(SourceError):
    """The dump as a whole cannot be read (truncated, corrupt, not a JSON array)."""


@dataclass(frozen=True)
class Malformed:
    """A record that could not be decoded; the records around it still load."""

    reason: str


def open_text(path: str | Path) -> TextIO:
    """The file as text, gunzipped when it starts with the gzip magic bytes."""
    raw = open(path, "rb")  # noqa: SIM115 (closed through the wrapper)
    binary = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == _GZIP_MAGIC else raw
    # A stray invalid byte spoils one string, not the dump.
    return io.TextIOWrapper(binary, encoding="utf-8", errors="replace")


def iter_json_records(path: str | Path) -> Iterator[tuple[int, dict | Malformed]]:
    """(index, record) for every element of the dump's top-level array, in order."""
    try:
        with open_text(path) as text:
            yield from _records(_Buffer(text))
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DumpError(f"truncated or corrupt gzip: {exc}") from None


def iter_parquet_records(
    path: str | Path, wanted: tuple[str, ...]
) -> Iterator[tuple[int, dict | Malformed]]:
    """(index, record) for every row; columns the file lacks come out as None."""
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise DumpError(f"not a Parquet file: {exc}") from None
    present = [name for name in wanted if name in parquet.schema_arrow.names]
    index = 0
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=present):
            for row in batch.to_pylist():
                yield index, row
                index += 1
    except (OSError, pa.ArrowException) as exc:
        raise DumpError(f"corrupt Parquet file: {exc}") from None


class _Buffer:
    """A window of decoded text over the stream; `pos` is the next character to read."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.text = ""
        self.pos = 0
        self.eof = False

    def fill(self) -> bool:
        """Append the next chunk, dropping what was consumed; False at the end of the file."""
        # As large as what is held (up to the limit), so a record spanning many chunks is
        # decoded a few times, its size doubling each time, not once per chunk.
        held = len(self.text) - self.pos
        wanted = max(CHUNK_CHARS, min(held, MAX_RECORD_CHARS + 1 - held))
        chunk = "" if self.eof else self.stream.read(wanted)
        if not chunk:
            self.eof = True
            return False
        if len(self.text) - self.pos > MAX_RECORD_CHARS:
            raise DumpError(f"a record is larger than {MAX_RECORD_CHARS // 2**20} MB: not a dump")
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end), moving past blanks."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""


def _records(buffer: _Buffer) -> Iterator[tuple[int, dict | Malformed]]:
    first = buffer.peek()
    if first == "[":
        in_array = True
        buffer.pos += 1
    elif first == "{":
        in_array = False  # newline-delimited or concatenated objects
    elif first == "":
        raise DumpError("empty file: not a dump")
    else:
        raise DumpError(f"not a JSON array of records: it starts with {first!r}")
    index = 0
    while True:
        next_char = buffer.peek()
        if next_char == ",":
            buffer.pos += 1
            next_char = buffer.peek()
        if in_array and next_char == "]":
            buffer.pos += 1
            if buffer.peek():
                raise DumpError(f"data after the end of the array (after {index:,} records)")
            return
        if next_char == "":
            if in_array:
                raise DumpError(f"truncated: the array ends after {index:,} records without ']'")
            return
        yield index, _next_record(buffer)
        index += 1


def _next_record(buffer: _Buffer) -> dict | Malformed:
    while True:
        try:
            record, end = _decoder.raw_decode(buffer.text, buffer.pos)
        except json.JSONDecodeError as exc:
            if _needs_more_text(exc, buffer) and buffer.fill():
                continue
            if exc.pos >= len(buffer.text) or exc.msg.startswith("Unterminated string"):
                raise DumpError("truncated: the file ends inside a record") from None
            column = exc.pos - buffer.pos
            buffer.pos = _end_of_malformed(buffer)
            return Malformed(f"malformed JSON: {exc.msg} (character {column} of the record)")
        except RecursionError:
            # Nesting deeper than Python's stack: skipped by its brackets, which need no stack.
            buffer.pos = _end_of_malformed(buffer)
            return Malformed("JSON nested too deep to read")
        buffer.pos = end
        if not isinstance(record, dict):
            return Malformed(f"not a JSON object: {type(record).__name__}")
        return record


def _needs_more_text(exc: json.JSONDecodeError, buffer: _Buffer) -> bool:
    """Did decoding fail only because the record goes on past the text read so far?"""
    return exc.pos >= len(buffer.text) - 8 or exc.msg.startswith("Unterminated string")


def _end_of_malformed(buffer: _Buffer) -> int:
    """Where a malformed record ends: its closing bracket, or the next separator.

    Brackets inside strings do not count. A record whose quotes or brackets are broken
    may take the records after it along; they are reported together as this one.
    """
    while True:
        text, start = buffer.text, buffer.pos
        if text[start] not in "{[":
            separator = _SEPARATOR.search(text, start)
            if separator:
                return separator.start()
        else:
            depth = 0
            for token in _STRUCTURE.finditer(text, start):
                symbol = token.group()
                if symbol[0] == '"':
                    if token.end() == len(text) and not (len(symbol) > 1 and symbol[-1] == '"'):
                        break  # a string cut at the end of the buffer: read more
                elif symbol in "{[":
                    depth += 1
                else:
                    depth -= 1
                    if depth == 0:
                        return token.end()
        if not buffer.fill():
            raise DumpError("truncated: the file ends inside a malformed record")
