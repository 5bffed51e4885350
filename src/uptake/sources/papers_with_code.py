"""Papers with Code dumps: links between papers and code, and papers with abstracts.

Each dump is the original gzipped JSON array (streamed, see pwc_stream) or the Parquet
archive (read in batches), from a local path or an HTTP(S) URL (cached with ETag /
Last-Modified, see pwc_download). A dump whose bytes were loaded before is skipped.

Like every uptake loader, a dump is parsed before the load's transaction opens: its
records are checked one by one (pwc_records) and written in batches to a scratch Parquet
file, so memory stays bounded by a batch, and a dump that cannot be read to its end (a
truncated gzip, an array cut short) is rejected whole before anything of it reaches the
warehouse. A bad record goes to meta.rejects with its index; the rest load. Inside the
transaction each dump replaces the rows of the keys it holds, in one set-based insert
(which DuckDB writes to disk as it goes, where many small inserts would stay in memory
until the commit). PwC's `framework` label is data: any label loads.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from uptake.errors import SourceError
from uptake.sources.pwc_download import cache_folder, fetch_dump
from uptake.sources.pwc_records import KINDS, BadRecord, DumpKind, normalise_repo_url
from uptake.sources.pwc_stream import DumpError, Malformed, iter_json_records, iter_parquet_records
from uptake.sources.unicode_text import invalid_text
from uptake.warehouse import Load, Warehouse

__all__ = ["load_dumps", "load_links", "load_papers", "normalise_repo_url", "dump_locations"]

SOURCE = "papers_with_code"
BATCH_ROWS = 20_000
# Past this many bad records in one dump, the rest are counted in one closing reject.
MAX_RECORD_REJECTS = 1_000
WRITE_MEMORY_LIMIT = "512MB"
DUMP_SUFFIXES = (".json", ".json.gz", ".parquet")


@dataclass(frozen=True)
class _Dump:
    origin: str  # path or URL as given
    path: Path  # the local file (the cached download for a URL)
    sha256: str
    format: str  # json | parquet
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class _Staged:
    dump: _Dump
    path: Path  # scratch Parquet file of checked rows, unique by key
    read: int
    duplicates: int
    rejected: int


def load_links(warehouse: Warehouse, locations: Iterable[str | Path], **options) -> dict:
    """Load links-between-papers-and-code dumps; returns the load's summary."""
    return load_dumps(warehouse, locations, "links", **options)


def load_papers(warehouse: Warehouse, locations: Iterable[str | Path], **options) -> dict:
    """Load papers-with-abstracts dumps; returns the load's summary."""
    return load_dumps(warehouse, locations, "papers", **options)


def load_dumps(
    warehouse: Warehouse,
    locations: Iterable[str | Path],
    kind: str,
    *,
    parameters: dict | None = None,
    cache: Path | None = None,
) -> dict:
    """Load dumps of one kind ('links' or 'papers') from paths, folders or URLs, in one
    transaction. Downloads go to `cache` (default: cache/papers_with_code/ beside the
    warehouse); a URL answering 304 Not Modified, like any dump loaded before, is skipped."""
    spec = KINDS[kind]
    locations = dump_locations(locations)
    load = Load(SOURCE, parameters or {"kind": kind, "locations": locations})
    cache = cache or cache_folder(warehouse.path)
    known = {
        row[0]
        for row in warehouse.con.execute(
            "select dump_sha256 from raw.pwc_dumps where kind = ?", [kind]
        ).fetchall()
    }
    with tempfile.TemporaryDirectory(prefix="uptake-pwc-") as scratch:
        staged = []
        for number, location in enumerate(locations):
            try:
                dump = _resolve(location, cache)
            except (OSError, SourceError) as exc:
                load.reject(location, str(exc))
                continue
            if dump.sha256 in known:
                load.items_skipped += 1
                continue
            known.add(dump.sha256)
            result = _stage(spec, dump, Path(scratch) / f"{number:04d}.parquet", load)
            if result:
                staged.append(result)
        with (
            _memory_limit(warehouse.con, WRITE_MEMORY_LIMIT),
            warehouse.load(SOURCE, load.parameters, load),
        ):
            for result in staged:
                _write(warehouse.con, spec, result, load)
    return load.summary()


@contextmanager
def _memory_limit(con, limit: str) -> Iterator[None]:
    """Cap DuckDB's memory while dumps are written, then return to DuckDB's default.

    Under the default limit (80% of RAM) DuckDB keeps what it writes cached, and the
    papers dump alone would take the process past 1 GB; capped, it evicts as it goes.
    (uptake sets no other limit; current_setting() is rounded, so it cannot be restored.)
    """
    con.execute(f"set memory_limit = '{limit}'")
    try:
        yield
    finally:
        con.execute("reset memory_limit")


def dump_locations(locations: Iterable[str | Path]) -> list[str]:
    """Folders expand to the dump files in them; files and URLs pass through, in order."""
    expanded: list[str] = []
    for location in locations:
        text = str(location)
        if not text.startswith(("http://", "https://")) and Path(text).is_dir():
            found = sorted(p for p in Path(text).iterdir() if p.name.endswith(DUMP_SUFFIXES))
            expanded.extend(str(p) for p in found)
        else:
            expanded.append(text)
    return expanded


def _resolve(location: str, cache: Path) -> _Dump:
    if invalid_text([location]) is not None:
        raise SourceError("the file name is not valid UTF-8: rename the file")
    if location.startswith(("http://", "https://")):
        download = fetch_dump(location, cache)
        path, etag, modified = download.path, download.etag, download.last_modified
    else:
        path, etag, modified = Path(location), None, None
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            head = stream.read(4)
            if not _looks_like_a_dump(head):  # refused before hashing what may be gigabytes
                raise SourceError(f"not a dump: it starts with {head!r}, not JSON, gzip or Parquet")
            digest.update(head)
            while chunk := stream.read(1 << 22):
                digest.update(chunk)
    except OSError as exc:
        raise SourceError(f"cannot read: {exc}") from None
    kind = "parquet" if head == b"PAR1" else "json"
    return _Dump(location, path, digest.hexdigest(), kind, etag, modified)


def _looks_like_a_dump(head: bytes) -> bool:
    """Gzip, Parquet, or JSON (after an optional BOM and whitespace); an empty file too, so
    that it is refused where empty dumps are (by the reader, with its own reason)."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return head[:2] == b"\x1f\x8b" or head == b"PAR1" or text[:1] in (b"", b"[", b"{")


def _stage(spec: DumpKind, dump: _Dump, target: Path, load: Load) -> _Staged | None:
    """Check every record and write the good ones, first of each key, to `target`.

    None when the dump cannot be read to its end; then nothing of it is kept, and its
    record rejects give way to one reject of the whole dump.
    """
    rejects_before, read, rejected, duplicates, rows = len(load.rejects), 0, 0, 0, []
    seen: set = set()
    positions = spec.key_positions
    first = positions[0] if len(positions) == 1 else None
    records = (
        iter_parquet_records(dump.path, spec.fields)
        if dump.format == "parquet"
        else iter_json_records(dump.path)
    )
    try:
        with pq.ParquetWriter(target, spec.schema, compression="zstd") as writer:
            for index, record in records:
                read += 1
                try:
                    if isinstance(record, Malformed):
                        raise BadRecord(record.reason)
                    row = (*spec.row(record), index)
                except BadRecord as problem:
                    rejected += 1
                    if rejected <= MAX_RECORD_REJECTS:
                        load.reject(f"{dump.origin} record {index}", str(problem))
                    continue
                key = row[first] if first is not None else tuple(row[p] for p in positions)
                if key in seen:
                    duplicates += 1
                    continue
                seen.add(key)
                rows.append(row)
                if len(rows) >= BATCH_ROWS:
                    rejected += _write_batch(writer, spec, rows, dump, load, rejected)
                    rows = []
            rejected += _write_batch(writer, spec, rows, dump, load, rejected)
    except (DumpError, OSError) as exc:
        del load.rejects[rejects_before:]
        load.reject(dump.origin, f"{exc} (nothing of this dump was loaded)")
        return None
    if rejected > MAX_RECORD_REJECTS:
        load.reject(dump.origin, f"{rejected - MAX_RECORD_REJECTS:,} more records rejected")
    return _Staged(dump, target, read, duplicates, rejected)


def _write_batch(
    writer, spec: DumpKind, rows: list[tuple], dump: _Dump, load: Load, rejected: int
) -> int:
    """Write the rows; the number rejected for holding text that is not valid Unicode.

    Arrow refuses such text (a JSON escape like "\\udcff" decodes to a lone surrogate) for
    the whole batch, so the rows are checked one by one only when a batch is refused.
    """
    try:
        writer.write_table(_table(spec, rows))
        return 0
    except UnicodeEncodeError:
        pass
    good, bad = [], 0
    for row in rows:
        bad_text = invalid_text(row)
        if bad_text is None:
            good.append(row)
            continue
        bad += 1
        if rejected + bad <= MAX_RECORD_REJECTS:
            reason = f"text that is not valid Unicode: {bad_text!r}"
            load.reject(f"{dump.origin} record {row[-1]}", reason)
    writer.write_table(_table(spec, good))
    return bad


def _table(spec: DumpKind, rows: list[tuple]) -> pa.Table:
    if not rows:
        return spec.schema.empty_table()
    columns = zip(*rows, strict=True)
    arrays = [
        pa.array(values, type=field.type)
        for values, field in zip(columns, spec.schema, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def _write(con, spec: DumpKind, staged: _Staged, load: Load) -> None:
    """Replace the rows of every key the dump holds, then record the dump."""
    dump, loaded_at = staged.dump, datetime.now(UTC).replace(tzinfo=None)
    scratch = str(staged.path)
    matches = " and ".join(f"old.{column} = new.{column}" for column in spec.key)
    key = ", ".join(spec.key)
    # Only constants are formatted in (table and column names); values are bound.
    con.execute(
        f"delete from {spec.table} as old using (select {key} from read_parquet(?)) as new where {matches}",  # noqa: S608
        [scratch],
    )
    loaded = con.execute(
        f"insert into {spec.table} select *, ? as dump_sha256, ? as load_id, ? as loaded_at from read_parquet(?)",  # noqa: S608
        [dump.sha256, load.load_id, loaded_at, scratch],
    ).fetchone()[0]
    con.execute(
        "delete from raw.pwc_dumps where dump_sha256 = ? and kind = ?", [dump.sha256, spec.name]
    )
    con.execute(
        "insert into raw.pwc_dumps values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [dump.sha256, spec.name, dump.origin, dump.format, dump.etag, dump.last_modified]
        + [staged.read, loaded, staged.duplicates, staged.rejected, load.load_id, loaded_at],
    )
    load.rows_loaded += loaded
