"""The SQL model runner: macros, staging views, mart tables, then data tests, in
dependency order.

Each file in sql/ is one plain DuckDB SELECT an analyst can paste into the duckdb CLI
(sql/macros holds the `create macro` statements they share, kept in the warehouse). The
runner reads the tables each model references, orders the models so every one is built
after what it reads, and builds them all in one transaction: a failing model or data test
rolls the whole build back, so the marts are never half built.

Layers read downwards only, as dbt projects do: staging reads one source's raw tables,
intermediate reads staging, intermediate and the study (meta), marts read any of those
and other marts. A model that reads upwards is refused before anything is built.

Generic data tests are declared in a model's header, after its grain:

    -- tests: unique(segment, technology, month); not_null(segment, month);
    --     accepted_values(segment: research_code, oss_imports)

and run after the models with the tests written as files in sql/tests/.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from importlib import resources
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from uptake.errors import ModelError
from uptake.warehouse.catalog import TableDoc, write_comments

MODEL_SCHEMAS = {"staging": "view", "intermediate": "view", "marts": "table"}
# What each layer may read. Schemas outside these (raw, meta) are the sources and the study.
LAYER_READS = {
    "staging": {"raw"},
    "intermediate": {"staging", "intermediate", "meta"},
    "marts": {"staging", "intermediate", "marts", "meta"},
}
GENERIC_TESTS = ("unique", "not_null", "accepted_values")
MAX_OFFENDING_ROWS_SHOWN = 10


@dataclass(frozen=True)
class Model:
    name: str  # schema-qualified, e.g. marts.rivalry_shares
    kind: str  # view, table or test
    path: Path
    sql: str
    references: frozenset[str]
    description: str = ""
    grain: str = ""
    columns: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    tests: tuple[str, ...] = ()  # the header's generic tests, e.g. 'unique(repo)'

    @property
    def doc(self) -> TableDoc:
        return TableDoc(self.description, self.grain, self.columns)


@dataclass(frozen=True)
class BuildResult:
    built: list[str]
    tests_passed: list[str]


def sql_directory() -> Path:
    """UPTAKE_SQL_DIR, else the models shipped as `uptake.sql` (the checkout's sql/ folder
    in an editable install, the package's copy in a wheel)."""
    if os.environ.get("UPTAKE_SQL_DIR"):
        return Path(os.environ["UPTAKE_SQL_DIR"])
    return Path(str(resources.files("uptake.sql")))


def discover_models(root: Path | None = None) -> list[Model]:
    """Every model and data test under `root`, models in build order, then tests."""
    root = root or sql_directory()
    if not root.is_dir():
        raise ModelError(
            f"no SQL models at {root}; set UPTAKE_SQL_DIR to the project's sql/ folder"
        )
    models = {}
    for schema, kind in MODEL_SCHEMAS.items():
        for path in sorted((root / schema).glob("*.sql")):
            model = _read_model(path, f"{schema}.{path.stem}", kind)
            models[model.name] = model
    for model in models.values():
        _check_layers(model)
    generic = [test for model in models.values() for test in _generic_tests(model)]
    tests = [
        _read_model(path, f"tests.{path.stem}", "test")
        for path in sorted((root / "tests").glob("*.sql"))
    ]
    ordered = _build_order(models)
    for test in tests:
        _check_references(test, models)
    return ordered + generic + tests


def discover_macros(root: Path | None = None) -> list[Path]:
    """The files of `create macro` statements the models use, created before any model."""
    return sorted(((root or sql_directory()) / "macros").glob("*.sql"))


def build_models(
    con: duckdb.DuckDBPyConnection, root: Path | None = None, *, on_step=None
) -> BuildResult:
    """Build every model and run every data test in one transaction."""
    steps = discover_models(root)
    built, passed = [], []
    con.execute("begin transaction")
    try:
        for path in discover_macros(root):
            _create_macros(con, path)
        for model in steps:
            if on_step:
                on_step(model)
            if model.kind == "test":
                _run_test(con, model)
                passed.append(model.name)
            else:
                _create(con, model)
                built.append(model.name)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return BuildResult(built=built, tests_passed=passed)


def _create(con, model: Model) -> None:
    statement = "view" if model.kind == "view" else "table"
    try:
        con.execute(f"create or replace {statement} {model.name} as\n{model.sql}")
    except duckdb.Error as exc:
        raise ModelError(f"model {model.name} ({model.path}) failed: {_first_line(exc)}") from None
    write_comments(con, model.name, model.kind, model.doc)


def _create_macros(con, path: Path) -> None:
    try:
        con.execute(path.read_text(encoding="utf-8"))
    except duckdb.Error as exc:
        raise ModelError(f"macros in {path} failed: {_first_line(exc)}") from None


def _run_test(con, model: Model) -> None:
    try:
        cursor = con.execute(model.sql)
        rows = cursor.fetchmany(MAX_OFFENDING_ROWS_SHOWN + 1)
        columns = [d[0] for d in cursor.description]
    except duckdb.Error as exc:
        raise ModelError(
            f"data test {model.name} ({model.path}) could not run: {_first_line(exc)}"
        ) from None
    if rows:
        shown = "\n".join(
            "  " + ", ".join(f"{c}={v!r}" for c, v in zip(columns, row, strict=True))
            for row in rows[:MAX_OFFENDING_ROWS_SHOWN]
        )
        more = " (and more)" if len(rows) > MAX_OFFENDING_ROWS_SHOWN else ""
        raise ModelError(
            f"data test {model.name} failed ({model.path}): {model.description or 'offending rows'}; "
            f"offending rows{more}:\n{shown}"
        )


def _read_model(path: Path, name: str, kind: str) -> Model:
    sql = path.read_text(encoding="utf-8").strip().rstrip(";")
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ModelError(f"{path}: not valid SQL: {_first_line(exc)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelError(f"{path}: a model is exactly one SELECT statement")
    tree = statements[0]
    # CTEs are referenced without a schema, so only schema-qualified names are tables.
    references = frozenset(
        f"{table.db}.{table.name}" for table in tree.find_all(exp.Table) if table.db
    )
    description, grain, columns, tests = _parse_header(sql)
    if tests and kind == "test":
        raise ModelError(f"{path}: a data test cannot declare tests of its own")
    return Model(name, kind, path, sql, references, description, grain, columns, tests)


_HEADER_LINE = re.compile(r"^--\s?(.*)$")
_COLUMN_LINE = re.compile(r"^([a-z_][a-z0-9_]*):\s+(.*)$")
_TEST_CALL = re.compile(r"^([a-z_]+)\((.*)\)$")


def _parse_header(sql: str) -> tuple[str, str, dict[str, str], tuple[str, ...]]:
    """The leading comment block: description lines, `grain: ...`, `tests: ...` (which may
    continue on indented lines), then `column: meaning` lines."""
    description, columns, grain, tests = [], {}, "", []
    in_tests = False
    for line in sql.splitlines():
        match = _HEADER_LINE.match(line.strip())
        if not match:
            break
        text = match[1].strip()
        continues_tests = in_tests and match[1].startswith(" ")
        in_tests = False
        if text.startswith("tests:") or continues_tests:
            tests.append(text.removeprefix("tests:"))
            in_tests = True
        elif text.startswith("grain:"):
            grain = text.removeprefix("grain:").strip()
        elif grain and (column := _COLUMN_LINE.match(text)):
            columns[column[1]] = column[2]
        elif not grain and text:
            description.append(text)
    calls = tuple(call.strip() for call in " ".join(tests).split(";") if call.strip())
    return " ".join(description), grain, columns, calls


def _generic_tests(model: Model) -> list[Model]:
    """The header's `tests:` as test models named tests.<model>__<test>[_<column>]."""
    table = model.name.split(".")[1]
    generated = []
    for call in model.tests:
        match = _TEST_CALL.match(call)
        if not match or match[1] not in GENERIC_TESTS:
            raise ModelError(
                f"{model.path}: unknown test {call!r}; declare "
                + ", ".join(f"{name}(...)" for name in GENERIC_TESTS)
            )
        test, arguments = match[1], match[2]
        if test == "accepted_values":
            column, _, values = arguments.partition(":")
            column = column.strip()
            accepted = [value.strip() for value in values.split(",") if value.strip()]
            columns = [column]
            if not accepted:
                raise ModelError(f"{model.path}: {call!r} lists no accepted values")
            quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in accepted)
            # Identifiers are documented column names (checked below); values are quoted.
            sql = f"select {column}, count(*) as n_rows from {model.name} where {column} not in ({quoted}) group by {column}"  # noqa: S608
            description = f"{column} is one of {', '.join(accepted)}"
            suffix = f"_{column}"
        else:
            columns = [column.strip() for column in arguments.split(",") if column.strip()]
            keys = ", ".join(columns)
            if test == "unique":
                sql = f"select {keys}, count(*) as n_rows from {model.name} group by {keys} having count(*) > 1"  # noqa: S608
                description = f"{table} has one row per {keys}"
            else:
                nulls = " or ".join(f"{column} is null" for column in columns)
                sql = f"select {keys} from {model.name} where {nulls}"  # noqa: S608
                description = f"{keys} never null"
            suffix = ""
        unknown = [column for column in columns if column not in model.columns]
        if not columns or unknown:
            raise ModelError(
                f"{model.path}: {call!r} names "
                + (
                    f"columns the header does not document: {', '.join(unknown)}"
                    if unknown
                    else "no column"
                )
            )
        generated.append(
            Model(
                f"tests.{table}__{test}{suffix}",
                "test",
                model.path,
                sql,
                frozenset({model.name}),
                description,
            )
        )
    return generated


def _check_layers(model: Model) -> None:
    schema = model.name.split(".")[0]
    allowed = LAYER_READS[schema]
    for reference in sorted(model.references):
        read = reference.split(".")[0]
        if read not in allowed:
            raise ModelError(
                f"{model.path}: {schema} models cannot read {reference} "
                f"({schema} reads {', '.join(sorted(allowed))})"
            )


def _check_references(model: Model, models: dict[str, Model]) -> None:
    for reference in model.references:
        schema = reference.split(".")[0]
        if schema in MODEL_SCHEMAS and reference not in models:
            raise ModelError(
                f"{model.path}: references {reference}, which no file in sql/{schema}/ defines"
            )


def _build_order(models: dict[str, Model]) -> list[Model]:
    graph = {}
    for model in models.values():
        _check_references(model, models)
        graph[model.name] = {r for r in model.references if r in models}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise ModelError(
            f"models reference each other in a cycle: {' -> '.join(exc.args[1])}"
        ) from None
    return [models[name] for name in order]


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def mart_reference_markdown(root: Path | None = None) -> str:
    """The README's reference of public marts, generated from the models' headers and,
    for the marts `uptake analyze` writes, from their documentation in analysis.tables."""
    from uptake.analysis.tables import TABLE_DOCS  # the analysis imports scipy: only here

    built = {m.name: m.doc for m in discover_models(root) if m.kind == "table"}
    parts = []
    for name, doc in {**built, **TABLE_DOCS}.items():
        parts.append(f"#### `{name}`\n\n{doc.description}\n\nGrain: {doc.grain}.\n")
        parts.append("| column | meaning |\n|---|---|")
        parts.extend(f"| `{column}` | {meaning} |" for column, meaning in doc.columns.items())
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"
