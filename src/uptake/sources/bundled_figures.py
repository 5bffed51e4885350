"""The compact table of real figures shipped for the offline demo.

Derived by `uptake figures` from the top-PyPI-packages snapshots: for every snapshot,
its metadata (cut-off, size, data source) and the rows of the study's projects. Loaded
into the same raw tables, through the same upsert, as the full snapshots; a later load
of the full snapshots replaces these rows snapshot by snapshot.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from importlib import resources
from pathlib import Path

from uptake.errors import SourceError
from uptake.sources.top_pypi import SOURCE, upsert_snapshots
from uptake.warehouse import Warehouse

FIGURES_FILE = "top_pypi_study_figures.json.gz"
CONFERENCE_FILE = "conference_mentions.csv"
CORPUS_FILE = "mined_corpus.zip"
ATTRIBUTION = (
    "Derived from the top-pypi-packages dumps by Hugo van Kemenade "
    "(github.com/hugovk/top-pypi-packages), computed from PyPI's public BigQuery dataset "
    "and, from 2025-07, ClickHouse's public PyPI mirror."
)


def bundled_figures_path() -> Path:
    return Path(str(resources.files("uptake") / "data" / FIGURES_FILE))


def bundled_conference_path() -> Path:
    return Path(str(resources.files("uptake") / "data" / CONFERENCE_FILE))


def bundled_corpus_path() -> Path:
    """The mined corpus shipped for the demo (`uptake export-corpus`)."""
    return Path(str(resources.files("uptake") / "data" / CORPUS_FILE))


def export_conference_mentions(warehouse: Warehouse, destination: Path) -> dict:
    """Write the loaded conference mention counts back out in the mentions-table format
    (conference,MM/YY,pytorch,tensorflow,total), the compact research table of the demo."""
    rows = warehouse.con.execute(
        """
        select conference_label, strftime(edition_month, '%m/%y'),
            max(papers) filter (where word = 'pytorch'), max(papers) filter (where word = 'tensorflow'),
            max(total_papers)
        from raw.conference_mention_counts
        group by conference_label, edition_month
        order by edition_month, conference_label
        """
    ).fetchall()
    if not rows:
        raise SourceError("no conference mention counts in the warehouse to derive figures from")
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(
        "".join(",".join(str(v) for v in row) + "\n" for row in rows), encoding="utf-8"
    )
    return {"editions": len(rows), "bytes": destination.stat().st_size}


def export_figures(warehouse: Warehouse, projects: list[str], destination: Path) -> dict:
    """Write the compact table from snapshots already loaded into `warehouse`."""
    con = warehouse.con
    snapshots = con.execute(
        """
        select strftime(snapshot_at, '%Y-%m-%d %H:%M:%S'), top_n, min_download_count,
            data_source, bytes_processed
        from raw.top_pypi_snapshots order by snapshot_at
        """
    ).fetchall()
    if not snapshots:
        raise SourceError("no snapshots in the warehouse to derive figures from: load them first")
    rows = con.execute(
        """
        select strftime(snapshot_at, '%Y-%m-%d %H:%M:%S'), project, download_count
        from raw.top_pypi_downloads
        where lower(regexp_replace(project, '[-_.]+', '-', 'g')) in (select unnest(?))
        order by snapshot_at, project
        """,
        [projects],
    ).fetchall()
    by_snapshot: dict[str, list] = {}
    for snapshot_at, project, count in rows:
        by_snapshot.setdefault(snapshot_at, []).append(
            {"project": project, "download_count": count}
        )
    document = {
        "attribution": ATTRIBUTION,
        "projects": sorted(projects),
        "snapshots": [
            {
                "last_update": at,
                "top_n": top_n,
                "cutoff": cutoff,
                "data_source": data_source,
                "bytes_processed": bytes_processed,
                "rows": by_snapshot.get(at, []),
            }
            for at, top_n, cutoff, data_source, bytes_processed in snapshots
        ],
    }
    payload = json.dumps(document, indent=None, separators=(",", ":"), sort_keys=True).encode()
    destination.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 so regenerating from the same data gives the same bytes
    destination.write_bytes(gzip.compress(payload, mtime=0))
    return {"snapshots": len(snapshots), "rows": len(rows), "bytes": destination.stat().st_size}


def load_bundled_figures(warehouse: Warehouse, path: Path | None = None) -> dict:
    """Load the compact table; unchanged snapshots already loaded are skipped."""
    path = path or bundled_figures_path()
    try:
        document = json.loads(gzip.decompress(path.read_bytes()))
        snapshots = document["snapshots"]
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise SourceError(
            f"bundled figures {path} are unreadable ({exc}); regenerate with `uptake figures`"
        ) from None
    con = warehouse.con
    with warehouse.load(SOURCE, {"bundled_figures": path.name}) as load:
        known = {
            r[0]
            for r in con.execute("select content_sha256 from raw.top_pypi_snapshots").fetchall()
        }
        # Never replace a full snapshot by its compact copy.
        full = {
            r[0]
            for r in con.execute(
                "select strftime(snapshot_at, '%Y-%m-%d %H:%M:%S') from raw.top_pypi_snapshots "
                "where origin not like 'bundled:%'"
            ).fetchall()
        }
        meta, rows = [], []
        for snapshot in snapshots:
            digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()
            if digest in known or snapshot["last_update"] in full:
                load.items_skipped += 1
                continue
            at = snapshot["last_update"]
            meta.append(
                (
                    at,
                    digest,
                    f"bundled:{path.name}#{at}",
                    snapshot["top_n"],
                    snapshot["cutoff"],
                    snapshot["data_source"],
                    snapshot["bytes_processed"],
                )
            )
            rows.extend((at, r["project"], r["download_count"]) for r in snapshot["rows"])
        con.execute(
            "create or replace temp table snapshot_meta (snapshot_at timestamp, content_sha256 varchar, "
            "origin varchar, top_n integer, min_download_count bigint, data_source varchar, bytes_processed bigint)"
        )
        con.execute(
            "create or replace temp table snapshot_rows (snapshot_at timestamp, project varchar, download_count bigint)"
        )
        if meta:
            con.executemany("insert into temp.snapshot_meta values (?, ?, ?, ?, ?, ?, ?)", meta)
            if rows:
                con.executemany("insert into temp.snapshot_rows values (?, ?, ?)", rows)
            upsert_snapshots(con, load, covers_projects=document.get("projects"))
        return load.summary()
