"""Papers' code links from the Paper Copilot lists: one JSON array per conference edition.

A file `<conference><year>.json[.gz]` (e.g. `cvpr2023.json.gz`) holds the edition's
papers: `id` (may be missing), `title`, `status`, `track`, `site` (the paper's page) and
`github` (its code: empty, a GitHub URL, another host, or several URLs in one field).

Each edition is placed in the month it was held, from EDITION_MONTHS: the opening day of
every edition uptake knows, as the conference's own site gives it. An edition missing
from that table is refused with the reason rather than given a guessed month.

Code links are split and normalised by `code_links`: GitHub repositories become
lower-case `owner/name` (paths such as /tree/main/x, `www.`, `.git` dropped); links on
other hosts are kept, normalised, in `other_code_urls`; a link that is not a web address
(javascript:, a bare word, a URL with a space inside the repository name) is rejected
with the paper, which still loads. Files already loaded (same bytes) are skipped; an
edition loaded again replaces its rows whole.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from uptake.errors import SourceError
from uptake.sources.arrow_rows import rows_table
from uptake.sources.conference_formats import conference_id
from uptake.sources.local_files import expand_folders, gunzip_bounded, read_location
from uptake.sources.pwc_records import normalise_repo_url
from uptake.sources.unicode_text import invalid_text
from uptake.warehouse import Load, Warehouse, utcnow

SOURCE = "paper_lists"
MAX_FILE_BYTES = 64 * 1024 * 1024
# A paper names one or a few repositories; a field naming more is not a code link.
MAX_REPOSITORIES_PER_PAPER = 20
LIST_NAME = re.compile(r"^(?P<conference>[a-z]+)(?P<year>\d{4})\.json(?:\.gz)?$")

# (conference, year) -> the edition's opening day and where it was held, from each
# conference's own site (its dates page or proceedings). The month of that day is the
# papers' month. Editions held across a month's end take the opening day's month.
EDITION_MONTHS: dict[tuple[str, int], tuple[date, str]] = {
    ("aaai", 2022): (date(2022, 2, 22), "virtual"),
    ("acl", 2021): (date(2021, 8, 1), "virtual (Bangkok)"),
    ("acl", 2022): (date(2022, 5, 22), "Dublin"),
    ("acml", 2017): (date(2017, 11, 15), "Seoul"),
    ("acml", 2018): (date(2018, 11, 14), "Beijing"),
    ("acml", 2021): (date(2021, 11, 17), "virtual"),
    ("acml", 2022): (date(2022, 12, 12), "Hyderabad"),
    ("acml", 2023): (date(2023, 11, 11), "Istanbul"),
    ("acml", 2024): (date(2024, 12, 5), "Hanoi"),
    ("aistats", 1999): (date(1999, 1, 3), "Fort Lauderdale"),
    ("aistats", 2001): (date(2001, 1, 4), "Key West"),
    ("aistats", 2003): (date(2003, 1, 3), "Key West"),
    ("aistats", 2005): (date(2005, 1, 6), "Barbados"),
    ("aistats", 2014): (date(2014, 4, 22), "Reykjavik"),
    ("aistats", 2018): (date(2018, 4, 9), "Lanzarote"),
    ("aistats", 2019): (date(2019, 4, 16), "Naha, Okinawa"),
    ("aistats", 2020): (date(2020, 8, 26), "virtual (planned for Palermo in June)"),
    ("aistats", 2021): (date(2021, 4, 13), "virtual"),
    ("aistats", 2022): (date(2022, 3, 28), "virtual"),
    ("aistats", 2023): (date(2023, 4, 25), "Valencia"),
    ("aistats", 2024): (date(2024, 5, 2), "Valencia"),
    ("automl", 2022): (date(2022, 7, 25), "Baltimore"),
    ("automl", 2023): (date(2023, 9, 12), "Potsdam"),
    ("automl", 2024): (date(2024, 9, 9), "Paris"),
    ("coling", 2020): (date(2020, 12, 8), "virtual (Barcelona)"),
    ("coling", 2022): (date(2022, 10, 12), "Gyeongju"),
    ("coling", 2025): (date(2025, 1, 19), "Abu Dhabi"),
    ("colt", 2015): (date(2015, 7, 3), "Paris"),
    ("colt", 2021): (date(2021, 8, 15), "Boulder (hybrid)"),
    ("colt", 2024): (date(2024, 6, 30), "Edmonton"),
    ("corl", 2021): (date(2021, 11, 8), "London"),
    ("corl", 2022): (date(2022, 12, 14), "Auckland"),
    ("corl", 2023): (date(2023, 11, 6), "Atlanta"),
    ("corl", 2024): (date(2024, 11, 6), "Munich"),
    ("cvpr", 2014): (date(2014, 6, 23), "Columbus"),
    ("cvpr", 2015): (date(2015, 6, 7), "Boston"),
    ("cvpr", 2016): (date(2016, 6, 26), "Las Vegas"),
    ("cvpr", 2017): (date(2017, 7, 21), "Honolulu"),
    ("cvpr", 2018): (date(2018, 6, 18), "Salt Lake City"),
    ("cvpr", 2019): (date(2019, 6, 16), "Long Beach"),
    ("cvpr", 2020): (date(2020, 6, 14), "virtual (Seattle)"),
    ("cvpr", 2021): (date(2021, 6, 19), "virtual"),
    ("cvpr", 2022): (date(2022, 6, 19), "New Orleans"),
    ("cvpr", 2023): (date(2023, 6, 18), "Vancouver"),
    ("cvpr", 2024): (date(2024, 6, 17), "Seattle"),
    ("cvpr", 2025): (date(2025, 6, 11), "Nashville"),
    ("eccv", 2022): (date(2022, 10, 23), "Tel Aviv"),
    ("eccv", 2024): (date(2024, 9, 29), "Milan"),
    ("emnlp", 2023): (date(2023, 12, 6), "Singapore"),
    ("iccv", 2015): (date(2015, 12, 7), "Santiago"),
    ("iccv", 2017): (date(2017, 10, 22), "Venice"),
    ("iccv", 2019): (date(2019, 10, 27), "Seoul"),
    ("iccv", 2021): (date(2021, 10, 11), "virtual"),
    ("iccv", 2023): (date(2023, 10, 2), "Paris"),
    ("iccv", 2025): (date(2025, 10, 19), "Honolulu"),
    ("iclr", 2017): (date(2017, 4, 24), "Toulon"),
    ("iclr", 2018): (date(2018, 4, 30), "Vancouver"),
    ("iclr", 2019): (date(2019, 5, 6), "New Orleans"),
    ("iclr", 2020): (date(2020, 4, 26), "virtual (Addis Ababa)"),
    ("iclr", 2021): (date(2021, 5, 3), "virtual"),
    ("iclr", 2022): (date(2022, 4, 25), "virtual"),
    ("icml", 2014): (date(2014, 6, 21), "Beijing"),
    ("icml", 2015): (date(2015, 7, 6), "Lille"),
    ("icml", 2016): (date(2016, 6, 19), "New York"),
    ("icml", 2017): (date(2017, 8, 6), "Sydney"),
    ("icml", 2018): (date(2018, 7, 10), "Stockholm"),
    ("icml", 2019): (date(2019, 6, 9), "Long Beach"),
    ("icml", 2023): (date(2023, 7, 23), "Honolulu"),
    ("ijcai", 2020): (date(2021, 1, 7), "virtual (Yokohama), held in January 2021"),
    ("ijcai", 2021): (date(2021, 8, 19), "virtual (Montreal)"),
    ("ijcai", 2022): (date(2022, 7, 23), "Vienna"),
    ("ijcai", 2023): (date(2023, 8, 19), "Macao"),
    ("ijcai", 2024): (date(2024, 8, 3), "Jeju"),
    ("naacl", 2021): (date(2021, 6, 6), "virtual"),
    ("naacl", 2022): (date(2022, 7, 10), "Seattle"),
    ("naacl", 2024): (date(2024, 6, 16), "Mexico City"),
    ("neurips", 1993): (date(1993, 11, 29), "Denver"),
    ("neurips", 1994): (date(1994, 11, 28), "Denver"),
    ("neurips", 1998): (date(1998, 11, 30), "Denver"),
    ("neurips", 2000): (date(2000, 11, 28), "Denver"),
    ("neurips", 2014): (date(2014, 12, 8), "Montreal"),
    ("neurips", 2015): (date(2015, 12, 7), "Montreal"),
    ("neurips", 2016): (date(2016, 12, 5), "Barcelona"),
    ("neurips", 2017): (date(2017, 12, 4), "Long Beach"),
    ("neurips", 2018): (date(2018, 12, 2), "Montreal"),
    ("neurips", 2021): (date(2021, 12, 6), "virtual"),
    ("rss", 2015): (date(2015, 7, 13), "Rome"),
    ("rss", 2017): (date(2017, 7, 12), "Cambridge, MA"),
    ("rss", 2018): (date(2018, 6, 26), "Pittsburgh"),
    ("rss", 2019): (date(2019, 6, 22), "Freiburg"),
    ("rss", 2020): (date(2020, 7, 12), "virtual (Corvallis)"),
    ("rss", 2021): (date(2021, 7, 12), "virtual"),
    ("rss", 2022): (date(2022, 6, 27), "New York"),
    ("rss", 2023): (date(2023, 7, 10), "Daegu"),
    ("rss", 2024): (date(2024, 7, 15), "Delft"),
    ("rss", 2025): (date(2025, 6, 21), "Los Angeles"),
    ("uai", 2019): (date(2019, 7, 22), "Tel Aviv"),
    ("uai", 2020): (date(2020, 8, 3), "virtual"),
    ("uai", 2021): (date(2021, 7, 27), "virtual"),
    ("uai", 2022): (date(2022, 8, 1), "Eindhoven"),
    ("uai", 2023): (date(2023, 7, 31), "Pittsburgh"),
    ("uai", 2024): (date(2024, 7, 15), "Barcelona"),
    ("wacv", 2020): (date(2020, 3, 1), "Snowmass Village"),
    ("wacv", 2021): (date(2021, 1, 5), "virtual"),
    ("wacv", 2022): (date(2022, 1, 4), "Waikoloa"),
    ("wacv", 2023): (date(2023, 1, 3), "Waikoloa"),
    ("wacv", 2024): (date(2024, 1, 4), "Waikoloa"),
    ("wacv", 2025): (date(2025, 2, 28), "Tucson"),
}

# Where one code field names several links: before each new URL, or at ; , | and spaces
# between them. A space elsewhere (inside a repository name) makes the link ambiguous.
_LINK_START = re.compile(r"(?:https?://|www\.|github\.com/)", re.IGNORECASE)
_SEPARATOR = re.compile(r"[\s;,|]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_YEAR_IN_PAGE = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_COMMENTARY = re.compile(r"(\s+\(.*|\s+(and|or|&)\s*)$", re.IGNORECASE)
_GITHUB_REPO = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}/[a-z0-9._-]{1,100}$")
_MARKDOWN_TARGET = re.compile(r"\]\((https?://[^)\s]+)\)")
_EMPTY_FIELDS = {"", "not provided", "n/a", "none", "-", "tba", "coming soon"}


@dataclass(frozen=True)
class CodeLinks:
    """What a paper's code field names: GitHub repositories, other hosts, and what could
    not be read as a link, each with why."""

    github_repos: tuple[str, ...]
    other_urls: tuple[str, ...]
    problems: tuple[str, ...]


def code_links(field: str | None) -> CodeLinks:
    """Split one `github` field into its links and normalise each one."""
    # NFKC: PDF-extracted names carry ligatures ('ﬁ' for 'fi').
    text = unicodedata.normalize("NFKC", field or "").strip()
    if "](" in text:  # Markdown links, as some lists write them: their targets
        text = " ".join(_MARKDOWN_TARGET.findall(text))
    if text.lower() in _EMPTY_FIELDS:
        return CodeLinks((), (), ())
    github, other, problems = [], [], []
    for link in _split_links(text):
        scheme = _SCHEME.match(link)
        if scheme and scheme[1].lower() not in ("http", "https"):
            problems.append(f"{scheme[1]}: is not a web link")
            continue
        url = normalise_repo_url(link) if " " not in link else None
        if url is None:
            problems.append(f"{link[:80]!r} is not a link to a repository")
        elif url.is_github:
            repo = url.url.removeprefix("https://github.com/").rstrip(".")
            if _GITHUB_REPO.match(repo) and not repo.endswith("/."):
                github.append(repo)
            else:
                problems.append(f"{link[:80]!r} names a GitHub user or page, not a repository")
        else:
            other.append(url.url)  # another host, or a project page: kept, never mined
    github = list(dict.fromkeys(github))
    if len(github) > MAX_REPOSITORIES_PER_PAPER:
        problems.append(
            f"names {len(github)} repositories (more than {MAX_REPOSITORIES_PER_PAPER}): "
            "not one paper's code"
        )
        github = []
    return CodeLinks(tuple(github), tuple(dict.fromkeys(other)), tuple(problems))


def _split_links(text: str) -> list[str]:
    starts = [m.start() for m in _LINK_START.finditer(text)]
    # `www.github.com/x` matches at www. and again at github.com/: one link.
    starts = [
        s for i, s in enumerate(starts) if i == 0 or not _inside_previous(text, starts[i - 1], s)
    ]
    if not starts:
        return [text]
    pieces = [text[: starts[0]]] + [
        text[start:end] for start, end in zip(starts, starts[1:] + [len(text)], strict=True)
    ]
    links = []
    for piece in pieces:
        # Commentary after a link, "(official)" or "and": not part of it.
        piece = _COMMENTARY.sub("", piece.strip()).strip().strip(";,|)").strip()
        if piece:
            links.append(piece)
    return links


def _inside_previous(text: str, previous: int, start: int) -> bool:
    return not _SEPARATOR.search(text[previous:start])


@dataclass(frozen=True)
class PaperListFile:
    origin: str
    sha256: str
    conference: str
    year: int
    edition_month: date
    month_basis: str
    papers: list[tuple]


def edition_of(name: str) -> tuple[str, int]:
    """(conference id, year) of a list file's name; SourceError when it is not one."""
    match = LIST_NAME.match(name.lower())
    if not match:
        raise SourceError(
            "not a Paper Copilot list: expected a <conference><year>.json.gz name (cvpr2023.json.gz)"
        )
    return conference_id(match["conference"]), int(match["year"])


def edition_month(conference: str, year: int) -> tuple[date, str]:
    """The first day of the edition's month and where that month comes from."""
    known = EDITION_MONTHS.get((conference, year))
    if known is None:
        raise SourceError(
            f"no month is known for {conference} {year}: uptake places each edition in the "
            "month it was held (paper_lists.EDITION_MONTHS), and guesses none"
        )
    opened, place = known
    return opened.replace(day=1), f"opened {opened.isoformat()}, {place}"


def list_locations(locations: Iterable[str | Path]) -> list[str]:
    """Folders expand to the list files in them; files and URLs pass through."""
    return expand_folders(locations, lambda name: bool(LIST_NAME.match(name.lower())))


def parse_list_file(origin: str, content: bytes, load: Load) -> PaperListFile:
    """One edition's papers; a record that cannot be read is rejected with its index."""
    conference, year = edition_of(Path(origin.split("?")[0]).name)
    month, basis = edition_month(conference, year)
    sha256 = hashlib.sha256(content).hexdigest()
    text = gunzip_bounded(content, MAX_FILE_BYTES, "a paper list")
    try:
        records = json.loads(text)
    except ValueError as exc:
        raise SourceError(f"not JSON: {exc}") from None
    except RecursionError:
        raise SourceError("not a list of papers: JSON nested too deep to read") from None
    if not isinstance(records, list):
        raise SourceError(f"not a JSON array of papers: {type(records).__name__}")
    _check_year(records, year)
    papers, ids = [], set()
    for index, record in enumerate(records):
        item = f"{Path(origin).name} record {index}"
        try:
            paper, problems = _paper(record)
        except ValueError as exc:
            load.reject(item, str(exc))
            continue
        if paper[0] in ids:
            load.reject(item, f"repeats paper id {paper[0]!r} (first kept)")
            continue
        ids.add(paper[0])
        papers.append(paper)
        for problem in problems:
            load.reject(f"{item} code link", problem)
    if not papers:
        raise SourceError("no readable papers in the list")
    return PaperListFile(origin, sha256, conference, year, month, basis, papers)


def _check_year(records: list, year: int) -> None:
    """Refuse a list whose paper pages mostly name another year (upstream once stored one
    edition's papers under another year's name)."""
    years = []
    for record in records:
        site = record.get("site") if isinstance(record, dict) else None
        if isinstance(site, str):
            years.extend(int(y) for y in _YEAR_IN_PAGE.findall(site)[:1])
    if len(years) >= 10:
        other = [y for y in years if y != year]
        if len(other) > len(years) / 2:
            common = max(set(other), key=other.count)
            raise SourceError(
                f"the paper pages of this {year} list name {common}: not the {year} edition"
            )


def _paper(record: object) -> tuple[tuple, tuple[str, ...]]:
    """(paper_id, title, status, track, site, code_field, github_repos, other_urls)."""
    if not isinstance(record, dict):
        raise ValueError(f"not a JSON object: {type(record).__name__}")
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("missing field title")
    texts = {}
    for name in ("status", "track", "site", "github"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} is not text: {type(value).__name__}")
        texts[name] = value.strip() if value and value.strip() else None
    paper_id = record.get("id")
    if isinstance(paper_id, bool) or not isinstance(paper_id, str | int | None):
        raise ValueError(f"id is not text: {type(paper_id).__name__}")
    bad_text = invalid_text([title, paper_id, *texts.values()])
    if bad_text is not None:
        raise ValueError(f"text that is not valid Unicode: {bad_text!r}")
    title = " ".join(title.split())
    if paper_id is None or not str(paper_id).strip():
        # Lists without ids: the title (and page) identify the paper within its edition.
        paper_id = "t:" + hashlib.sha1(f"{title}\n{texts['site'] or ''}".encode()).hexdigest()[:12]
    links = code_links(texts["github"])
    row = (
        str(paper_id).strip(),
        title,
        texts["status"],
        texts["track"],
        texts["site"],
        texts["github"],
        list(links.github_repos),
        list(links.other_urls),
    )
    return row, links.problems


def load_paper_lists(
    warehouse: Warehouse, locations: Iterable[str | Path], *, parameters: dict | None = None
) -> dict:
    """Load Paper Copilot list files (paths, folders or URLs) in one transaction."""
    paths = list_locations(locations)
    load = Load(SOURCE, parameters or {"locations": paths})
    known = {
        row[0]
        for row in warehouse.con.execute(
            "select content_sha256 from raw.paper_list_editions"
        ).fetchall()
    }
    parsed: list[PaperListFile] = []
    for path in paths:  # everything is read and parsed before the transaction opens
        try:
            content = read_location(path, MAX_FILE_BYTES, "a paper list")
            if hashlib.sha256(content).hexdigest() in known:
                load.items_skipped += 1
                continue
            edition = parse_list_file(path, content, load)
        except SourceError as exc:
            load.reject(path, str(exc))
            continue
        if any((p.conference, p.year) == (edition.conference, edition.year) for p in parsed):
            load.reject(path, f"{edition.conference} {edition.year} is given twice (first kept)")
            continue
        known.add(edition.sha256)
        parsed.append(edition)
    with warehouse.load(SOURCE, load.parameters, load):
        for edition in parsed:
            _replace_edition(warehouse.con, edition, load)
    return load.summary()


def _replace_edition(con, edition: PaperListFile, load: Load) -> None:
    key = [edition.conference, edition.year]
    loaded_at = utcnow()
    con.execute("delete from raw.paper_list_papers where conference = ? and year = ?", key)
    con.execute("delete from raw.paper_list_editions where conference = ? and year = ?", key)
    con.execute(
        "insert into raw.paper_list_editions values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        key
        + [edition.edition_month, edition.month_basis, len(edition.papers)]
        + [edition.sha256, edition.origin, load.load_id, loaded_at],
    )
    con.register("paper_list_batch", rows_table(edition.papers, _PAPER_SCHEMA))
    try:
        con.execute(
            "insert into raw.paper_list_papers select ?, ?, *, ?, ? from paper_list_batch",
            key + [load.load_id, loaded_at],
        )
    finally:
        con.unregister("paper_list_batch")
    load.rows_loaded += len(edition.papers)


_S = pa.string()
_PAPER_SCHEMA = pa.schema(
    [("paper_id", _S), ("title", _S), ("status", _S), ("track", _S), ("site", _S)]
    + [("code_field", _S), ("github_repos", pa.list_(_S)), ("other_code_urls", pa.list_(_S))]
)
