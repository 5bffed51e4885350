"""What each source has put in the warehouse, and how its loads went."""

from __future__ import annotations

import duckdb

# Raw table per load source, to count what each holds.
SOURCE_TABLES = {
    "top_pypi": "raw.top_pypi_downloads",
    "bigquery_pypi": "raw.bigquery_pypi_downloads",
    "pypistats": "raw.pypistats_downloads",
}


def source_status(con: duckdb.DuckDBPyConnection) -> list[dict]:
    journal = {
        row[0]: row
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
    for source in sorted(set(SOURCE_TABLES) | set(journal)):
        table = SOURCE_TABLES.get(source)
        rows = con.execute(f"select count(*) from {table}").fetchone()[0] if table else None  # noqa: S608
        _, last_success, last_status, rejects_last = journal.get(source, (source, None, "never", 0))
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
            }
        )
    return report
