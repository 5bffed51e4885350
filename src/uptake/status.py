"""What each source has put in the warehouse, how its loads went, and whether it is fresh.

A source's state, judged against the schedule prefect.yaml gives it (uptake.schedules):

- failed: its latest load failed (whatever succeeded before);
- stale: scheduled, and its last successful load is older than the grace period;
- fresh: scheduled, and its last successful load is within the grace period;
- unscheduled: loaded successfully, with no schedule to be late for;
- never loaded: nothing in meta.loads.

Failed and stale sources are problems. A never-loaded source is a problem only when the
caller says it must be there (`required`): an installation uses the sources it chose, so
the ones it never loaded are not alerts, but a monitor that names a source wants to hear
when it never arrived.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from uptake.schedules import SOURCE_CADENCES, stale_after
from uptake.warehouse.runs import dead_runs

# What each load source holds in the warehouse, counted in rows of its raw table.
SOURCE_ROWS = {
    "top_pypi": "select count(*) from raw.top_pypi_downloads",
    "bigquery_pypi": "select count(*) from raw.bigquery_pypi_downloads",
    "pypistats": "select count(*) from raw.pypistats_downloads",
    "conference_papers": "select (select count(*) from raw.conference_mention_counts)"
    " + (select count(*) from raw.conference_papers)",
    "papers_with_code": "select (select count(*) from raw.pwc_code_links)"
    " + (select count(*) from raw.pwc_papers)",
    "huggingface_hub": "select count(*) from raw.hf_models",
    "paper_lists": "select count(*) from raw.paper_list_papers",
    "github_ranking": "select count(*) from raw.github_ranking",
    "mining_corpus": "select count(*) from raw.repo_snapshots where source = 'corpus'",
    "github_repos": "select count(*) from raw.github_repos",
    "mining_local": "select count(*) from raw.repo_snapshots where source = 'local'",
    "mining_api": "select count(*) from raw.repo_snapshots where source = 'api'",
    "mining_bigquery": "select count(*) from raw.repo_snapshots where source = 'bigquery'",
}

PROBLEM_STATES = ("failed", "stale")


def known_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every source uptake can report on: those it knows of, and any in the journal."""
    journaled = {row[0] for row in con.execute("select distinct source from meta.loads").fetchall()}
    return sorted(set(SOURCE_ROWS) | set(SOURCE_CADENCES) | journaled)


def source_status(
    con: duckdb.DuckDBPyConnection,
    *,
    now: datetime | None = None,
    sources: list[str] | None = None,
) -> list[dict]:
    """One row per source (all known ones, or `sources`), with its state at `now` (UTC)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    journal = {
        row[0]: row[1:]
        for row in con.execute(
            """
            select
                source,
                max(finished_at) filter (where status = 'succeeded') as last_success,
                arg_max(status, finished_at) as last_status,
                arg_max(items_rejected, finished_at) as rejects_last_load
            from meta.loads
            group by source
            """
        ).fetchall()
    }
    rejects_total = dict(
        con.execute("select source, count(*) from meta.rejects group by source").fetchall()
    )
    report = []
    for source in sources or known_sources(con):
        query = SOURCE_ROWS.get(source)
        rows = con.execute(query).fetchone()[0] if query else None
        last_success, last_status, rejects_last = journal.get(source, (None, "never", 0))
        age = now - last_success if last_success else None
        report.append(
            {
                "source": source,
                "rows": rows,
                "last_success": last_success.strftime("%Y-%m-%d %H:%M:%S")
                if last_success
                else "never",
                "last_load": last_status,
                "rejects_last_load": rejects_last,
                "rejects_total": rejects_total.get(source, 0),
                "expected": SOURCE_CADENCES.get(source, ""),
                "age": format_age(age),
                "state": _state(source, last_status, age),
                # the same for programs: a timestamp or null, and seconds
                "last_success_at": last_success,
                "age_seconds": round(age.total_seconds()) if age is not None else None,
            }
        )
    return report


def problems(report: list[dict], required: list[str] | None = None) -> dict[str, list[str]]:
    """The sources to alert on, by state: failed, stale, and required ones never loaded."""
    found: dict[str, list[str]] = {}
    for row in report:
        state = row["state"]
        if state in PROBLEM_STATES or (
            state == "never loaded" and row["source"] in (required or [])
        ):
            found.setdefault(state, []).append(row["source"])
    return found


def problem_message(found: dict[str, list[str]], report: list[dict]) -> str:
    """One line naming every problem, for a monitor's alert."""
    rows = {row["source"]: row for row in report}
    parts = []
    if "failed" in found:
        parts.append(f"latest load failed for: {', '.join(found['failed'])} (see meta.loads.error)")
    if "stale" in found:
        stale = [
            f"{name} (last success {rows[name]['age']} ago, expected {rows[name]['expected']})"
            for name in found["stale"]
        ]
        parts.append(f"stale: {', '.join(stale)}")
    if "never loaded" in found:
        parts.append(f"never loaded: {', '.join(found['never loaded'])}")
    return "; ".join(parts)


def unfinished_runs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Runs that never finished and that no later run of the same flow has settled:
    marked 'died', or still 'running' with their process gone from this host."""
    if not con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'meta' and table_name = 'runs'"
    ).fetchone()[0]:
        return []  # a warehouse older than the run journal
    dead = {run_id for run_id, *_ in dead_runs(con)}
    rows = con.execute(
        """
        select run_id, flow, pid, started_at, status
        from meta.runs as r
        where status in ('died', 'running')
            and started_at > coalesce((
                select max(started_at) from meta.runs as later
                where later.flow = r.flow and later.status in ('finished', 'failed')), 'epoch')
        order by started_at
        """
    ).fetchall()
    return [
        {"run_id": run_id, "flow": flow, "pid": pid, "started_at": started_at}
        for run_id, flow, pid, started_at, status in rows
        if status == "died" or run_id in dead
    ]


def unfinished_message(runs: list[dict]) -> str:
    flows = ", ".join(dict.fromkeys(run["flow"] for run in runs))
    return f"died before finishing: {flows} (see meta.runs); run again to complete"


def format_age(age: timedelta | None) -> str:
    """'never', '<1m', '45m', '3h 12m', '2d 4h': precise enough to judge against a schedule."""
    if age is None:
        return "never"
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 1:
        return "<1m"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def _state(source: str, last_status: str, age: timedelta | None) -> str:
    if last_status == "failed":
        return "failed"
    if age is None:
        return "never loaded"
    limit = stale_after(source)
    if limit is None:
        return "unscheduled"
    return "stale" if age > limit else "fresh"
