"""One Papers with Code record to one raw row: checked, typed, repository URL normalised.

A record loses nothing to schema drift it can survive: fields it gained are ignored,
optional fields it lost are None. It is refused (BadRecord, with the reason) only when a
key field is missing (paper_url; repo_url for links) or a field holds the wrong kind of
value (an object where text belongs, a date that is not YYYY-MM-DD).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

import pyarrow as pa

_HOST = re.compile(r"^[a-z0-9.-]+$")
_SIMPLE_URL = re.compile(r"https?://([A-Za-z0-9.-]+)(/[^?#]*)?(?:[?#].*)?", re.DOTALL)


@dataclass(frozen=True)
class RepoUrl:
    url: str  # normalised
    host: str
    is_github: bool


def normalise_repo_url(url: str) -> RepoUrl | None:
    """`https://host/path`: host lower case without `www.`; no query, fragment, `.git` or
    trailing slash; on github.com only `owner/repo` (a doubled host dropped), lower case (GitHub names are
    case-insensitive, and deeper paths such as /tree/master are the same repository).
    Other hosts keep their path as written. None when the text has no host."""
    text = url.strip()
    simple = _SIMPLE_URL.fullmatch(text)
    if simple:  # the usual shape, without urlsplit's cost
        host, path = simple[1].lower(), simple[2] or ""
    else:
        if "://" not in text:
            text = "https://" + text.lstrip("/")
        try:
            parts = urlsplit(text)
            host, path = (parts.hostname or "").lower(), parts.path
        except ValueError:
            return None
    host = host.removeprefix("www.")
    if "." not in host or not _HOST.match(host):
        return None
    segments = [segment for segment in path.split("/") if segment]
    if host == "github.com":
        # A host written twice (github.com/github.com/owner/repo, seen in ICML 2019's list).
        while segments and segments[0].lower() in ("github.com", "www.github.com"):
            segments = segments[1:]
        segments = [segment.lower() for segment in segments[:2]]
    path = "".join(f"/{segment}" for segment in segments).removesuffix(".git")
    return RepoUrl(f"https://{host}{path}", host, host == "github.com")


class BadRecord(Exception):
    """Why one record cannot load."""


def _key(record: dict, field: str) -> str:
    value = record.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BadRecord(f"missing key field {field}")
    if not isinstance(value, str):
        raise BadRecord(f"{field} is not text: {type(value).__name__}")
    return value.strip()


def _texts(record: dict, fields: tuple[str, ...]) -> list:
    values = [record.get(field) for field in fields]
    for value in values:
        if value is not None and value.__class__ is not str:
            return [_text(record, field) for field in fields]  # the slow path, with reasons
    return values


def _text(record: dict, field: str) -> str | None:
    value = record.get(field)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadRecord(f"{field} is not text: {type(value).__name__}")


def _flag(record: dict, field: str) -> bool | None:
    value = record.get(field)
    if value is None or value.__class__ is bool:
        return value
    raise BadRecord(f"{field} is not true or false: {value!r}"[:200])


def _names(record: dict, field: str) -> list[str] | None:
    """A list of strings; objects in it (the dump's methods) give their `name`."""
    value = record.get(field)
    if value is None:
        return None
    if value.__class__ is not list:
        raise BadRecord(f"{field} is not a list: {type(value).__name__}")
    for item in value:
        if item.__class__ is not str:
            names = [item.get("name") if item.__class__ is dict else item for item in value]
            return [str(name) for name in names if name is not None]
    return value


def _date(record: dict, field: str) -> date | None:
    value = record.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise BadRecord(f"{field} is not a YYYY-MM-DD date: {value!r}"[:200]) from None


_LINK_TEXTS = ("paper_title", "paper_arxiv_id", "paper_url_abs", "paper_url_pdf")


def link_row(record: dict) -> tuple:
    paper_url, published = _key(record, "paper_url"), _key(record, "repo_url")
    repo = normalise_repo_url(published)
    if repo is None:
        raise BadRecord(f"repo_url is not a URL: {published!r}"[:200])
    return (
        paper_url,
        *_texts(record, _LINK_TEXTS),
        repo.url,
        published,
        repo.host,
        repo.is_github,
        _flag(record, "is_official"),
        _flag(record, "mentioned_in_paper"),
        _flag(record, "mentioned_in_github"),
        _text(record, "framework"),
    )


_PAPER_TEXTS = ("arxiv_id", "title", "abstract", "url_abs", "url_pdf", "proceeding")


def paper_row(record: dict) -> tuple:
    return (
        _key(record, "paper_url"),
        *_texts(record, _PAPER_TEXTS),
        _names(record, "authors"),
        _names(record, "tasks"),
        _names(record, "methods"),
        _date(record, "date"),
    )


@dataclass(frozen=True)
class DumpKind:
    name: str
    table: str
    key: tuple[str, ...]  # natural key of a row (column names of the raw table)
    fields: tuple[str, ...]  # the dump's fields read (Parquet columns)
    schema: pa.Schema  # a row as written to the raw table, before provenance columns
    row: Callable[[dict], tuple]

    @property
    def key_positions(self) -> tuple[int, ...]:
        return tuple(self.schema.names.index(column) for column in self.key)


_S, _B, _L = pa.string(), pa.bool_(), pa.list_(pa.string())
KINDS = {
    "links": DumpKind(
        "links",
        "raw.pwc_code_links",
        ("paper_url", "repo_url"),
        ("paper_url", *_LINK_TEXTS, "repo_url", "is_official", "mentioned_in_paper")
        + ("mentioned_in_github", "framework"),
        pa.schema(
            [(n, _S) for n in ("paper_url", *_LINK_TEXTS, "repo_url", "repo_url_published")]
            + [("repo_host", _S), ("is_github", _B), ("is_official", _B)]
            + [("mentioned_in_paper", _B), ("mentioned_in_github", _B), ("framework", _S)]
            + [("record_index", pa.int64())]
        ),
        link_row,
    ),
    "papers": DumpKind(
        "papers",
        "raw.pwc_papers",
        ("paper_url",),
        ("paper_url", *_PAPER_TEXTS, "authors", "tasks", "methods", "date"),
        pa.schema(
            [(n, _S) for n in ("paper_url", *_PAPER_TEXTS)]
            + [("authors", _L), ("tasks", _L), ("methods", _L), ("published_date", pa.date32())]
            + [("record_index", pa.int64())]
        ),
        paper_row,
    ),
}
