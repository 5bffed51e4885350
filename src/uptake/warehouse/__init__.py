"""The DuckDB warehouse: schemas raw, staging, marts and meta in one file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from uptake.study import Study
from uptake.warehouse import run_lock
from uptake.warehouse.connection import connect, resolve_path
from uptake.warehouse.journal import Load, record_failed_load, record_reject, recorded_load, utcnow
from uptake.warehouse.migrations import migrate

__all__ = ["Load", "Warehouse", "exclusive_run", "resolve_path", "utcnow"]

exclusive_run = run_lock.exclusive_run


class Warehouse:
    """One open warehouse. Use as a context manager so the file lock is released."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self.con = con
        self.path = path
        self.read_only = read_only
        self._writing = None  # the run lock held while this read-write Warehouse is open

    @classmethod
    def open(
        cls, path: str | Path | None = None, *, read_only: bool = False, wait_seconds: float = 0.0
    ) -> Warehouse:
        path = resolve_path(path)
        if read_only:
            return cls(connect(path, read_only=True, wait_seconds=wait_seconds), path, True)
        if run_lock.held_here(path):
            # This process's run holds the warehouse: only readers can be in the way.
            wait_seconds = max(wait_seconds, run_lock.READER_GRACE_SECONDS)
        writing = run_lock.exclusive_run(path, wait_seconds=wait_seconds)
        writing.__enter__()
        try:
            con = connect(path, wait_seconds=wait_seconds)
            try:
                migrate(con)
            except BaseException:
                con.close()
                raise
        except BaseException as exc:
            writing.__exit__(type(exc), exc, exc.__traceback__)
            raise
        warehouse = cls(con, path, read_only)
        warehouse._writing = writing
        return warehouse

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.__exit__(None, None, None)

    @contextmanager
    def load(self, source: str, parameters: dict, load: Load | None = None) -> Iterator[Load]:
        with recorded_load(self.con, source, parameters, load) as recorded:
            yield recorded

    def record_failure(self, source: str, parameters: dict, exc: BaseException) -> None:
        record_failed_load(self.con, source, parameters, exc)

    def reject(self, source: str, item: str, reason: str) -> None:
        record_reject(self.con, source, item, reason)

    def sync_study(self, study: Study) -> None:
        """Write the study into meta.study_* so SQL models join on it, never naming a technology."""
        technologies = study.technologies.values()
        tables = {
            "meta.study_technologies": [(t.id, t.label, t.colour) for t in technologies],
            "meta.study_projects": study.project_technologies(),
            "meta.study_rivalries": study.rivalry_members(),
            "meta.study_paper_words": sorted(
                {(t.id, w.lower()) for t in technologies for w in t.paper_words}
            ),
            "meta.study_pwc_frameworks": sorted(
                {(t.id, f.lower()) for t in technologies for f in t.pwc_frameworks}
            ),
            "meta.study_import_roots": sorted(
                {(t.id, r) for t in technologies for r in t.import_roots}
            ),
        }
        con = self.con
        con.execute("begin transaction")
        try:
            for table, rows in tables.items():
                _replace_rows(con, table, rows)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise

    def table_exists(self, qualified_name: str) -> bool:
        schema, _, table = qualified_name.partition(".")
        return bool(
            self.con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchone()[0]
        )


def _replace_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Replace every row of a meta.study_* table (all varchar) by `rows`, as one Arrow insert."""
    con.execute(f"delete from {table}")  # noqa: S608 (table names are constants in sync_study)
    if not rows:
        return
    columns = pa.table(
        {f"c{i}": pa.array(values, pa.string()) for i, values in enumerate(zip(*rows, strict=True))}
    )
    con.register("study_rows", columns)
    try:
        con.execute(f"insert into {table} select * from study_rows")  # noqa: S608
    finally:
        con.unregister("study_rows")
