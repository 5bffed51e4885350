"""`uptake mine`: mine imports from repositories for a one-off run."""

from __future__ import annotations

import os
from datetime import date, datetime

import click

from uptake.sources.unicode_text import printable
from uptake.warehouse import exclusive_run, resolve_path


def register(cli: click.Group) -> None:
    cli.add_command(mine)


def _month(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month like 2024-03") from None


@click.command()
@click.argument("repositories", nargs=-1, required=True)
@click.option(
    "--mode",
    type=click.Choice(["local", "api", "bigquery"]),
    default="local",
    show_default=True,
    help="local clones (paths or URLs), the GitHub API, or BigQuery's github_repos.",
)
@click.option(
    "--until",
    "until",
    default=None,
    metavar="YYYY-MM",
    help="Mine months that ended before this month (default: the current month).",
)
@click.option(
    "--workers", type=int, default=None, help="Processes parsing blobs (default: up to 2)."
)
@click.option(
    "--snapshot-date",
    default=None,
    metavar="YYYY-MM-DD",
    help="bigquery mode: when github_repos was last refreshed.",
)
@click.option(
    "--dask-address",
    envvar="UPTAKE_DASK_ADDRESS",
    default=None,
    metavar="ADDRESS",
    help="local mode: run the tasks on this Dask scheduler (default: $UPTAKE_DASK_ADDRESS, "
    "else threads here).",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not show progress per repository.")
@click.pass_obj
def mine(settings, repositories, mode, until, workers, snapshot_date, dask_address, quiet):
    """Mine which modules REPOSITORIES import at every month end, into the warehouse.

    REPOSITORIES are local clones, git URLs (cloned bare and blob-less next to the
    warehouse), or owner/name; NAME=PATH names a clone whose remote does not say which
    repository it is. Blobs parsed once are never parsed again; a re-run mines only new
    months.

    Example:

    \b
        uptake mine . --until 2024-01
    """
    from uptake.flow_loader import load_flow
    from uptake.mining.repositories import CREDENTIALS_IN_URL, url_has_credentials

    # Refused here, before the flow stores its parameters with the run.
    if any(url_has_credentials(r) for r in repositories):
        raise click.UsageError(CREDENTIALS_IN_URL)

    if not quiet:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    parsed_snapshot = datetime.strptime(snapshot_date, "%Y-%m-%d").date() if snapshot_date else None
    with exclusive_run(  # no other writer between the flow's tasks
        settings["db"],
        wait_seconds=settings["wait"],
        on_wait=lambda message: click.secho(message, err=True, fg="cyan"),
    ):
        click.secho(
            f"Mining {len(repositories)} repositories ({mode}) into {resolve_path(settings['db'])} ...",
            err=True,
            fg="cyan",
        )
        github_imports = load_flow("github_imports", "github_imports")
        summary = github_imports(
            # An argument that is not UTF-8 cannot be a flow parameter: escaped, it is
            # rejected with a reason like any unusable name instead of a traceback.
            repositories=[printable(r) for r in repositories],
            mode=mode,
            db=settings["db"],
            until=_month(until),
            workers=workers,
            snapshot_date=parsed_snapshot,
            dask_address=dask_address,
        )
    figures = ", ".join(
        f"{key.replace('_', ' ')} {value:,}"
        for key, value in sorted(summary.items())
        if isinstance(value, int) and not isinstance(value, bool)
    )
    click.echo(f"mined: {figures}")
    for item, reason in summary.get("rejects", [])[:10]:
        click.secho(f"  rejected {item}: {reason}", err=True, fg="yellow")
