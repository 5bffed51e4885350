"""The top-PyPI-packages archive: monthly "30 days of downloads" snapshots of the top N projects.

A snapshot only lists projects above its cut-off; the cut-off is kept so a missing
project reads as "fewer than the cut-off" (censored), never as zero. Files are parsed by
DuckDB itself, the fastest reader available, and skipped when their bytes were loaded
before.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from uptake.errors import SourceError
from uptake.sources.download_rules import latest_allowed_day
from uptake.sources.local_files import read_bounded, read_location
from uptake.warehouse import Load, Warehouse

SOURCE = "top_pypi"
SNAPSHOT_SUFFIXES = (".json", ".json.gz")
# A real snapshot is under 2 MB of JSON: anything far larger is not one (or is a gzip bomb).
MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
_COLUMNS = {
    "last_update": "VARCHAR",
    "source": "VARCHAR",
    "query": "STRUCT(bytes_processed BIGINT)",
    # JSON, not BIGINT: DuckDB would coerce "123" to 123, and a string count is refused.
    "rows": "STRUCT(download_count JSON, project VARCHAR)[]",
}
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class SnapshotFile:
    """One snapshot as read from where it lives: a path, a URL or a commit of the archive."""

    origin: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def is_gzip(self) -> bool:
        return self.content[:2] == _GZIP_MAGIC


def snapshot_locations(locations: Iterable[str | Path]) -> list[str]:
    """Expand folders into their snapshot files; paths and URLs pass through, in order."""
    expanded: list[str] = []
    for location in locations:
        text = str(location)
        if _is_url(text):
            expanded.append(text)
            continue
        path = Path(text)
        if path.is_dir():
            expanded.extend(
                str(p) for p in sorted(path.iterdir()) if p.name.endswith(SNAPSHOT_SUFFIXES)
            )
        else:
            expanded.append(text)
    return expanded


def read_snapshot_files(locations: Iterable[str], on_error) -> Iterator[SnapshotFile]:
    """Yield each location's bytes; a location that cannot be read goes to `on_error(item, reason)`."""
    for location in locations:
        try:
            if _is_url(location):
                yield fetch_snapshot_url(location)
            else:
                yield read_snapshot_path(location)
        except (OSError, SourceError) as exc:
            on_error(location, str(exc))


def read_snapshot_path(path: str) -> SnapshotFile:
    return SnapshotFile(origin=path, content=read_bounded(path, MAX_SNAPSHOT_BYTES, "a snapshot"))


def fetch_snapshot_url(url: str, *, timeout: float = 60.0) -> SnapshotFile:
    """GET a snapshot. HTTP 429 raises RateLimitedError and other 4xx SourceError (no use
    retrying); network failures and 5xx raise OSError, which callers may retry."""
    return SnapshotFile(
        origin=url, content=read_location(url, MAX_SNAPSHOT_BYTES, "a snapshot", timeout=timeout)
    )


def load_snapshot_files(
    warehouse: Warehouse,
    files: Iterable[SnapshotFile],
    *,
    parameters: dict | None = None,
    read_failures: Iterable[tuple[str, str]] = (),
) -> dict:
    """Load snapshots in one transaction; returns what the journal records.

    Files whose bytes are already in the warehouse are skipped; a file that cannot be
    parsed or lacks a field is rejected with the reason, as is each of `read_failures`
    (items that could not even be read); the rest load.
    """
    files = list(files)  # a lazy reader reports its failures while being consumed
    load = Load(source=SOURCE, parameters=parameters or {})
    for item, reason in read_failures:
        load.reject(item, reason)
    con = warehouse.con
    known = {
        row[0]
        for row in con.execute("select content_sha256 from raw.top_pypi_snapshots").fetchall()
    }
    with tempfile.TemporaryDirectory() as scratch:
        staged = _stage_new_files(files, known, Path(scratch), load)
        # Parsing happens before the transaction: a file DuckDB cannot read fails its own
        # statement, which inside a transaction would abort the whole load.
        unreadable = _parse_into_temp_table(con, staged, load) if staged else set()
        with warehouse.load(SOURCE, load.parameters, load):
            if staged:
                _validate_parsed(con, staged, load, unreadable)
                _replace_snapshots(con, load)
    return load.summary()


def _stage_new_files(
    files, known_hashes: set[str], scratch: Path, load: Load
) -> dict[str, SnapshotFile]:
    """Write each new file to the scratch folder under a name DuckDB can read; path -> file."""
    staged: dict[str, SnapshotFile] = {}
    seen = set(known_hashes)
    for number, snapshot in enumerate(files):
        digest = snapshot.sha256
        if digest in seen:
            load.items_skipped += 1
            continue
        seen.add(digest)
        # Refused before DuckDB reads it: a bomb of whitespace would otherwise stream through
        # DuckDB to its end (gigabytes) and come out as no document at all.
        problem = _gzip_problem(snapshot.content) if snapshot.is_gzip else None
        if problem:
            load.reject(snapshot.origin, problem)
            continue
        suffix = ".json.gz" if snapshot.is_gzip else ".json"
        path = scratch / f"{number:06d}{suffix}"
        path.write_bytes(snapshot.content)
        staged[str(path)] = snapshot
    return staged


def _gzip_problem(content: bytes) -> str | None:
    """Why a gzip stream is unusable (corrupt, truncated, or inflating past the limit)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as stream:
            inflated = 0
            while chunk := stream.read(1 << 20):
                inflated += len(chunk)
                if inflated > MAX_SNAPSHOT_BYTES:
                    return f"gzip inflates past {MAX_SNAPSHOT_BYTES // 2**20} MB: not a snapshot"
    except (OSError, EOFError, zlib.error) as exc:
        return f"corrupt gzip: {exc}"
    return None


def _parse_into_temp_table(
    con: duckdb.DuckDBPyConnection, staged: dict[str, SnapshotFile], load: Load
) -> set[str]:
    """All files in one read_json call; if one is bad, isolate it by reading each alone.
    Returns the paths rejected as unreadable."""
    con.execute("drop table if exists temp.parsed_snapshots")
    paths = sorted(staged)
    unreadable: set[str] = set()
    try:
        _read_json(con, paths, "create temp table parsed_snapshots as")
        return unreadable
    except duckdb.Error:
        pass
    _read_json(con, [], "create temp table parsed_snapshots as")
    for path in paths:
        try:
            _read_json(con, [path], "insert into temp.parsed_snapshots")
        except duckdb.Error as exc:
            unreadable.add(path)
            snapshot = staged[path]
            problem = _gzip_problem(snapshot.content) if snapshot.is_gzip else None
            detail = _first_line(exc).replace(f'in file "{path}", ', "")[:300]
            load.reject(snapshot.origin, problem or f"not a snapshot JSON document: {detail}")
    return unreadable


def _read_json(con, paths: list[str], statement: str) -> None:
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in _COLUMNS.items()) + "}"
    if not paths:
        con.execute(
            f"{statement} select ''::varchar as filename, "
            + ", ".join(f"null::{v} as {k}" for k, v in _COLUMNS.items())
            + " where false"
        )
        return
    options = f"columns = {columns}, filename = true, format = 'unstructured', maximum_object_size = {MAX_SNAPSHOT_BYTES}"
    # Only constants are formatted in; the paths are bound as a parameter.
    query = f"{statement} select filename, last_update, source, query, rows from read_json(?, {options})"  # noqa: S608
    con.execute(query, [paths])


def _validate_parsed(
    con, staged: dict[str, SnapshotFile], load: Load, unreadable: set[str]
) -> None:
    """Reject snapshots that lack a field, break a download rule (`download_rules`) or
    repeat one already in this batch, and files that held no JSON document at all."""
    parsed = {
        row[0] for row in con.execute("select filename from temp.parsed_snapshots").fetchall()
    }
    for path in sorted(set(staged) - parsed - unreadable):
        load.reject(staged[path].origin, "no JSON document in the file: not a snapshot")
    problems = con.execute(
        """
        select filename,
            case
                when count(*) over (partition by filename) > 1
                    then 'not a single snapshot object (a JSON array or several documents)'
                when last_update is null then 'missing field last_update'
                when try_cast(last_update as timestamp) is null
                    then 'last_update is not a timestamp: ' || last_update
                when rows is null or len(rows) = 0 then 'missing field rows (or no rows)'
                when list_count(list_filter(rows, lambda r: r.project is null)) > 0
                    then 'a row lacks the field project'
                when list_count(list_filter(rows, lambda r: r.download_count is null)) > 0
                    then 'a row lacks the field download_count'
                when last_update::timestamp::date > $latest
                    then format('dated {}, after {} (tomorrow, UTC)',
                        last_update::timestamp::date, $latest)
            end as problem
        from temp.parsed_snapshots
        """,
        {"latest": latest_allowed_day()},
    ).fetchall()
    problems += _row_problems(con)
    bad = list(dict.fromkeys((filename, problem) for filename, problem in problems if problem))
    for filename, problem in bad:
        load.reject(staged[filename].origin, problem)
    if bad:
        con.execute(
            "delete from temp.parsed_snapshots where filename in (select unnest(?))",
            [[b[0] for b in bad]],
        )
    # The same snapshot (same last_update) twice in one batch, for example plain and gzipped:
    # keep the first file, count the rest as skipped.
    repeats = con.execute(
        """
        select filename from (
            select filename, row_number() over (
                partition by last_update::timestamp order by filename) as copy
            from temp.parsed_snapshots)
        where copy > 1
        """
    ).fetchall()
    if repeats:
        load.items_skipped += len(repeats)
        con.execute(
            "delete from temp.parsed_snapshots where filename in (select unnest(?))",
            [[r[0] for r in repeats]],
        )
    con.execute(
        "create or replace temp table snapshot_origins (filename varchar, origin varchar, sha varchar)"
    )
    con.executemany(
        "insert into temp.snapshot_origins values (?, ?, ?)",
        [(path, f.origin, f.sha256) for path, f in staged.items()],
    )


def _row_problems(con) -> list[tuple[str, str]]:
    """The first row of each snapshot that breaks a download rule, with its number.

    Repeats are found by grouping, not by a window over every row: half the time."""
    return con.execute(
        """
        with listed as (
            select filename, x.position, (x.r).project as project, (x.r).download_count as n
            from temp.parsed_snapshots, unnest(rows) with ordinality as x(r, position)
            where (x.r).project is not null and (x.r).download_count is not null
        ),
        broken as (
            select filename, position, case
                when json_type(n) not in ('UBIGINT', 'BIGINT')
                    then format('row {} ({}): download count {} is not an integer',
                        position, project, left(n::varchar, 40))
                else format('row {} ({}): download count {} is negative', position, project, n)
            end as problem
            from listed
            where json_type(n) not in ('UBIGINT', 'BIGINT') or n::bigint < 0
            union all
            select filename, min(position), format(
                'row {} ({}): the project is listed twice in one snapshot',
                min(position), arg_min(project, position))
            from listed
            group by filename, lower(regexp_replace(project, '[-_.]+', '-', 'g'))
            having count(*) > 1
        )
        select filename, arg_min(problem, position) from broken group by filename
        """
    ).fetchall()


def _replace_snapshots(con, load: Load) -> None:
    """Turn the parsed documents into snapshot and row tables, then upsert them."""
    con.execute(
        """
        create or replace temp table snapshot_meta as
        select
            p.last_update::timestamp as snapshot_at,
            o.sha as content_sha256,
            o.origin,
            len(p.rows) as top_n,
            list_min(list_transform(p.rows, lambda r: r.download_count::bigint)) as min_download_count,
            coalesce(p.source, 'BigQuery') as data_source,
            p.query.bytes_processed as bytes_processed
        from temp.parsed_snapshots as p
        join temp.snapshot_origins as o using (filename)
        """
    )
    con.execute(
        """
        create or replace temp table snapshot_rows as
        select p.last_update::timestamp as snapshot_at, r.project, r.download_count::bigint as download_count
        from temp.parsed_snapshots as p, unnest(p.rows) as u(r)
        """
    )
    upsert_snapshots(con, load)


def upsert_snapshots(con, load: Load, covers_projects: list[str] | None = None) -> None:
    """Replace whole snapshots by natural key from temp.snapshot_meta and temp.snapshot_rows.

    A re-published snapshot replaces the earlier copy; nothing of it is merged row by row.
    `covers_projects`: the only projects a compact copy lists (None: a full snapshot).
    """
    con.execute(
        "delete from raw.top_pypi_downloads where snapshot_at in (select snapshot_at from temp.snapshot_meta)"
    )
    con.execute(
        "delete from raw.top_pypi_snapshots where snapshot_at in (select snapshot_at from temp.snapshot_meta)"
    )
    inserted = con.execute(
        """
        insert into raw.top_pypi_downloads
        select snapshot_at, project, download_count, ? from temp.snapshot_rows
        """,
        [load.load_id],
    ).fetchone()[0]
    con.execute(
        """
        insert into raw.top_pypi_snapshots (snapshot_at, content_sha256, origin, top_n,
            min_download_count, data_source, bytes_processed, load_id, loaded_at, covers_projects)
        select snapshot_at, content_sha256, origin, top_n, min_download_count, data_source,
            bytes_processed, ?, now()::timestamp, ?::varchar[]
        from temp.snapshot_meta
        """,
        [load.load_id, covers_projects],
    )
    load.rows_loaded += inserted


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def known_origins(warehouse: Warehouse) -> frozenset[str]:
    """Origins already loaded, so an incremental history walk can skip them."""
    rows = warehouse.con.execute("select origin from raw.top_pypi_snapshots").fetchall()
    return frozenset(row[0] for row in rows)


def require_files(locations: list[str]) -> None:
    if not locations:
        raise SourceError(
            "no snapshot files found: pass a folder, .json or .json.gz files, or URLs"
        )
