"""Commands that change the warehouse: demo, refresh, build, figures."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import click

from uptake.errors import UptakeError
from uptake.leaders import leader_lines
from uptake.warehouse import Warehouse, resolve_path

DOWNLOAD_SOURCES = ("top_pypi", "top_pypi_history", "bigquery", "pypistats", "demo")


def register(cli: click.Group) -> None:
    cli.add_command(demo)
    cli.add_command(refresh)
    cli.add_command(build)
    cli.add_command(figures)


def _progress(message: str) -> None:
    click.secho(message, err=True, fg="cyan")


class _NoTracebackForExpectedErrors(logging.Filter):
    """uptake's own errors are one-line messages; Prefect would log them with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], UptakeError):
            record.exc_info = None
            record.exc_text = None
        return True


def _run_refresh(settings: dict, sources: list[str], locations: list[str], **options) -> dict:
    from uptake.flow_loader import load_flow

    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoTracebackForExpectedErrors) for f in logger.filters):
            logger.addFilter(_NoTracebackForExpectedErrors())

    refresh_flow = load_flow("refresh", "refresh")
    # Waiting for a lock happens here, once, rather than in every task.
    Warehouse.open(settings["db"], wait_seconds=settings["wait"]).close()
    return refresh_flow(
        sources=sources,
        locations=locations or None,
        db=settings["db"],
        study=settings["study"],
        **options,
    )


def _report_loads(result: dict) -> None:
    for source, summary in result["loads"].items():
        _progress(
            f"  {source}: {summary['rows']:,} rows loaded, {summary['skipped']:,} skipped, "
            f"{summary['rejected']:,} rejected"
        )
        for item, reason in summary.get("rejects", [])[:5]:
            click.secho(f"    rejected {item}: {reason}", err=True, fg="yellow")
    for source, message in result["failures"].items():
        click.secho(f"  {source} failed: {message}", err=True, fg="red")
    models = result["models"]
    _progress(
        f"  built {len(models['built'])} models; {len(models['tests_passed'])} data tests passed"
    )


def _print_leaders(settings: dict) -> None:
    click.echo("\nPyPI downloads (industry): who leads each rivalry, and since when")
    with Warehouse.open(settings["db"], read_only=True) as warehouse:
        for line in leader_lines(warehouse.con, segment="industry_downloads"):
            click.echo(line)


@click.command()
@click.pass_obj
def demo(settings):
    """Load the bundled real PyPI figures offline, build the models, print who leads.

    Runs the same Prefect flows and SQL models as a real refresh, on a compact
    table of real figures shipped with uptake (see `uptake figures`).

    Example:

        uptake demo
    """
    _progress(f"Loading the bundled PyPI download figures into {resolve_path(settings['db'])} ...")
    result = _run_refresh(settings, ["demo"], [])
    _report_loads(result)
    _print_leaders(settings)
    if result["failures"]:
        raise click.ClickException("a source failed to load; see above")


@click.command()
@click.argument("locations", nargs=-1)
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice(DOWNLOAD_SOURCES),
    help="Source to load (repeatable). Default: top_pypi.",
)
@click.option(
    "--max-bytes-billed",
    type=int,
    default=None,
    help="BigQuery: refuse a job whose dry run estimates more bytes (default 1 TB).",
)
@click.option(
    "--pypistats-url", default=None, help="pypistats API base URL (default: pypistats.org)."
)
@click.option(
    "--history-repo",
    default=None,
    help="GitHub repository holding the top-PyPI archive (default hugovk/top-pypi-packages).",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not show each flow and task as it runs.")
@click.pass_obj
def refresh(settings, locations, sources, max_bytes_billed, pypistats_url, history_repo, quiet):
    """Load download sources into the warehouse, then rebuild the models.

    LOCATIONS are top-PyPI snapshot files, folders of them, or URLs (for --source top_pypi).

    Example:

        uptake refresh --source top_pypi ../shared/data/top-pypi-packages
    """
    sources = list(sources) or ["top_pypi"]
    if not quiet:
        # Loads can take minutes (GitHub history, BigQuery): follow them in Prefect's log.
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    if "top_pypi" in sources and not locations:
        raise click.UsageError("--source top_pypi needs LOCATIONS: snapshot files, folders or URLs")
    _progress(f"Refreshing {', '.join(sources)} into {resolve_path(settings['db'])} ...")
    result = _run_refresh(
        settings,
        sources,
        list(locations),
        maximum_bytes_billed=max_bytes_billed,
        pypistats_url=pypistats_url,
        history_repo=history_repo,
    )
    _report_loads(result)
    _print_leaders(settings)
    if result["failures"]:
        raise click.ClickException(
            f"{len(result['failures'])} source(s) failed; see above and `uptake status`"
        )


@click.command()
@click.pass_obj
def build(settings):
    """Build the SQL models and run their data tests.

    Example:

        uptake build
    """
    from uptake.models import build_models
    from uptake.study import load_study

    study = load_study(settings["study"])
    with Warehouse.open(settings["db"], wait_seconds=settings["wait"]) as warehouse:
        warehouse.sync_study(study)
        result = build_models(warehouse.con, on_step=lambda m: _progress(f"  {m.kind:5} {m.name}"))
    click.echo(f"built {len(result.built)} models; {len(result.tests_passed)} data tests passed")


@click.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write (default: the file bundled with uptake).",
)
@click.pass_obj
def figures(settings, snapshots, output):
    """Regenerate the bundled demo figures from top-PyPI snapshot files.

    Loads SNAPSHOTS with the real loader into a scratch warehouse, then keeps the
    study's projects in every snapshot plus each snapshot's cut-off.

    Example:

        uptake figures ../shared/data/top-pypi-packages --output /tmp/figures.json.gz
    """
    from uptake.sources import bundled_figures, top_pypi
    from uptake.study import load_study

    study = load_study(settings["study"])
    destination = Path(output) if output else bundled_figures.bundled_figures_path()
    with (
        tempfile.TemporaryDirectory() as scratch,
        Warehouse.open(Path(scratch) / "figures.duckdb") as warehouse,
    ):
        failures: list[tuple[str, str]] = []
        files = top_pypi.read_snapshot_files(
            top_pypi.snapshot_locations(snapshots),
            lambda item, reason: failures.append((item, reason)),
        )
        loaded = top_pypi.load_snapshot_files(warehouse, files, read_failures=failures)
        for item, reason in loaded["rejects"]:
            click.secho(f"rejected {item}: {reason}", err=True, fg="yellow")
        written = bundled_figures.export_figures(warehouse, study.pypi_projects(), destination)
    click.echo(
        f"wrote {destination}: {written['snapshots']} snapshots, {written['rows']} rows, {written['bytes']:,} bytes"
    )
