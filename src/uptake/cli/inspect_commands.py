"""Commands that only read the warehouse: status, sql."""

from __future__ import annotations

import click
import duckdb

from uptake.cli.output import format_option, format_rows
from uptake.status import (
    known_sources,
    problem_message,
    problems,
    source_status,
    unfinished_message,
    unfinished_runs,
)
from uptake.warehouse import Warehouse
from uptake.warehouse.runs import DIED
from uptake.warehouse.sandbox import SandboxRefusal, check_statement, connect_sandboxed


def register(cli: click.Group) -> None:
    cli.add_command(status)
    cli.add_command(sql)


@click.command()
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Report only this source (repeatable); it must have loaded, so a source never "
    "loaded fails too. Default: every source, failing only on failed or stale ones.",
)
@format_option
@click.pass_obj
def status(settings, sources, fmt):
    """Per source: freshness against its schedule, last successful load and outcome, rejects.

    A scheduled source is fresh while its last successful load is younger than 1.5 times
    its interval (daily, weekly or monthly, as in prefect.yaml), stale after. Exits with
    status 1 and a one-line message naming them when a source's latest load failed or it
    is stale, or when a run died before finishing (killed, out of memory) and no later run
    of its flow has finished; sources never loaded do not count unless named with --source.

    Example:

    \b
        uptake status --source pypistats --source top_pypi
        uptake status --format json
    """
    with Warehouse.open(settings["db"], read_only=True, wait_seconds=settings["wait"]) as warehouse:
        known = known_sources(warehouse.con)
        unknown = [name for name in sources if name not in known]
        if unknown:
            raise click.BadParameter(
                f"unknown source {', '.join(unknown)}: choose from {', '.join(known)}",
                param_hint="--source",
            )
        report = source_status(warehouse.con, sources=list(dict.fromkeys(sources)) or None)
        died = unfinished_runs(warehouse.con)
    columns = [
        "source",
        "rows",
        "last_success" if fmt == "table" else "last_success_at",
        "last_load",
        "rejects_last_load",
        "rejects_total",
        "expected",
        "age" if fmt == "table" else "age_seconds",
        "state",
    ]
    click.echo(format_rows(columns, [tuple(r[c] for c in columns) for r in report], fmt), nl=False)
    for run in died:
        click.secho(
            f"run {run['flow']} (pid {run['pid']}, started {run['started_at']:%Y-%m-%d %H:%M:%S})"
            f" died: {DIED}",
            err=True,
            fg="red",
        )
    found = problems(report, required=list(sources))
    messages = [problem_message(found, report)] if found else []
    messages += [unfinished_message(died)] if died else []
    if messages:
        raise click.ClickException("; ".join(messages))


@click.command()
@click.argument("query")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind VALUE to $NAME in the query (repeatable); DuckDB casts it to the type the "
    "query needs.",
)
@format_option
@click.pass_obj
def sql(settings, query, params, fmt):
    """Run one read-only SQL query on the warehouse, in a sandbox. QUERY `-` reads it
    from standard input.

    Only the warehouse is reachable, read-only: one SELECT, EXPLAIN, PRAGMA, CALL,
    DESCRIBE or SHOW statement; no files, URLs, extensions, ATTACH or settings. Values
    given with --param are bound, never spliced into the text.

    Examples:

    \b
        uptake sql "select rivalry, leader, leading_since from marts.rivalry_leaders order by rivalry"
        uptake sql "select * from marts.crossovers where rivalry = $rivalry" --param rivalry=jax-vs-pytorch
        uptake sql - --format csv < query.sql > result.csv
    """
    if query == "-":
        query = click.get_text_stream("stdin").read()
    bound = _parameters(params)
    con = connect_sandboxed(settings["db"], wait_seconds=settings["wait"])
    try:
        try:
            check_statement(con, query)
            cursor = con.execute(query, bound or None)
            if cursor.description is None:
                return
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        except SandboxRefusal as exc:
            raise click.ClickException(str(exc)) from None
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            raise click.ClickException(f"query failed: {message}") from None
    finally:
        con.close()
    click.echo(format_rows(columns, rows, fmt), nl=False)


def _parameters(specs: tuple[str, ...]) -> dict[str, str]:
    bound = {}
    for spec in specs:
        name, equals, value = spec.partition("=")
        if not equals or not name.isidentifier():
            raise click.BadParameter(
                f"{spec!r} is not NAME=VALUE with NAME a parameter name", param_hint="--param"
            )
        bound[name] = value
    return bound
