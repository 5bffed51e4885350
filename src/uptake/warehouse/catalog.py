"""The warehouse documents itself: each table's and column's meaning in DuckDB's catalog.

An analyst with only SQL (the duckdb CLI, DBeaver, a notebook) reads what a mart means
from `duckdb_tables().comment` and `duckdb_columns().comment`, the same words as the
model's header and the README's reference, because all three come from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb


@dataclass(frozen=True)
class TableDoc:
    """What a table holds: a description, its grain, and each column's meaning."""

    description: str
    grain: str
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def table_comment(self) -> str:
        return f"{self.description} Grain: {self.grain}." if self.grain else self.description


def write_comments(con: duckdb.DuckDBPyConnection, name: str, kind: str, doc: TableDoc) -> None:
    """COMMENT ON the table or view `name` and each documented column it has.

    `name` is schema-qualified and comes from the project's own model files or
    constants; the comments are bound as literals, never spliced in.
    """
    statement = "view" if kind == "view" else "table"
    con.execute(f"comment on {statement} {name} is {_literal(doc.table_comment)}")
    schema, _, table = name.partition(".")
    present = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }
    for column, meaning in doc.columns.items():
        if column in present:
            con.execute(f'comment on column {name}."{column}" is {_literal(meaning)}')


def _literal(text: str) -> str:
    # COMMENT ON takes a constant, not a parameter, so the text is quoted here.
    return "'" + text.replace("'", "''") + "'"
