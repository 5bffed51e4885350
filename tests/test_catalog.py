"""The warehouse documents itself: every mart and column carries its meaning in the catalog."""

import duckdb
import pytest

from uptake.analysis.tables import TABLE_DOCS, TABLES
from uptake.models import discover_models, mart_reference_markdown
from uptake.warehouse.catalog import TableDoc, write_comments


def documented_marts() -> dict[str, TableDoc]:
    built = {m.name: m.doc for m in discover_models() if m.kind == "table"}
    return {**built, **TABLE_DOCS}


def test_every_analysis_mart_column_is_documented():
    for name, (schema, _) in TABLES.items():
        assert list(TABLE_DOCS[name].columns) == schema.names, name
        assert TABLE_DOCS[name].grain and TABLE_DOCS[name].description, name


def test_every_mart_and_column_of_the_demo_warehouse_has_its_header_as_catalog_comment(
    demo_warehouse,
):
    docs = documented_marts()
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        tables = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        )
        columns = con.execute(
            "select table_name, column_name, comment from duckdb_columns() "
            "where schema_name = 'marts'"
        ).fetchall()
        view_comments = dict(
            con.execute(
                "select view_name, comment from duckdb_views() where schema_name = 'staging'"
            ).fetchall()
        )

    assert set(tables) == {name.split(".")[1] for name in docs}  # every mart is documented
    for table, comment in tables.items():
        assert comment == docs[f"marts.{table}"].table_comment
    assert len(columns) > 150
    for table, column, comment in columns:
        assert comment == docs[f"marts.{table}"].columns[column], (table, column)
    assert view_comments["stg_top_pypi__downloads"]  # staging views carry theirs too


def test_the_readme_reference_lists_the_analysis_marts_with_their_columns():
    reference = mart_reference_markdown()
    for name, doc in TABLE_DOCS.items():
        assert f"#### `{name}`" in reference
        for column, meaning in doc.columns.items():
            assert f"| `{column}` | {meaning} |" in reference


@pytest.mark.parametrize("text", ["it's", "'; drop table marts.t; --", "line\nbreak", "ünïcode"])
def test_comments_are_quoted_not_spliced(text):
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.t as select 1 as a")
    write_comments(con, "marts.t", "table", TableDoc(text, "", {"a": text, "absent": "x"}))

    where = "where schema_name = 'marts'"
    assert con.execute(f"select comment from duckdb_tables() {where}").fetchall() == [(text,)]
    assert con.execute(f"select comment from duckdb_columns() {where}").fetchall() == [(text,)]
