"""Where mining results live in the warehouse: the blob cache and the month-end snapshots."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

# Bump when the extractor's results change, so cached blobs are parsed again.
EXTRACTOR_VERSION = 1


@dataclass(frozen=True)
class BlobImports:
    blob_sha: str
    import_roots: tuple[str, ...]
    modules: tuple[str, ...]
    relative_imports: tuple[str, ...]
    method: str
    reason: str | None
    size_bytes: int


@dataclass(frozen=True)
class MonthSnapshot:
    repo: str
    month: date
    commit_sha: str
    committed_at: datetime
    python_files: int
    notebook_files: int
    fallback_files: int
    skipped_files: int
    blob_files: dict[str, int]  # blob sha -> paths holding it in the tree


def mined_months(con: duckdb.DuckDBPyConnection, repo: str) -> dict[date, str]:
    """month -> commit already mined for `repo`."""
    return dict(
        con.execute(
            "select month, commit_sha from raw.repo_snapshots where repo = ?", [repo]
        ).fetchall()
    )


def cached_blobs(con: duckdb.DuckDBPyConnection, shas: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """blob sha -> import roots, for the shas parsed by the current extractor."""
    shas = list(set(shas))
    if not shas:
        return {}
    rows = con.execute(
        """
        select blob_sha, import_roots, method from raw.blob_imports
        where blob_sha in (select unnest(?)) and extractor_version = ?
        """,
        [shas, EXTRACTOR_VERSION],
    ).fetchall()
    return {sha: (tuple(roots), method) for sha, roots, method in rows}


def save_blobs(
    con: duckdb.DuckDBPyConnection,
    blobs: list[BlobImports],
    *,
    extractor_version: int = EXTRACTOR_VERSION,
) -> None:
    """Persist parsed blobs at once (own transaction), so a killed run never parses them again."""
    if not blobs:
        return
    con.execute("begin transaction")
    try:
        con.execute(
            "delete from raw.blob_imports where blob_sha in (select unnest(?))",
            [[b.blob_sha for b in blobs]],
        )
        con.executemany(
            "insert into raw.blob_imports values (?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
            [
                (
                    b.blob_sha,
                    list(b.import_roots),
                    list(b.modules),
                    list(b.relative_imports),
                    b.method,
                    b.reason,
                    b.size_bytes,
                    extractor_version,
                )
                for b in blobs
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def replace_months(
    con: duckdb.DuckDBPyConnection, snapshots: list[MonthSnapshot], source: str, load_id: str
) -> int:
    """Upsert month snapshots (call inside a journaled load); returns rows written."""
    if not snapshots:
        return 0
    keys = [(s.repo, s.month) for s in snapshots]
    con.execute("create or replace temp table mined_keys (repo varchar, month date)")
    con.executemany("insert into temp.mined_keys values (?, ?)", keys)
    con.execute(
        "delete from raw.repo_snapshots where (repo, month) in (select (repo, month) from temp.mined_keys)"
    )
    con.execute(
        "delete from raw.repo_snapshot_blobs where (repo, month) in (select (repo, month) from temp.mined_keys)"
    )
    con.executemany(
        "insert into raw.repo_snapshots values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
        [
            (
                s.repo,
                s.month,
                s.commit_sha,
                s.committed_at,
                s.python_files,
                s.notebook_files,
                s.fallback_files,
                s.skipped_files,
                source,
                load_id,
            )
            for s in snapshots
        ],
    )
    blobs = [
        (s.repo, s.month, sha, n) for s in snapshots for sha, n in sorted(s.blob_files.items())
    ]
    if blobs:
        con.executemany("insert into raw.repo_snapshot_blobs values (?, ?, ?, ?)", blobs)
    return len(snapshots) + len(blobs)
