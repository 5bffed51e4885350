"""Commands that only read the warehouse: status, sql."""

from __future__ import annotations

import click
import duckdb

from uptake.cli.output import format_rows, format_table
from uptake.status import source_status
from uptake.warehouse import Warehouse


def register(cli: click.Group) -> None:
    cli.add_command(status)
    cli.add_command(sql)


@click.command()
@click.pass_obj
def status(settings):
    """Per source: rows held, last successful load, the last load's outcome, rejects.

    Exits with status 1 when a source's latest load failed.

    Example:

    \b
        uptake status
    """
    with Warehouse.open(settings["db"], read_only=True, wait_seconds=settings["wait"]) as warehouse:
        report = source_status(warehouse.con)
    columns = ["source", "rows", "last_success", "last_load", "rejects_last_load", "rejects_total"]
    click.echo(format_table(columns, [tuple(r[c] for c in columns) for r in report]), nl=False)
    failed = [r["source"] for r in report if r["last_load"] == "failed"]
    if failed:
        raise click.ClickException(
            f"latest load failed for: {', '.join(failed)} (see meta.loads.error)"
        )


@click.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.pass_obj
def sql(settings, query, fmt):
    """Run a read-only SQL query on the warehouse.

    Example:

    \b
        uptake sql "select rivalry, leader, leading_since from marts.rivalry_leaders order by rivalry"
    """
    with Warehouse.open(settings["db"], read_only=True, wait_seconds=settings["wait"]) as warehouse:
        try:
            cursor = warehouse.con.execute(query)
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            raise click.ClickException(f"query failed: {message}") from None
        if cursor.description is None:
            return
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    click.echo(format_rows(columns, rows, fmt), nl=False)
