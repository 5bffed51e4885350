"""Numbered schema migrations: `migrations/NNNN_name.sql`, each applied once, in order."""

from __future__ import annotations

import re
from importlib import resources

import duckdb

from uptake.errors import WarehouseError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available_migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every migration shipped with the package."""
    folder = resources.files("uptake.warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction; returns the names applied."""
    con.execute("create schema if not exists meta")
    con.execute(
        "create table if not exists meta.schema_migrations "
        "(version integer primary key, name varchar not null, applied_at timestamp not null)"
    )
    applied = {
        row[0] for row in con.execute("select version from meta.schema_migrations").fetchall()
    }
    newly_applied = []
    for version, name, sql in available_migrations():
        if version in applied:
            continue
        try:
            con.execute("begin transaction")
            con.execute(sql)
            con.execute(
                "insert into meta.schema_migrations values (?, ?, now()::timestamp)",
                [version, name],
            )
            con.execute("commit")
        except duckdb.Error as exc:
            con.execute("rollback")
            raise WarehouseError(f"migration {name} failed: {exc}") from None
        newly_applied.append(name)
    return newly_applied
