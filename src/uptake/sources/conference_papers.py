"""Framework mentions in ML conference papers (He 2019 and its continuation to 2022).

The framework-mentions table (`framework_mentions.csv`) and the per-paper lists
(`<conference>_<year>.json.gz`) beside it; their formats are read in conference_formats.

An edition's month is the CSV's MM/YY; an edition the CSV lacks (AISTATS, COLT) takes
its conference's usual month from TYPICAL_MONTHS (staging prefers the CSV's month).
Files already loaded (same bytes) are skipped; an edition loaded again replaces its
rows whole. A file or CSV row that cannot be read goes to meta.rejects, as does each
bad paper record; the rest loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pyarrow as pa

from uptake.errors import SourceError
from uptake.sources.arrow_rows import rows_table
from uptake.sources.conference_formats import (
    LIST_NAME,
    ConferenceFile,
    PaperList,
    parse_mentions_csv,
    parse_paper_list,
)
from uptake.sources.local_files import read_bounded
from uptake.warehouse import Load, Warehouse, utcnow

SOURCE = "conference_papers"
MENTIONS_FILE = "framework_mentions.csv"
# The month each conference is usually held, for editions without a CSV row. Where the
# conference is in the CSV, its month there (the study's convention, e.g. ICML in June,
# ACL in August); AISTATS (April) and COLT (July) from their usual dates.
TYPICAL_MONTHS = {
    "aistats": 4,
    "iclr": 5,
    "cvpr": 6,
    "icml": 6,
    "naacl": 6,
    "colt": 7,
    "acl": 8,
    "eccv": 9,
    "emnlp": 11,
    "iccv": 11,
    "neurips": 12,
}
MAX_FILE_BYTES = 64 * 1024 * 1024


def conference_files(locations: Iterable[str | Path]) -> list[str]:
    """Folders expand to their mentions CSV and per-paper lists; files pass through."""
    expanded: list[str] = []
    for location in locations:
        path = Path(location)
        if path.is_dir():
            expanded.extend(
                str(p)
                for p in sorted(path.iterdir())
                if p.name == MENTIONS_FILE or LIST_NAME.match(p.name)
            )
        else:
            expanded.append(str(location))
    return expanded


def load_conference_papers(
    warehouse: Warehouse, locations: Iterable[str | Path], *, parameters: dict | None = None
) -> dict:
    """Load mention tables and per-paper lists in one transaction; returns the summary."""
    paths = conference_files(locations)
    load = Load(SOURCE, parameters or {"locations": paths})
    known = {
        row[0]
        for row in warehouse.con.execute(
            "select content_sha256 from raw.conference_mention_counts union "
            "select content_sha256 from raw.conference_paper_lists"
        ).fetchall()
    }
    counts, lists = [], []
    for path in paths:  # everything is read and parsed before the transaction opens
        try:
            file = ConferenceFile(path, _read(path))
            if file.sha256 in known:
                load.items_skipped += 1
                continue
            known.add(file.sha256)
            if Path(path).name.endswith(".csv"):
                rows = parse_mentions_csv(file, load)
                if rows and _counts_held(warehouse.con, rows):
                    # The same figures from another file (the demo's compact copy of the
                    # table, or the table re-ordered): nothing to replace, nothing to flip.
                    load.items_skipped += 1
                    continue
                counts.extend(rows)
            else:
                lists.append(parse_paper_list(file, load))
        except SourceError as exc:
            load.reject(path, str(exc))
    with warehouse.load(SOURCE, load.parameters, load):
        _replace_mention_counts(warehouse.con, counts, load)
        for paper_list in lists:
            _replace_paper_list(warehouse.con, paper_list, load)
    return load.summary()


def _read(path: str) -> bytes:
    return read_bounded(path, MAX_FILE_BYTES, "a conference file")


def _replace_mention_counts(con, rows: list[tuple], load: Load) -> None:
    if not rows:
        return
    loaded_at = utcnow()
    table = rows_table(rows, _COUNT_SCHEMA)
    con.register("mention_counts_batch", table)
    try:
        con.execute(
            """
            delete from raw.conference_mention_counts as old using mention_counts_batch as new
            where old.conference = new.conference and old.year = new.year
            """
        )
        con.execute(
            "insert into raw.conference_mention_counts select *, ?, ? from mention_counts_batch",
            [load.load_id, loaded_at],
        )
    finally:
        con.unregister("mention_counts_batch")
    load.rows_loaded += len(rows)


def _counts_held(con, rows: list[tuple]) -> bool:
    """Whether the warehouse already holds every one of these counts, value for value."""
    con.register("held_counts_check", rows_table(rows, _COUNT_SCHEMA))
    try:
        missing = con.execute(
            """
            select count(*) from (
                select conference, conference_label, year, edition_month, word, papers,
                    total_papers
                from held_counts_check
                except
                select conference, conference_label, year, edition_month, word, papers,
                    total_papers
                from raw.conference_mention_counts
            )
            """
        ).fetchall()[0][0]
    finally:
        con.unregister("held_counts_check")
    return missing == 0


def _replace_paper_list(con, paper_list: PaperList, load: Load) -> None:
    edition = [paper_list.conference, paper_list.year]
    month = TYPICAL_MONTHS.get(paper_list.conference)
    loaded_at = utcnow()
    con.execute("delete from raw.conference_papers where conference = ? and year = ?", edition)
    con.execute("delete from raw.conference_paper_lists where conference = ? and year = ?", edition)
    con.execute(
        "insert into raw.conference_paper_lists values (?, ?, ?, ?, ?, ?, ?, ?)",
        edition
        + [date(paper_list.year, month, 1) if month else None, len(paper_list.papers)]
        + [paper_list.sha256, paper_list.origin, load.load_id, loaded_at],
    )
    table = rows_table(paper_list.papers, _PAPER_SCHEMA)
    con.register("papers_batch", table)
    try:
        con.execute(
            """
            insert into raw.conference_papers
            select ?, ?, paper_id, title, authors, pdf_link, words, code_url, code_repo_url,
                code_repo_is_github, ?, ?
            from papers_batch
            """,
            edition + [load.load_id, loaded_at],
        )
    finally:
        con.unregister("papers_batch")
    load.rows_loaded += len(paper_list.papers)


_S, _I, _L = pa.string(), pa.int64(), pa.list_(pa.string())
_COUNT_SCHEMA = pa.schema(
    [("conference", _S), ("conference_label", _S), ("year", pa.int32())]
    + [("edition_month", pa.date32()), ("word", _S), ("papers", _I), ("total_papers", _I)]
    + [("content_sha256", _S), ("origin", _S)]
)
_PAPER_SCHEMA = pa.schema(
    [("paper_id", _S), ("title", _S), ("authors", _L), ("pdf_link", _S), ("words", _L)]
    + [("code_url", _S), ("code_repo_url", _S), ("code_repo_is_github", pa.bool_())]
)
