"""Which GitHub repositories to mine, and what GitHub says about them.

Three ways in: a repository search (language, creation dates, stars, topics), an explicit
list, and the code links of papers already in the warehouse. Metadata rows go to
raw.github_repos, one per repository, keeping how it was first discovered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import duckdb

from uptake.errors import SourceError
from uptake.sources.github_api import GitHubSession
from uptake.warehouse import Load, Warehouse

log = logging.getLogger(__name__)

SEARCH_CAP = 1000  # GitHub serves the first 1,000 results of any search, no more
DISCOVERED_BY = ("search", "list", "paper_links")
METADATA_COLUMNS = (
    "repo", "created_at", "pushed_at", "stars", "is_fork", "is_archived", "owner_type",
    "language", "topics", "default_branch", "discovered_by",
)  # fmt: skip
_GITHUB_URL = re.compile(
    r"^(?:(?:https?|git)://|git@)?(?:www\.)?github\.com[/:]"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/(?P<name>[A-Za-z0-9._-]+?)"
    r"(?:\.git)?/?(?:[/#?].*)?$"
)
_NOT_OWNERS = {"orgs", "topics", "sponsors", "features", "marketplace", "collections", "apps"}


def search_repositories(
    *,
    created: tuple[date, date],
    language: str | None = "Python",
    min_stars: int | None = None,
    topics: Iterable[str] = (),
    session: GitHubSession | None = None,
    **session_options,
) -> list[str]:
    """Full names of the repositories matching, created between two days (inclusive).

    GitHub answers at most 1,000 results a query: a date range with more is split in two
    halves until each fits. A single day over the cap keeps its first 1,000 (by stars),
    with a warning.
    """
    start, stop = created
    if start > stop:
        raise ValueError(f"created range is empty: {start} > {stop}")
    qualifiers = [f"language:{language}"] if language else []
    qualifiers += [f"stars:>={int(min_stars)}"] if min_stars is not None else []
    qualifiers += [f"topic:{topic}" for topic in topics]
    owned = session is None
    session = session or GitHubSession(**session_options)
    try:
        found: dict[str, str] = {}
        for name in _search_range(session, " ".join(qualifiers), start, stop):
            found.setdefault(name.lower(), name)
        return list(found.values())
    finally:
        if owned:
            session.close()


def _search_range(session: GitHubSession, qualifiers: str, start: date, stop: date):
    query = f"{qualifiers} created:{start.isoformat()}..{stop.isoformat()}".strip()
    listing = session.gh.search_repositories(query, sort="stars", order="desc")
    first = session.call(f"searching {query!r}", listing.get_page, 0) or []
    total = listing.totalCount  # read from the first page, no request
    if total > SEARCH_CAP and start < stop:
        middle = start + (stop - start) // 2
        yield from _search_range(session, qualifiers, start, middle)
        yield from _search_range(session, qualifiers, middle + timedelta(days=1), stop)
        return
    if total > SEARCH_CAP:
        log.warning("search %r: %d results, only the first %d served", query, total, SEARCH_CAP)
    pages = (min(total, SEARCH_CAP) + session.per_page - 1) // session.per_page
    yield from (repo.full_name for repo in first)
    for number in range(1, pages):
        page = session.call(f"searching {query!r} (page {number + 1})", listing.get_page, number)
        yield from (repo.full_name for repo in page or [])


def github_repo_name(url: str | None) -> str | None:
    """'owner/name' from a GitHub URL (https, git@, with .git, /tree/... or #readme) or
    an 'owner/name' string; None for anything else."""
    if not url:
        return None
    text = url.strip()
    if re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+", text):
        text = f"github.com/{text}"
    match = _GITHUB_URL.match(text)
    if not match or match["owner"].lower() in _NOT_OWNERS or match["name"] in (".", ".."):
        return None
    return f"{match['owner']}/{match['name']}"


_PAPER_LINK_QUERIES = (
    ("stg_pwc__code_links", ("repo_url", "is_github"),
     "select repo_url from staging.stg_pwc__code_links where is_github"),
    ("stg_conference__papers", ("code_url",),
     "select code_url from staging.stg_conference__papers where code_url is not null"),
)  # fmt: skip


def paper_code_repositories(con: duckdb.DuckDBPyConnection) -> list[str]:
    """GitHub repositories that papers in the warehouse link to as their code, sorted.

    Reads the staging views of Papers with Code links and conference papers when they
    exist (and have the columns read); a warehouse without them gives [].
    """
    found: dict[str, str] = {}
    for view, columns, sql in _PAPER_LINK_QUERIES:
        present = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'staging' and table_name = ?",
                [view],
            ).fetchall()
        }
        if not set(columns) <= present:
            continue
        try:
            urls = [row[0] for row in con.execute(sql).fetchall()]
        except duckdb.Error as exc:  # a view over a table not loaded yet
            log.warning("staging.%s cannot be read, skipped: %s", view, exc)
            continue
        for url in urls:
            name = github_repo_name(url)
            if name:
                found.setdefault(name.lower(), name)
    return sorted(found.values(), key=str.lower)


def metadata_row(repo, discovered_by: str) -> dict:
    """A raw.github_repos row from a PyGithub Repository (no request beyond the one made)."""
    return {
        "repo": repo.full_name,
        "created_at": utc_naive(repo.created_at),
        "pushed_at": utc_naive(repo.pushed_at),
        "stars": repo.stargazers_count,
        "is_fork": repo.fork,
        "is_archived": repo.archived,
        "owner_type": repo.owner.type if repo.owner else None,
        "language": repo.language,
        "topics": list(repo.topics or []),
        "default_branch": repo.default_branch,
        "discovered_by": discovered_by,
    }


def utc_naive(moment: datetime | None) -> datetime | None:
    """A datetime as the warehouse stores it: UTC, without a time zone."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def iter_repositories(
    session: GitHubSession, names: Iterable[str]
) -> Iterator[tuple[str, object | None, SourceError | None]]:
    """(name, PyGithub Repository or None, the error) for each name, one request each."""
    for name in names:
        try:
            repo = session.call(f"opening GitHub repository {name}", session.gh.get_repo, name)
        except SourceError as exc:
            yield name, None, exc
            continue
        if repo is None:
            yield (
                name,
                None,
                SourceError(f"GitHub repository {name} not found at {session.base_url}"),
            )
        else:
            yield name, repo, None


def fetch_repository_metadata(
    names: Iterable[str], *, discovered_by: str = "list", **session_options
) -> list[dict]:
    """raw.github_repos rows for the repositories found (missing ones are logged, left out)."""
    _check_discovered_by(discovered_by)
    rows = []
    with GitHubSession(**session_options) as session:
        for _name, repo, error in iter_repositories(session, names):
            if repo is None:
                log.warning("%s", error)
            else:
                rows.append(metadata_row(repo, discovered_by))
    return rows


def load_repository_metadata(
    warehouse: Warehouse,
    names: Iterable[str],
    *,
    discovered_by: str = "list",
    on_progress: Callable[[str, str], None] | None = None,
    **session_options,
) -> dict:
    """Fetch and store metadata in one journaled load; a missing repository is a reject."""
    _check_discovered_by(discovered_by)
    names = list(names)
    load = Load(source="github_repos", parameters={"repositories": len(names)})
    rows = []
    with GitHubSession(**session_options) as session:
        for name, repo, error in iter_repositories(session, names):
            if repo is None:
                load.reject(name, str(error))
            else:
                rows.append(metadata_row(repo, discovered_by))
            if on_progress:
                on_progress(name, "metadata" if repo is not None else f"rejected: {error}")
    with warehouse.load(load.source, load.parameters, load):
        load.rows_loaded = save_repository_metadata(warehouse.con, rows, load.load_id)
    return load.summary()


def save_repository_metadata(con: duckdb.DuckDBPyConnection, rows: list[dict], load_id: str) -> int:
    """Upsert rows by repo (case-insensitive; call inside a journaled load).

    `discovered_by` keeps the first way a repository was found, except that paper links
    win: a paper's code stays a paper's code when it is later found by search or listed.
    """
    for row in rows:
        previous = con.execute(
            "select discovered_by from raw.github_repos where lower(repo) = lower(?)",
            [row["repo"]],
        ).fetchone()
        if previous and previous[0] and row["discovered_by"] != "paper_links":
            row = {**row, "discovered_by": previous[0]}
        con.execute("delete from raw.github_repos where lower(repo) = lower(?)", [row["repo"]])
        con.execute(
            f"insert into raw.github_repos ({', '.join(METADATA_COLUMNS)}, load_id, loaded_at)"  # noqa: S608 (constant column names)
            f" values ({', '.join('?' * len(METADATA_COLUMNS))}, ?, now()::timestamp)",
            [*(row[column] for column in METADATA_COLUMNS), load_id],
        )
    return len(rows)


def _check_discovered_by(value: str) -> None:
    if value not in DISCOVERED_BY:
        raise ValueError(f"discovered_by must be one of {', '.join(DISCOVERED_BY)}, got {value!r}")
