"""A connection for SQL a user typed: the warehouse, read-only, and nothing else reachable.

Read-only attachment alone is not a sandbox: a query could still write files (`COPY ...
TO`, `EXPORT DATABASE`, `ATTACH` of a new file), read any file or URL (`read_csv`,
`read_text`, `glob`), install extensions, or detach the warehouse and attach it again
writable. So once the warehouse is attached, DuckDB's external access is switched off,
extensions can neither install nor load, spills go to the warehouse's own folder, and the
configuration is locked so no statement can undo any of it. Each text is then checked to
be one statement of a reading kind before it runs.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from uptake.errors import UptakeError
from uptake.warehouse.connection import connect, resolve_path

# What a reading statement parses to; DESCRIBE, SHOW, SUMMARIZE, VALUES and FROM-first
# queries are SELECTs. CALL runs table functions (pragma_version(), checkpoint).
READING_STATEMENTS = {
    duckdb.StatementType.SELECT: "SELECT",
    duckdb.StatementType.EXPLAIN: "EXPLAIN",
    duckdb.StatementType.PRAGMA: "PRAGMA",
    duckdb.StatementType.CALL: "CALL",
}
TEMP_FOLDER = ".uptake-sql-tmp"


class SandboxRefusal(UptakeError):
    """The text is not one reading statement: the message says what it is instead."""


def connect_sandboxed(
    path: str | Path | None = None, *, wait_seconds: float = 0.0
) -> duckdb.DuckDBPyConnection:
    """The warehouse attached read-only in a connection that can reach nothing else."""
    path = resolve_path(path)
    con = connect(path, read_only=True, wait_seconds=wait_seconds)
    try:
        lock_down(con, path.resolve().parent / TEMP_FOLDER)
    except BaseException:
        con.close()
        raise
    return con


def lock_down(con: duckdb.DuckDBPyConnection, temp_directory: Path) -> None:
    """Switch off every way out of `con`'s attached databases, then lock the settings."""
    quoted = str(temp_directory).replace("'", "''")
    for statement in (
        f"set temp_directory = '{quoted}'",
        "set autoinstall_known_extensions = false",
        "set autoload_known_extensions = false",
        "set allow_community_extensions = false",
        "set enable_external_access = false",
        "set lock_configuration = true",
    ):
        con.execute(statement)


def check_statement(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """Refuse `text` unless it is exactly one statement that only reads."""
    try:
        statements = con.extract_statements(text)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SandboxRefusal(f"query failed: {first}") from None
    if not statements:
        raise SandboxRefusal("no SQL statement given")
    if len(statements) > 1:
        raise SandboxRefusal(
            f"one statement at a time: the text holds {len(statements)}; run them one by one"
        )
    kind = statements[0].type
    if kind not in READING_STATEMENTS:
        allowed = ", ".join(sorted(set(READING_STATEMENTS.values()) | {"DESCRIBE", "SHOW"}))
        hint = (
            " (list PIVOT's values: PIVOT ... ON column IN (...))" if kind.name == "MULTI" else ""
        )
        raise SandboxRefusal(
            f"read-only prompt: {kind.name} statements are refused; allowed: {allowed}{hint}"
        )
