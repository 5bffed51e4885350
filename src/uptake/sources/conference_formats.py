"""The two conference file formats, parsed: the framework-mentions table and per-paper lists.

- `framework_mentions.csv`: no header, one row per edition,
  `conference,MM/YY,pytorch_papers,tensorflow_papers,total_papers`, read long-form: one
  row per edition and word, the two count columns being the counts for the words
  'pytorch' and 'tensorflow' (CSV_WORDS). Which technology a word means is decided in
  SQL, from the study's paper words, never here.
- `<conference>_<year>.json.gz`: the papers of one edition, each with `metadata.words`
  (the tracked strings its full text contains) and, for some editions, `metadata.code`
  (its code repository). Author names lose their HTML entities (`&nbsp;`), escaped pdf
  links (`http%3A//...`) are unescaped, and code URLs are normalised like Papers with
  Code's repository URLs.

A row or record that cannot be read is rejected on the Load with its line or index; a
file that cannot be read at all raises SourceError.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import unquote

from uptake.errors import SourceError
from uptake.sources.local_files import gunzip_bounded
from uptake.sources.pwc_records import normalise_repo_url
from uptake.sources.unicode_text import invalid_text
from uptake.warehouse import Load

CSV_WORDS = ("pytorch", "tensorflow")  # the CSV's count columns, in order
CONFERENCE_ALIASES = {"nips": "neurips"}  # the lists say nips, the CSV NeurIPS
# A per-paper list is under 1 MB of JSON; one inflating far past that is not one (or is a
# gzip bomb), and is refused before it fills memory.
MAX_LIST_BYTES = 64 * 1024 * 1024
LIST_NAME = re.compile(r"^(?P<conference>[A-Za-z]+)_(?P<year>\d{4})\.json(?:\.gz)?$")
_ESCAPED_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*%3A", re.IGNORECASE)


@dataclass
class ConferenceFile:
    """A file's bytes as read, with where they came from."""

    origin: str
    content: bytes
    sha256: str = field(init=False)

    def __post_init__(self):
        self.sha256 = hashlib.sha256(self.content).hexdigest()


def conference_id(name: str) -> str:
    """The lower-case id of a conference as the CSV or a file name writes it."""
    lowered = name.strip().lower()
    return CONFERENCE_ALIASES.get(lowered, lowered)


def parse_mentions_csv(file: ConferenceFile, load: Load) -> list[tuple]:
    """Rows (conference, label, year, month, word, papers, total, sha, origin); a row that
    cannot be read, or repeats an edition, is rejected with its line number."""
    try:
        text = file.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text: {exc}") from None
    rows, editions = [], set()
    try:
        lines = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:  # a field past csv's size limit: not a mentions table
        raise SourceError(f"not a framework-mentions table: {exc}") from None
    for line, fields in enumerate(lines, start=1):
        if not fields or not "".join(fields).strip():
            continue
        try:
            label, month, year, counts, total = _mention_row(fields)
        except ValueError as exc:
            load.reject(f"{file.origin}:{line}", str(exc))
            continue
        conference = conference_id(label)
        if (conference, year) in editions:
            load.reject(f"{file.origin}:{line}", f"{label} {year} appears twice (first kept)")
            continue
        editions.add((conference, year))
        for word, papers in zip(CSV_WORDS, counts, strict=True):
            rows.append(
                (conference, label, year, date(year, month, 1), word, papers, total)
                + (file.sha256, file.origin)
            )
    if not rows:
        raise SourceError("no readable rows: not a framework-mentions table")
    return rows


def _mention_row(fields: list[str]) -> tuple[str, int, int, list[int], int]:
    fields = [f.strip() for f in fields]
    if len(fields) != 3 + len(CSV_WORDS):
        raise ValueError(f"expected {3 + len(CSV_WORDS)} fields, found {len(fields)}")
    label, when, *numbers = fields
    match = re.fullmatch(r"(\d{1,2})/(\d{2})", when)
    if not label or not match or not 1 <= int(match[1]) <= 12:
        raise ValueError(f"expected a conference and MM/YY, found {label!r}, {when!r}")
    try:
        *counts, total = (int(n) for n in numbers)
    except ValueError:
        raise ValueError(f"counts are not whole numbers: {numbers}") from None
    if min(counts + [total]) < 0 or max(counts) > total:
        raise ValueError(f"counts {counts} do not fit within {total} papers")
    return label, int(match[1]), 2000 + int(match[2]), counts, total


@dataclass(frozen=True)
class PaperList:
    origin: str
    sha256: str
    conference: str
    year: int
    papers: list[tuple]


def parse_paper_list(file: ConferenceFile, load: Load) -> PaperList:
    """One edition's papers; a paper record that cannot be read is rejected with its index."""
    name = LIST_NAME.match(Path(file.origin).name)
    if not name:
        raise SourceError("not a per-paper list: expected a <conference>_<year>.json.gz name")
    conference, year = conference_id(name["conference"]), int(name["year"])
    content = file.content
    try:
        if content[:2] == b"\x1f\x8b":
            content = _gunzip(content)
        records = json.loads(content)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"corrupt gzip: {exc}") from None
    except ValueError as exc:
        raise SourceError(f"not JSON: {exc}") from None
    except RecursionError:
        raise SourceError("not a list of papers: JSON nested too deep to read") from None
    if not isinstance(records, list):
        raise SourceError(f"not a JSON array of papers: {type(records).__name__}")
    papers, ids = [], set()
    for index, record in enumerate(records):
        try:
            paper = _paper(record, conference, year)
            if paper[0] in ids:
                raise ValueError(f"repeats paper id {paper[0]!r} (first kept)")
        except ValueError as exc:
            load.reject(f"{file.origin} record {index}", str(exc))
            continue
        ids.add(paper[0])
        papers.append(paper)
    if not papers:
        raise SourceError("no readable papers in the list")
    return PaperList(file.origin, file.sha256, conference, year, papers)


def _gunzip(content: bytes) -> bytes:
    return gunzip_bounded(content, MAX_LIST_BYTES, "a per-paper list")


def _paper(record: object, conference: str, year: int) -> tuple:
    """(paper_id, title, authors, pdf_link, words, code_url, code_repo_url, is_github)."""
    if not isinstance(record, dict):
        raise ValueError(f"not a JSON object: {type(record).__name__}")
    paper_id, title = record.get("id"), record.get("name")
    if not isinstance(paper_id, str | int) or not str(paper_id).strip():
        raise ValueError("missing field id")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("missing field name (the title)")
    if "conference" in record and conference_id(str(record["conference"])) != conference:
        raise ValueError(f"conference {record['conference']!r} is not the file's {conference}")
    if "year" in record and str(record["year"]).strip() != str(year):
        raise ValueError(f"year {record['year']!r} is not the file's {year}")
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValueError(f"metadata is not an object: {type(metadata).__name__}")
    authors, words = record.get("authors") or [], metadata.get("words") or []
    code = metadata.get("code")
    if not _strings(authors) or not _strings(words) or not isinstance(code, str | None):
        raise ValueError("authors, metadata.words or metadata.code has the wrong type")
    pdf_link = record.get("pdf_link")
    if isinstance(pdf_link, str) and _ESCAPED_SCHEME.match(pdf_link):
        pdf_link = unquote(pdf_link)
    bad_text = invalid_text([paper_id, title, authors, words, code, pdf_link])
    if bad_text is not None:
        raise ValueError(f"text that is not valid Unicode: {bad_text!r}")
    repo = normalise_repo_url(code) if code and code.strip() else None
    return (
        str(paper_id).strip(),
        title.strip(),
        [html.unescape(author).strip() for author in authors],
        pdf_link if isinstance(pdf_link, str) else None,
        [word.strip().lower() for word in words],
        code.strip() if code and code.strip() else None,
        repo.url if repo else None,
        repo.is_github if repo else None,
    )


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
