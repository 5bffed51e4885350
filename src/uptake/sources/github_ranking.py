"""The monthly most-starred Python repositories: an open-source cohort to mine.

From EvanLi/Github-Ranking's daily top-100 lists, one CSV (optionally gzipped) with the
columns `date, rank, item, repo_name, stars, forks, language, repo_url, username, issues,
last_commit, description`. Rows whose `item` is not Python are not this cohort and are
skipped. A month is represented by its earliest list: where a file holds several days of
one month, the first day's list is kept and later days are skipped (counted, not
rejected). A repository is its `repo_url`'s owner/name, lower case; a row without a
GitHub URL, a rank or a date is rejected with its line number, as is a repository listed
twice on one day (first kept).

The cohort's name is `popular_python`; `marts.repos` lists each repository's cohorts and
the month it first entered each. A file already loaded (same bytes) is skipped; loading
a file replaces the months it holds, whole.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from uptake.errors import SourceError
from uptake.mining.repositories import github_name
from uptake.sources.arrow_rows import rows_table
from uptake.sources.local_files import expand_folders, gunzip_bounded, read_location
from uptake.sources.pwc_records import normalise_repo_url
from uptake.sources.unicode_text import invalid_text
from uptake.warehouse import Load, Warehouse, utcnow

SOURCE = "github_ranking"
COHORT = "popular_python"
LANGUAGE = "Python"
MAX_FILE_BYTES = 256 * 1024 * 1024
REQUIRED_COLUMNS = ("date", "rank", "item", "repo_url")


def ranking_files(locations: Iterable[str | Path]) -> list[str]:
    """Folders expand to the CSV files in them; files and URLs pass through."""
    return expand_folders(locations, lambda name: name.endswith((".csv", ".csv.gz")))


def parse_ranking(origin: str, content: bytes, load: Load) -> list[tuple]:
    """Rows (month, listed_on, rank, repo, stars, forks, language, last_commit, description)."""
    text_bytes = gunzip_bounded(content, MAX_FILE_BYTES, "a ranking CSV")
    try:
        text = text_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SourceError(f"not a GitHub ranking CSV: no column {', '.join(missing)}")
    first_day: dict[date, date] = {}
    rows, seen = [], set()
    try:
        for line, record in enumerate(reader, start=2):
            if (record.get("item") or "").strip() != LANGUAGE:
                load.items_skipped += 1
                continue
            item = f"{Path(origin).name}:{line}"
            try:
                row = _row(record)
            except ValueError as exc:
                load.reject(item, str(exc))
                continue
            month, listed_on = row[0], row[1]
            kept_day = first_day.setdefault(month, listed_on)
            if listed_on > kept_day:
                load.items_skipped += 1
                continue
            if listed_on < kept_day:  # an earlier day of the month comes later in the file
                load.items_skipped += sum(1 for r in rows if r[0] == month)
                rows = [r for r in rows if r[0] != month]
                seen = {key for key in seen if key[0] != month}
                first_day[month] = listed_on
            if (month, row[3]) in seen:
                load.reject(item, f"{row[3]} is listed twice on {listed_on} (first kept)")
                continue
            seen.add((month, row[3]))
            rows.append(row)
    except csv.Error as exc:
        raise SourceError(f"not a GitHub ranking CSV: {exc}") from None
    if not rows:
        raise SourceError(f"no {LANGUAGE} rows that can be read: not a GitHub ranking CSV")
    return rows


def _row(record: dict) -> tuple:
    bad = invalid_text(list(record.values()))
    if bad is not None:
        raise ValueError(f"text that is not valid Unicode: {bad!r}")
    try:
        listed_on = date.fromisoformat((record.get("date") or "").strip()[:10])
    except ValueError:
        raise ValueError(f"date {record.get('date')!r} is not a day like 2024-03-01") from None
    rank = _whole(record, "rank", required=True)
    if rank < 1:
        raise ValueError(f"rank {rank} is not a position in the list")
    url = normalise_repo_url(record.get("repo_url") or "")
    repo = url.url.removeprefix("https://github.com/") if url and url.is_github else ""
    if repo.count("/") != 1:
        raise ValueError(f"repo_url {record.get('repo_url')!r} is not a GitHub repository")
    try:
        github_name(repo)  # a name is a path segment of clones and part of URLs later
    except SourceError as exc:
        raise ValueError(f"repo_url {record.get('repo_url')!r}: {exc}") from None
    stars, forks = _whole(record, "stars"), _whole(record, "forks")
    last_commit = _timestamp(record.get("last_commit"))
    return (
        listed_on.replace(day=1),
        listed_on,
        rank,
        repo,
        stars,
        forks,
        (record.get("language") or "").strip() or None,
        last_commit,
        (record.get("description") or "").strip()[:1000] or None,
    )


def _whole(record: dict, column: str, *, required: bool = False) -> int | None:
    text = (record.get(column) or "").strip()
    if not text:
        if required:
            raise ValueError(f"missing {column}")
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{column} {value} is negative")
    if value > 2**31 - 1:
        raise ValueError(f"{column} {value} is out of range")
    return value


def _timestamp(text: str | None) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"last_commit {text!r} is not a time") from None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def load_github_ranking(
    warehouse: Warehouse, locations: Iterable[str | Path], *, parameters: dict | None = None
) -> dict:
    """Load ranking CSVs (paths, folders or URLs) in one transaction; returns the summary."""
    paths = ranking_files(locations)
    load = Load(SOURCE, parameters or {"locations": paths})
    known = {
        row[0]
        for row in warehouse.con.execute(
            "select distinct content_sha256 from raw.github_ranking"
        ).fetchall()
    }
    batches: list[tuple[str, str, list[tuple]]] = []
    for path in paths:
        try:
            content = read_location(path, MAX_FILE_BYTES, "a ranking CSV")
            digest = hashlib.sha256(content).hexdigest()
            if digest in known:
                load.items_skipped += 1
                continue
            batches.append((path, digest, parse_ranking(path, content, load)))
            known.add(digest)
        except SourceError as exc:
            load.reject(path, str(exc))
    with warehouse.load(SOURCE, load.parameters, load):
        for origin, digest, rows in batches:
            _replace_months(warehouse.con, origin, digest, rows, load)
    return load.summary()


def _replace_months(con, origin: str, digest: str, rows: list[tuple], load: Load) -> None:
    con.register("ranking_batch", rows_table(rows, _SCHEMA))
    try:
        con.execute(
            "delete from raw.github_ranking where cohort = ? "
            "and month in (select distinct month from ranking_batch)",
            [COHORT],
        )
        con.execute(
            """
            insert into raw.github_ranking
            select ?, month, listed_on, rank, repo, stars, forks, language, last_commit,
                description, ?, ?, ?, ?
            from ranking_batch
            """,
            [COHORT, digest, origin, load.load_id, utcnow()],
        )
    finally:
        con.unregister("ranking_batch")
    load.rows_loaded += len(rows)


_SCHEMA = pa.schema(
    [
        ("month", pa.date32()),
        ("listed_on", pa.date32()),
        ("rank", pa.int32()),
        ("repo", pa.string()),
        ("stars", pa.int32()),
        ("forks", pa.int32()),
        ("language", pa.string()),
        ("last_commit", pa.timestamp("us")),
        ("description", pa.string()),
    ]
)
