"""Writing one more mined repository into a large warehouse: uptake's writes against scans.

A warehouse is filled as if thousands of repositories had been mined already (default
1,000,000 cached blobs and 5,000,000 month x blob rows), then one more repository's
results are written, each in a transaction rolled back so every round starts alike:

- uptake: `store.write_blobs` (an upsert on the cache's primary key) and
  `store.replace_months` (deletes only for months mined before);
- baseline: the statements uptake used before, which scan the whole cache and the whole
  month x blob table for every repository (an anti-join, and deletes by key).

It also times the reads made before each repository (`mined_months`, `cached_blobs`,
`latest_month_blobs`), and repeats at a tenth of the size, so how each grows shows.

    .venv/bin/python bench/bench_mining_writes.py [--blobs N] [--rows N] [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from uptake.mining import store
from uptake.warehouse import Warehouse

NEW_BLOBS = 50  # a small repository's new blobs
MONTHS = 12  # and its months, each holding 40 blobs


def fill(con, blobs: int, rows: int) -> None:
    """`blobs` cached blobs, and `rows` month x blob rows over repositories of 60 months."""
    con.execute(
        f"""
        insert into raw.blob_imports
        select md5(i::varchar) || 'deadbeef', ['os'], ['os'], [], 'ast', null, 100, $version,
               now()::timestamp
        from range({blobs}) as t(i)
        """,  # noqa: S608 (numbers)
        {"version": store.EXTRACTOR_VERSION},
    ).fetchall()
    con.execute(
        f"""
        insert into raw.repo_snapshot_blobs
        select 'owner/r' || (i // 3000)::varchar, date '2019-01-01' + to_months((i % 3000) // 50),
               md5((i % {blobs})::varchar) || 'deadbeef', 1
        from range({rows}) as t(i)
        """  # noqa: S608 (numbers)
    ).fetchall()
    con.execute(
        f"""
        insert into raw.repo_snapshots
        select 'owner/r' || (i // 60)::varchar, date '2019-01-01' + to_months(i % 60), 'c',
               now()::timestamp, 50, 0, 0, 0, 'local', 'bench', now()::timestamp
        from range({rows // 3000 * 60}) as t(i)
        """  # noqa: S608 (numbers)
    ).fetchall()
    con.execute("checkpoint").fetchall()


def new_repository(round_number: int) -> tuple[list[store.BlobImports], list[store.MonthSnapshot]]:
    blobs = [
        store.BlobImports(f"{round_number:08d}{i:032d}", ("torch",), ("torch",), (), "ast", None, 9)
        for i in range(NEW_BLOBS)
    ]
    snapshots = [
        store.MonthSnapshot(
            repo=f"new/repo{round_number}",
            month=date(2024, month, 1),
            commit_sha="c",
            committed_at=datetime(2024, month, 2),
            python_files=40,
            notebook_files=0,
            fallback_files=0,
            skipped_files=0,
            blob_files={blob.blob_sha: 1 for blob in blobs[month : month + 40]},
        )
        for month in range(1, MONTHS + 1)
    ]
    return blobs, snapshots


def uptake_write(con, blobs, snapshots) -> None:
    store.write_blobs(con, store.blob_table(blobs))
    store.replace_months(con, snapshots, "local", "bench")


def scanning_write(con, blobs, snapshots) -> None:
    """The statements uptake ran before: each scans a whole table."""
    con.register("new_blobs", store.blob_table(blobs))
    months, month_blobs = store.month_tables(snapshots)
    con.register("new_months", months)
    con.register("new_month_blobs", month_blobs)
    version = store.EXTRACTOR_VERSION
    con.execute(
        "delete from raw.blob_imports where extractor_version <> ? "
        "and blob_sha in (select blob_sha from new_blobs)",
        [version],
    ).fetchall()
    con.execute(
        "insert into raw.blob_imports select *, ?, now()::timestamp from new_blobs "
        "where blob_sha not in (select blob_sha from raw.blob_imports)",
        [version],
    ).fetchall()
    keys = "(repo, month) in (select (repo, month) from new_months)"
    con.execute(f"delete from raw.repo_snapshots where {keys}").fetchall()  # noqa: S608
    con.execute(f"delete from raw.repo_snapshot_blobs where {keys}").fetchall()  # noqa: S608
    con.execute(
        "insert into raw.repo_snapshots select *, 'local', 'bench', now()::timestamp "
        "from new_months"
    ).fetchall()
    con.execute("insert into raw.repo_snapshot_blobs select * from new_month_blobs").fetchall()
    for name in ("new_blobs", "new_months", "new_month_blobs"):
        con.unregister(name)


def timed_write(con, write, round_number: int) -> float:
    blobs, snapshots = new_repository(round_number)
    con.execute("begin transaction")
    started = time.perf_counter()
    write(con, blobs, snapshots)
    elapsed = time.perf_counter() - started
    con.execute("rollback")
    return elapsed


def timed_read(read, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(blobs: int, rows: int, repeats: int) -> None:
    with (
        tempfile.TemporaryDirectory() as scratch,
        Warehouse.open(Path(scratch) / "w.duckdb") as warehouse,
    ):
        con = warehouse.con
        fill(con, blobs, rows)
        uptake, scanning = [], []
        for round_number in range(repeats):  # in turn, so the machine's load weighs alike
            uptake.append(timed_write(con, uptake_write, round_number))
            scanning.append(timed_write(con, scanning_write, round_number))
        mined = "owner/r7"
        shas = [sha for (sha,) in con.execute(
            "select blob_sha from raw.repo_snapshot_blobs where repo = ? limit 500", [mined]
        ).fetchall()]  # fmt: skip
        reads = {
            "mined_months": lambda: store.mined_months(con, mined),
            f"cached_blobs ({len(shas)} shas)": lambda: store.cached_blobs(con, shas),
            "latest_month_blobs": lambda: store.latest_month_blobs(con, mined),
        }
        up, scan = statistics.median(uptake), statistics.median(scanning)
        print(f"\n{blobs:,} cached blobs, {rows:,} month x blob rows (medians of {repeats}):")
        print(f"  {'write one repository: uptake':<40} {up * 1000:8.1f} ms")
        print(f"  {'write one repository: scanning baseline':<40} {scan * 1000:8.1f} ms")
        print(f"  {'  baseline / uptake':<40} {scan / up:8.1f}x")
        for label, read in reads.items():
            print(f"  {'read ' + label:<40} {timed_read(read, repeats) * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blobs", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"one more repository: {NEW_BLOBS} new blobs, {MONTHS} months")
    for scale in (10, 1):
        measure(args.blobs // scale, args.rows // scale, args.repeats)


if __name__ == "__main__":
    main()
