"""Monthly PyPI downloads from BigQuery's public `pypi.file_downloads` table.

One row per month, project, installer and CI flag, all installers kept: mirrors are
excluded later, in SQL, so the raw table stays the source's truth. The table is
partitioned by day on `timestamp` and clustered on `project`; every query bounds the
one and filters the other, and a dry run prices it before it runs.

Credentials come from Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`
or `gcloud auth application-default login`); they are never stored or logged, and every
error message leaving this module passes through `redact`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
from google.cloud import bigquery

from uptake.errors import SourceError
from uptake.sources.bigquery_jobs import (  # noqa: F401 (part of this module's API)
    DEFAULT_CAP,
    estimate_bytes,
    make_client,
    run_within_budget,
)
from uptake.sources.download_rules import count_problem
from uptake.study import normalize_project

SOURCE = "bigquery_pypi"
TABLE = "bigquery-public-data.pypi.file_downloads"
EARLIEST_MONTH = date(2016, 1, 1)  # the BigQuery table starts in 2016
# A month is final once a load ran this many days after it ended: rows reach the table late.
SETTLE_DAYS = 3
# Installers that replicate PyPI rather than install from it; pypistats.org drops exactly
# these. Other mirroring tools (Nexus, pep381client) are not in its list, so not here.
MIRROR_INSTALLERS = ("bandersnatch", "z3c.pypimirror", "Artifactory", "devpi")

SCHEMA = pa.schema(
    [
        ("month", pa.date32()),
        ("project", pa.string()),
        ("installer", pa.string()),
        ("is_ci", pa.bool_()),
        ("downloads", pa.int64()),
        ("days_covered", pa.int32()),
    ]
)

_QUERY = """
SELECT
  DATE_TRUNC(DATE(timestamp), MONTH) AS month,
  project,
  COALESCE(details.installer.name, '') AS installer,
  COALESCE(details.ci, FALSE) AS is_ci,
  COUNT(*) AS downloads,
  COUNT(DISTINCT DATE(timestamp)) AS days_covered
FROM `bigquery-public-data.pypi.file_downloads`
WHERE timestamp >= TIMESTAMP(@first_month)
  AND timestamp < TIMESTAMP(@end_exclusive)
  AND project IN UNNEST(@projects)
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
"""


def monthly_downloads_query(
    projects: Iterable[str], first_month: date, end_exclusive: date
) -> tuple[str, list]:
    """The SQL and its query parameters; user values travel only as parameters."""
    parameters = [
        bigquery.ArrayQueryParameter("projects", "STRING", list(projects)),
        bigquery.ScalarQueryParameter("first_month", "DATE", first_month),
        bigquery.ScalarQueryParameter("end_exclusive", "DATE", end_exclusive),
    ]
    return _QUERY, parameters


def months_to_load(
    con, projects: Iterable[str], today: date, *, earliest: date = EARLIEST_MONTH
) -> tuple[date, date]:
    """[first_month, end_exclusive): from the first month not final for every project
    to the end of the current month, which is always refreshed (so never empty).

    A month is final for a project when a succeeded load covered both, as of a day at
    least SETTLE_DAYS after the month ended. The journal, not the raw rows, decides: a
    project with no downloads in a month (before its first release) has no rows for it.
    """
    current = _month_start(today)
    final = _final_months(con, sorted(set(projects)))
    month = min(_month_start(earliest), current)
    while month < current and month in final:
        month = _next_month(month)
    return month, _next_month(current)


def fetch_monthly_downloads(
    client,
    projects: Iterable[str],
    first_month: date,
    end_exclusive: date,
    maximum_bytes_billed: int,
    on_reject: Callable[[str, str], object] | None = None,
) -> pa.Table:
    """Price the query with a dry run, refuse it above the cap, else run it capped.

    A row that breaks a download rule (`download_rules`: a count that is no integer or
    is negative, a month outside those asked for, a key twice) takes its project's
    month out of the answer, reported to `on_reject(item, reason)`; without
    `on_reject` it raises SourceError.
    """
    sql, params = monthly_downloads_query(projects, first_month, end_exclusive)
    rows = run_within_budget(
        client,
        sql,
        params,
        maximum_bytes_billed,
        what=f"PyPI downloads {first_month} to {end_exclusive}",
        hint="load from a later month",
    )
    table = _to_arrow(rows).select(SCHEMA.names)
    rejected = _broken_project_months(table, first_month, end_exclusive)
    for (project, month), reason in rejected.items():
        item = f"{project} {month:%Y-%m}"
        if on_reject is None:
            raise SourceError(f"BigQuery's answer for {item} is refused: {reason}")
        on_reject(item, reason)
    if rejected:
        keep = [(row["project"], row["month"]) not in rejected for row in table.to_pylist()]
        table = table.filter(pa.array(keep, pa.bool_()))
    return table.cast(SCHEMA)


def _broken_project_months(
    table: pa.Table, first_month: date, end_exclusive: date
) -> dict[tuple[str, object], str]:
    """(project, month) -> why, for every project-month with a row that breaks a rule."""
    broken: dict[tuple[str, object], str] = {}
    seen: set[tuple] = set()
    for number, row in enumerate(table.to_pylist(), start=1):
        month = row["month"]
        key = (month, row["project"], row["installer"], row["is_ci"])
        if not isinstance(month, date):
            problem = f"month {month!r:.40} is not a date"
        elif not first_month <= month < end_exclusive:
            problem = (
                f"month {month:%Y-%m} is outside the months asked for "
                f"({first_month:%Y-%m} to {end_exclusive:%Y-%m}, exclusive)"
            )
        elif key in seen:
            problem = f"installer {row['installer']!r}, ci {row['is_ci']} listed twice"
        else:
            problem = count_problem(row["downloads"])
        seen.add(key)
        if problem and (row["project"], month) not in broken:
            broken[(row["project"], month)] = f"row {number}: {problem}"
    return broken


def load_bigquery_downloads(
    warehouse,
    client,
    projects: Iterable[str],
    *,
    today: date | None = None,
    maximum_bytes_billed: int = DEFAULT_CAP,
    earliest: date = EARLIEST_MONTH,
) -> dict:
    """Replace the months not yet final in raw.bigquery_pypi_downloads, in one journaled load."""
    projects = sorted({normalize_project(p) for p in projects})
    if not projects:
        raise SourceError("no PyPI projects to load from BigQuery: the study lists none")
    today = today or datetime.now(UTC).date()
    first_month, end = months_to_load(warehouse.con, projects, today, earliest=earliest)
    parameters = {
        "projects": projects,
        "first_month": first_month.isoformat(),
        "end": end.isoformat(),
        "as_of": today.isoformat(),
        "maximum_bytes_billed": maximum_bytes_billed,
    }
    with warehouse.load(SOURCE, parameters) as load:
        table = fetch_monthly_downloads(
            client, projects, first_month, end, maximum_bytes_billed, on_reject=load.reject
        )
        # A refused month is never final, so the next load asks for it again.
        load.parameters["refused_months"] = sorted({item for item, _ in load.rejects})
        _replace_months(warehouse.con, table, projects, first_month, end, load.load_id)
        load.rows_loaded = table.num_rows
    return {
        **load.summary(),
        "projects": projects,
        "first_month": first_month,
        "end": end,
        "rows_loaded": load.rows_loaded,
    }


def _replace_months(con, table: pa.Table, projects, first_month, end, load_id) -> None:
    con.execute(
        "delete from raw.bigquery_pypi_downloads"
        " where month >= ? and month < ? and list_contains(?, project)",
        [first_month, end, projects],
    )
    con.register("bigquery_pypi_batch", table)
    try:
        con.execute(
            "insert into raw.bigquery_pypi_downloads"
            " select month, project, installer, is_ci, downloads, days_covered, ?, ?"
            " from bigquery_pypi_batch",
            [load_id, datetime.now(UTC).replace(tzinfo=None)],
        )
    finally:
        con.unregister("bigquery_pypi_batch")


def _final_months(con, projects: list[str]) -> set[date]:
    """Months final for every one of `projects`, according to the load journal."""
    loads = con.execute(
        "select parameters from meta.loads where source = ? and status = 'succeeded'", [SOURCE]
    ).fetchall()
    final: dict[str, set[date]] = {p: set() for p in projects}
    for (text,) in loads:
        loaded = json.loads(text)
        if not {"as_of", "first_month", "end", "projects"} <= loaded.keys():
            continue  # not a load this module wrote
        as_of = date.fromisoformat(loaded["as_of"])
        refused = set(loaded.get("refused_months", ()))
        for month in _months(
            date.fromisoformat(loaded["first_month"]), date.fromisoformat(loaded["end"])
        ):
            if as_of >= _next_month(month) + timedelta(days=SETTLE_DAYS):
                for project in set(loaded["projects"]) & final.keys():
                    if f"{project} {month:%Y-%m}" not in refused:
                        final[project].add(month)
    return set.intersection(*final.values()) if final else set()


def _to_arrow(rows) -> pa.Table:
    if hasattr(rows, "to_arrow"):
        # The Storage Read API needs another permission and package; results are small.
        return rows.to_arrow(create_bqstorage_client=False)
    return pa.Table.from_pylist([dict(row.items()) for row in rows], schema=SCHEMA)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _months(first: date, end_exclusive: date) -> Iterator[date]:
    month = _month_start(first)
    while month < end_exclusive:
        yield month
        month = _next_month(month)
