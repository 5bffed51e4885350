"""What each source has put in the warehouse, and how its loads went."""

from __future__ import annotations

import duckdb

# What each load source holds in the warehouse, counted in rows of its raw table.
SOURCE_ROWS = {
    "top_pypi": "select count(*) from raw.top_pypi_downloads",
    "bigquery_pypi": "select count(*) from raw.bigquery_pypi_downloads",
    "pypistats": "select count(*) from raw.pypistats_downloads",
    "mining_local": "select count(*) from raw.repo_snapshots where source = 'local'",
    "mining_api": "select count(*) from raw.repo_snapshots where source = 'api'",
    "mining_bigquery": "select count(*) from raw.repo_snapshots where source = 'bigquery'",
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
    for source in sorted(set(SOURCE_ROWS) | set(journal)):
        query = SOURCE_ROWS.get(source)
        rows = con.execute(query).fetchone()[0] if query else None
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
