"""Ten years of monthly download snapshots: uptake's load and model build, time and peak
memory, against DuckDB alone reading the same files, in the same run.

Generates top-PyPI-style snapshot files (the real files' shape: `last_update`, `query`,
`rows` of {download_count, project} sorted by count; 5,000 projects a snapshot in 2018,
8,000 from 2023) for 120 months: 500 followed projects (the study's among them) plus the
other projects a real snapshot holds. Each measurement runs in a fresh process so its
peak resident memory (VmHWM) is its own:

- floor: DuckDB reads every file into one table (one row per snapshot and project);
- uptake load: the real loader (hash, parse, validate, upsert, journal) into a fresh
  warehouse;
- uptake load + build: the same, then syncing the study and building every SQL model.

Run on 12, 60 and 120 months: memory must stay bounded as the months grow.

    .venv/bin/python bench/bench_downloads_load.py [--months 12,60,120] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FOLLOWED = 500
FIRST_YEAR = 2016


def peak_rss_kb() -> int:
    """This process's own peak resident size (VmHWM). Not getrusage's ru_maxrss: Linux
    keeps that across fork and exec, so it would include the parent's size."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def snapshot_size(year: int) -> int:
    """Projects in a snapshot, as in the real files (5,000 until 2022, then 8,000)."""
    return 5_000 if year < 2023 else 8_000


def generate(folder: Path, months: int, seed: int = 20191) -> list[Path]:
    from uptake.study import load_study

    rng = random.Random(seed)
    study_projects = load_study().pypi_projects()
    followed = study_projects + [f"followed-{i:03d}" for i in range(FOLLOWED - len(study_projects))]
    others = [f"other-project-{i:05d}" for i in range(10_000)]
    base = {p: rng.lognormvariate(13, 2) for p in followed + others}
    paths = []
    for month in range(months):
        year, month_of_year = FIRST_YEAR + month // 12, month % 12 + 1
        growth = 1.02**month
        counts = {
            p: int(v * growth * rng.uniform(0.8, 1.2)) + 1
            for p, v in base.items()
            if p in followed or rng.random() < 0.9
        }
        top = sorted(counts.items(), key=lambda kv: -kv[1])[: snapshot_size(year)]
        document = {
            "last_update": f"{year}-{month_of_year:02d}-01 08:13:25",
            "query": {"bytes_billed": 0, "bytes_processed": 0, "cached": True},
            "rows": [{"download_count": n, "project": p} for p, n in top],
        }
        path = folder / f"{year}-{month_of_year:02d}-01.json.gz"
        path.write_bytes(gzip.compress(json.dumps(document).encode(), mtime=0))
        paths.append(path)
    return paths


def child(mode: str, folder: Path, months: int, db: Path | None = None) -> dict:
    paths = sorted(str(p) for p in folder.glob("*.json.gz"))[:months]
    scratch = Path(tempfile.mkdtemp(prefix="bench-downloads-"))
    db = db or scratch / "uptake.duckdb"
    started = time.perf_counter()
    figures: dict = {"rows": 0}
    if mode == "imports":  # what the load's own imports cost, before any data
        from uptake.models import build_models  # noqa: F401
        from uptake.sources import top_pypi  # noqa: F401
        from uptake.warehouse import Warehouse

        Warehouse.open(scratch / "empty.duckdb").close()
    elif mode == "floor":
        import duckdb

        con = duckdb.connect(str(scratch / "floor.duckdb"))
        con.execute(
            """
            create table downloads as
            select last_update, r.project, r.download_count
            from read_json(?, columns = {'last_update': 'VARCHAR',
                'rows': 'STRUCT(download_count BIGINT, project VARCHAR)[]'}), unnest(rows) as u(r)
            """,
            [paths],
        )
        figures["rows"] = con.execute("select count(*) from downloads").fetchall()[0][0]
        con.close()
    else:
        from uptake.models import build_models
        from uptake.sources import top_pypi
        from uptake.study import load_study
        from uptake.warehouse import Warehouse

        with Warehouse.open(db) as warehouse:
            files = top_pypi.read_snapshot_files(paths, lambda item, reason: None)
            summary = top_pypi.load_snapshot_files(warehouse, files)
            figures["rows"] = summary["rows"]
            figures["load_s"] = time.perf_counter() - started
            if mode == "build":
                warehouse.sync_study(load_study())
                result = build_models(warehouse.con)
                figures["models"] = len(result.built)
                figures["downloads_monthly"] = warehouse.con.execute(
                    "select count(*) from marts.downloads_monthly"
                ).fetchall()[0][0]
    figures["seconds"] = time.perf_counter() - started
    figures["peak_rss_mb"] = peak_rss_kb() / 1024
    return figures


def measure(mode: str, folder: Path, months: int, db: Path | None = None) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--folder", str(folder)]
    output = subprocess.run(
        [*command, "--months", str(months), *(["--db", str(db)] if db else [])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", default="12,60,120")
    parser.add_argument("--child", choices=["imports", "floor", "load", "build"])
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this folder")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, int(args.months), args.db)))
        return
    months = [int(m) for m in args.months.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-snapshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.json.gz"))) < max(months):
        started = time.perf_counter()
        paths = generate(folder, max(months))
        size = sum(p.stat().st_size for p in paths)
        print(
            f"generated {len(paths)} monthly snapshots ({FOLLOWED} followed projects, "
            f"5,000-8,000 rows each, {size / 2**20:.1f} MB gzipped) "
            f"in {time.perf_counter() - started:.1f} s"
        )
    idle = measure("imports", folder, 0)
    print(f"uptake's imports and an empty warehouse alone: peak RSS {idle['peak_rss_mb']:.0f} MB")
    print(
        f"{'months':>6}  {'rows':>9}  {'floor s':>8}  {'floor MB':>8}  {'load s':>7}  "
        f"{'load MB':>7}  {'load+build s':>12}  {'load+build MB':>13}  {'build rows':>10}"
    )
    for n in months:
        floor = measure("floor", folder, n)
        load = measure("load", folder, n)
        build = measure("build", folder, n)
        assert floor["rows"] == load["rows"] == build["rows"], (floor, load, build)
        print(
            f"{n:>6}  {load['rows']:>9,}  {floor['seconds']:>8.2f}  {floor['peak_rss_mb']:>8.0f}  "
            f"{load['seconds']:>7.2f}  {load['peak_rss_mb']:>7.0f}  {build['seconds']:>12.2f}  "
            f"{build['peak_rss_mb']:>13.0f}  {build['downloads_monthly']:>10,}"
        )

    # Memory follows what one run loads, not what the warehouse already holds.
    db = Path(tempfile.mkdtemp(prefix="bench-incremental-")) / "uptake.duckdb"
    measure("load", folder, max(months) - 12, db)
    newer = measure("load", folder, max(months), db)
    print(
        f"then 12 new months into a warehouse holding {max(months) - 12}: "
        f"{newer['rows']:,} rows, {newer['seconds']:.2f} s, peak RSS {newer['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
