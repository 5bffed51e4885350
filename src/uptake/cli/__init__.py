"""The `uptake` command line: a small command set over one local warehouse."""

from __future__ import annotations

import os

import click

from uptake.errors import UptakeError
from uptake.secrets import redact


class UptakeGroup(click.Group):
    """Turns uptake's own errors into one-line messages instead of tracebacks, and lets
    the warehouse's options follow the command too (`uptake sql --db FILE ...`)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UptakeError as exc:
            raise click.ClickException(redact(str(exc))) from None

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        present = {option for param in cmd.params for option in param.opts}
        cmd.params.extend(o for o in _warehouse_options() if not set(o.opts) & present)
        super().add_command(cmd, name)


def _warehouse_options() -> list[click.Option]:
    """--db, --study and --wait on a command: given there, they win over the same option
    given before the command (and over $UPTAKE_DB)."""

    def setting(names: list[str], key: str, kind, help: str) -> click.Option:
        def store(ctx, _param, value):
            if value is not None:
                ctx.obj[key] = value
            return value

        return click.Option(names, type=kind, expose_value=False, callback=store, help=help)

    return [
        setting(["--db"], "db", click.Path(dir_okay=False), "Warehouse file (as `uptake --db`)."),
        setting(
            ["--study", "study_path"],
            "study",
            click.Path(dir_okay=False),
            "Study file (as `uptake --study`).",
        ),
        setting(
            ["--wait", "wait_seconds"],
            "wait",
            click.FloatRange(min=0),
            "Seconds to wait for a held warehouse (as `uptake --wait`).",
        ),
    ]


@click.group(cls=UptakeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="UPTAKE_DB",
    type=click.Path(dir_okay=False),
    help="Warehouse file (default: $UPTAKE_DB, else data/uptake.duckdb).",
)
@click.option(
    "--study",
    "study_path",
    type=click.Path(dir_okay=False),
    help="Study file (default: ./study.toml, else the bundled study).",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for a warehouse another process holds.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Show every flow and task as it runs (Prefect's log)."
)
@click.version_option(package_name="uptake")
@click.pass_context
def cli(ctx, db, study_path, wait_seconds, verbose):
    """Mine software adoption over time into a DuckDB warehouse and test who leads.

    Example:

    \b
        uptake demo
    """
    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    ctx.obj = {"db": db, "study": study_path, "wait": wait_seconds}


def main():
    cli(prog_name="uptake")


from uptake.cli import (  # noqa: E402
    analysis_commands,
    inspect_commands,
    mining_commands,
    pipeline_commands,
)

pipeline_commands.register(cli)
mining_commands.register(cli)
analysis_commands.register(cli)
inspect_commands.register(cli)
