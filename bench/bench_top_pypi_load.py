"""Loading top-PyPI snapshots: uptake's loader against the floor of DuckDB alone.

Floor: DuckDB reading the same files into a table (one row per snapshot and project) in a
fresh database file, with nothing else. uptake: read the files, hash them, parse, validate,
upsert into raw tables and journal the load, in a fresh warehouse. Both in this run, on
1, 10 and all snapshots; the median of several repeats.

    .venv/bin/python bench/bench_top_pypi_load.py [SNAPSHOT_FOLDER] [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from uptake.sources import top_pypi
from uptake.warehouse import Warehouse

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "top-pypi-packages"


def floor(paths: list[str], scratch: Path) -> tuple[float, int]:
    started = time.perf_counter()
    con = duckdb.connect(str(scratch / "floor.duckdb"))
    con.execute(
        """
        create table downloads as
        select last_update, r.project, r.download_count
        from read_json(?, columns = {'last_update': 'VARCHAR',
                                     'rows': 'STRUCT(download_count BIGINT, project VARCHAR)[]'}),
             unnest(rows) as u(r)
        """,
        [paths],
    )
    rows = con.execute("select count(*) from downloads").fetchone()[0]
    con.close()
    return time.perf_counter() - started, rows


def uptake_load(paths: list[str], scratch: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with Warehouse.open(scratch / "uptake.duckdb") as warehouse:
        files = top_pypi.read_snapshot_files(paths, lambda item, reason: None)
        summary = top_pypi.load_snapshot_files(warehouse, files)
    return time.perf_counter() - started, summary["rows"]


def measure(function, paths, repeats: int) -> tuple[float, int]:
    timings, rows = [], 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as scratch:
            elapsed, rows = function(paths, Path(scratch))
        timings.append(elapsed)
    return statistics.median(timings), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    paths = top_pypi.snapshot_locations([args.folder])
    print(
        f"{'snapshots':>9}  {'rows':>9}  {'floor s':>8}  {'uptake s':>8}  {'ratio':>6}  {'uptake rows/s':>13}"
    )
    for n in (1, 10, len(paths)):
        floor_s, floor_rows = measure(floor, paths[-n:], args.repeats)
        uptake_s, uptake_rows = measure(uptake_load, paths[-n:], args.repeats)
        assert floor_rows == uptake_rows, (floor_rows, uptake_rows)
        print(
            f"{n:>9}  {uptake_rows:>9,}  {floor_s:>8.3f}  {uptake_s:>8.3f}  "
            f"{uptake_s / floor_s:>5.2f}x  {uptake_rows / uptake_s:>13,.0f}"
        )


if __name__ == "__main__":
    main()
