"""pypistats.org JSON API: daily downloads without mirrors, into raw.pypistats_downloads.

The `pypistats` package is not used: its base URL is a module global, it lower-cases and
does not quote the package name, writes a disk cache and hides the response headers
(so no Retry-After). This client is stdlib urllib with a timeout and a User-Agent.
pypistats.org keeps only the last 180 days, so loads upsert: a re-run rewrites the same
(day, project) rows with the same counts.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime

import duckdb

from uptake import __version__
from uptake.errors import SourceError
from uptake.sources.backoff import retries_exhausted, retry_wait
from uptake.sources.download_rules import count_problem, future_problem
from uptake.warehouse import Warehouse

SOURCE = "pypistats"
BASE_URL_ENV = "UPTAKE_PYPISTATS_URL"
DEFAULT_BASE_URL = "https://pypistats.org/api/"
DEFAULT_RETRY_DELAYS = (1, 2, 4, 8)
TIMEOUT_S = 30.0
USER_AGENT = f"uptake/{__version__} (pypistats loader)"
CATEGORY = "without_mirrors"

Sleep = Callable[[float], object]


def resolve_base_url(base_url: str | None = None) -> str:
    """The argument, else $UPTAKE_PYPISTATS_URL, else pypistats.org; always ending in '/'."""
    url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SourceError(f"pypistats base URL must be http(s): {url!r}")
    return url if url.endswith("/") else url + "/"


def overall_url(project: str, base_url: str | None = None) -> str:
    """The /overall URL of one project; the name is quoted so it can only be one path segment."""
    quoted = urllib.parse.quote(project, safe="")
    return f"{resolve_base_url(base_url)}packages/{quoted}/overall?mirrors=false"


def overall_downloads(
    project: str,
    *,
    base_url: str | None = None,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    sleep: Sleep = time.sleep,
) -> list[tuple[date, int]]:
    """(day, downloads without mirrors) for the last 180 days, oldest first."""
    url = overall_url(project, base_url)
    return _parse_overall(url, _get_json(url, retry_delays, sleep))


def load_pypistats_downloads(
    warehouse: Warehouse,
    projects: Iterable[str],
    *,
    base_url: str | None = None,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    sleep: Sleep = time.sleep,
) -> dict:
    """Fetch every project, then upsert them all in one short journaled load.

    Fetching happens before the transaction opens, so backoff waits never hold the
    warehouse; a project that fails is a reject and the others still load.
    """
    projects = list(dict.fromkeys(projects))
    base = resolve_base_url(base_url)
    fetched: dict[str, list[tuple[date, int]]] = {}
    failures: list[tuple[str, str]] = []
    for project in projects:
        try:
            fetched[project] = overall_downloads(
                project, base_url=base, retry_delays=retry_delays, sleep=sleep
            )
        except SourceError as exc:
            failures.append((project, str(exc)))
    with warehouse.load(SOURCE, {"projects": projects, "base_url": base}) as load:
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        for project, reason in failures:
            load.reject(project, reason)
        for project, rows in fetched.items():
            load.rows_loaded += _upsert(warehouse.con, project, rows, load.load_id, loaded_at)
    return {**load.summary(), "rows_loaded": load.rows_loaded, "projects_loaded": list(fetched)}


def _get_json(url: str, retry_delays: Sequence[float], sleep: Sleep) -> object:
    """GET with retries on 429, 5xx and network errors; the JSON body of the 200."""
    attempts = len(retry_delays) + 1
    for attempt in range(attempts):
        status, retry_after, body = _request(url)
        if status == 200:
            return _decode(url, body)
        if status == 404:
            raise SourceError(f"no such project on pypistats.org: {url} answered HTTP 404")
        if not _retryable(status):
            raise SourceError(f"pypistats.org refused: {url} answered HTTP {status}")
        if attempt < len(retry_delays):
            sleep(retry_wait(retry_delays[attempt], retry_after))
    raise retries_exhausted("pypistats.org", url, status, attempts)


def _request(url: str) -> tuple[int | str, str | None, bytes]:
    """(status, Retry-After, body); a network failure is a status string such as 'timed out'."""
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, response.headers.get("Retry-After"), response.read()
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, exc.headers.get("Retry-After"), b""
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        return f"network error ({type(exc).__name__}: {reason})".replace("\n", " "), None, b""


def _retryable(status: int | str) -> bool:
    return isinstance(status, str) or status == 429 or 500 <= status <= 599


def _decode(url: str, body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"bad JSON from {url} (HTTP 200): {exc}".replace("\n", " ")) from None
    except RecursionError:
        raise SourceError(f"bad JSON from {url} (HTTP 200): nested too deep to read") from None


def _parse_overall(url: str, payload: object) -> list[tuple[date, int]]:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise SourceError(f"unexpected JSON from {url} (HTTP 200): no 'data' list")
    days: dict[date, int] = {}
    for item in data:
        if not isinstance(item, dict):
            raise SourceError(f"unexpected JSON from {url} (HTTP 200): {item!r:.80} in 'data'")
        if item.get("category") == CATEGORY:
            day, downloads = _parse_day(url, item)
            if day in days:
                raise SourceError(f"unexpected JSON from {url} (HTTP 200): {day} twice")
            days[day] = downloads
    return sorted(days.items())


def _parse_day(url: str, item: dict) -> tuple[date, int]:
    """One day's row, held to the download rules (`download_rules`)."""
    downloads = item.get("downloads")
    try:
        day = date.fromisoformat(item["date"])
    except (KeyError, TypeError, ValueError):
        raise SourceError(f"unexpected JSON from {url} (HTTP 200): row {item!r:.80}") from None
    problem = count_problem(downloads) or future_problem(day)
    if problem:
        raise SourceError(f"unexpected JSON from {url} (HTTP 200): {day}: {problem}")
    return day, downloads


def _upsert(
    con: duckdb.DuckDBPyConnection,
    project: str,
    rows: list[tuple[date, int]],
    load_id: str,
    loaded_at: datetime,
) -> int:
    """Replace this project's rows for the fetched days; the number of rows written."""
    if not rows:
        return 0
    days = [day for day, _ in rows]
    con.execute(
        "delete from raw.pypistats_downloads"
        " where project = ? and category = ? and list_contains(?::date[], day)",
        [project, CATEGORY, days],
    )
    con.execute(
        "insert into raw.pypistats_downloads (day, project, category, downloads, load_id, loaded_at)"
        " select unnest(?::date[]), ?, ?, unnest(?::bigint[]), ?, ?",
        [days, project, CATEGORY, [n for _, n in rows], load_id, loaded_at],
    )
    return len(rows)
