"""Commands that change the warehouse: demo, refresh, build, figures."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from uptake.cli.exit_status import finish
from uptake.cli.output import quiet_option
from uptake.leaders import leader_lines
from uptake.sources.unicode_text import printable
from uptake.warehouse import Warehouse, resolve_path
from uptake.wording import counted

if TYPE_CHECKING:
    from uptake.api import RefreshResult

ALL_SOURCES = (
    "top_pypi",
    "top_pypi_history",
    "bigquery",
    "pypistats",
    "conference_papers",
    "paper_lists",
    "github_ranking",
    "mined_corpus",
    "pwc_links",
    "pwc_papers",
    "huggingface_hub",
    "demo",
)
FILE_SOURCES = (
    "top_pypi",
    "conference_papers",
    "paper_lists",
    "github_ranking",
    "mined_corpus",
    "pwc_links",
    "pwc_papers",
)


def register(cli: click.Group) -> None:
    cli.add_command(demo)
    cli.add_command(refresh)
    cli.add_command(build)
    cli.add_command(figures)


def _progress(message: str) -> None:
    click.secho(message, err=True, fg="cyan")


def _run_refresh(
    settings: dict,
    sources: list[str],
    locations: dict[str, list[str]],
    quiet: bool = False,
    **options,
) -> RefreshResult:
    from uptake import api

    return api.refresh(
        {name: locations.get(name) for name in sources},
        db=settings["db"],
        study=settings["study"],
        wait_seconds=settings["wait"],
        on_wait=_progress,
        progress_bar=not quiet,
        **options,
    )


def _report_loads(result: RefreshResult) -> None:
    for source, summary in result.loads.items():
        _progress(
            f"  {source}: {counted(summary.rows, 'row')} loaded, {summary.skipped:,} skipped, "
            f"{summary.rejected:,} rejected"
        )
        for item, reason in summary.rejects[:5]:
            click.secho(f"    rejected {item}: {reason}", err=True, fg="yellow")
    for source, message in result.failures.items():
        click.secho(f"  {source} failed: {message}", err=True, fg="red")
    _progress(
        f"  built {counted(len(result.build.built), 'model')}; "
        f"{counted(len(result.build.tests_passed), 'data test')} passed"
    )


SEGMENT_TITLES = {
    "research_mentions": "Conference papers mentioning each framework (research)",
    "research_code": "Papers' code (research)",
    "model_hub": "New Hugging Face Hub models",
    "oss_imports": "Open-source repositories importing each technology",
    "industry_downloads": "PyPI downloads (industry)",
}


def _print_leaders(settings: dict) -> None:
    with Warehouse.open(settings["db"], read_only=True) as warehouse:
        present = {
            r[0]
            for r in warehouse.con.execute(
                "select distinct segment from marts.rivalry_leaders"
            ).fetchall()
        }
        for segment, title in SEGMENT_TITLES.items():
            if segment in present:
                click.echo(f"\n{title}: who leads each rivalry, and since when")
                for line in leader_lines(warehouse.con, segment=segment):
                    click.echo(line)


@click.command()
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder for index.html and charts/ (as `uptake report --report-dir`).",
)
@click.pass_obj
def demo(settings, report_dir):
    """Load the bundled real figures offline, build, analyse, print who leads, write the report.

    Runs the same Prefect flows, SQL models and analysis as a real refresh, on compact
    tables of real figures shipped with uptake (PyPI downloads of the study's projects
    and conference framework mentions; see `uptake figures`), then writes the report
    (`uptake report`) and prints its path.

    Example:

    \b
        uptake demo
    """
    from uptake.cli.analysis_commands import run_analysis, write_report_for

    _progress(f"Loading the bundled real figures into {resolve_path(settings['db'])} ...")
    result = _run_refresh(settings, ["demo"], {})
    _report_loads(result)
    _print_leaders(settings)
    if result.failures:
        raise click.ClickException("a source failed to load; see above")
    _progress("\nTesting the hypothesis (crossovers, lead/lag, placebos) ...")
    analysis = run_analysis(settings)
    for row in analysis.hypotheses:
        if row["rule"] == "main" and row["verdict"] in ("supported", "contradicted"):
            # The reason's first clause is the answer; the rest is evidence, in the report.
            click.echo(f"\n{row['rivalry']}: {row['reason'].split('; ')[0]}")
    if analysis.headline:
        click.echo(f"\n{analysis.headline}")
    _progress("Writing the report ...")
    click.echo(f"\nReport: {write_report_for(settings, report_dir).resolve()}")
    finish(*_done_and_rejected(result), "loaded")


@click.command()
@click.argument("locations", nargs=-1)
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME[=PATH,...]",
    help=f"Source to load (repeatable): {', '.join(ALL_SOURCES)}. NAME=PATH gives a "
    "file-based source its files, folders or URLs. Default: top_pypi.",
)
@click.option(
    "--max-bytes-billed",
    type=click.IntRange(min=1),
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
@click.option(
    "--hub-endpoint",
    default=None,
    help="Hugging Face Hub URL (default: $HF_ENDPOINT, else huggingface.co).",
)
@quiet_option
@click.pass_obj
def refresh(
    settings, locations, sources, max_bytes_billed, pypistats_url, history_repo, hub_endpoint, quiet
):
    """Load sources into the warehouse, then rebuild the models.

    LOCATIONS are the files, folders or URLs of the one file-based source chosen
    (top_pypi snapshots, conference_papers lists, pwc_links or pwc_papers dumps).

    Example:

    \b
        uptake refresh --source top_pypi=../shared/data/top-pypi-packages --source conference_papers=../shared/data/conference-papers
    """
    chosen, where = _parse_sources(sources or ("top_pypi",), list(locations))
    _progress(f"Refreshing {', '.join(chosen)} into {resolve_path(settings['db'])} ...")
    result = _run_refresh(
        settings,
        chosen,
        where,
        quiet,
        maximum_bytes_billed=max_bytes_billed,
        pypistats_url=pypistats_url,
        history_repo=history_repo,
        hub_endpoint=hub_endpoint,
    )
    _report_loads(result)
    _print_leaders(settings)
    if result.failures:
        raise click.ClickException(
            f"{counted(len(result.failures), 'source')} failed; see above and `uptake status`"
        )
    finish(*_done_and_rejected(result), "loaded")


def _done_and_rejected(result: RefreshResult) -> tuple[int, int]:
    """What was done (rows loaded plus items skipped as already there) and how many items
    were rejected, over every source of a refresh: only whether each is zero matters."""
    loads = result.loads.values()
    done = sum(summary.rows + summary.skipped for summary in loads)
    return done, sum(summary.rejected for summary in loads)


def _parse_sources(specs, positional: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    # A path that is not UTF-8 cannot be a flow parameter: escaped, the source rejects it
    # with a reason like any missing file instead of a traceback.
    positional = [printable(p) for p in positional]
    chosen, where = [], {}
    for spec in specs:
        name, _, paths = spec.partition("=")
        if name not in ALL_SOURCES:
            raise click.BadParameter(
                f"unknown source {name!r}: choose from {', '.join(ALL_SOURCES)}",
                param_hint="--source",
            )
        chosen.append(name)
        if paths:
            where[name] = [printable(p) for p in paths.split(",") if p]
    needing = [name for name in chosen if name in FILE_SOURCES and name not in where]
    if positional:
        if len(needing) != 1:
            raise click.UsageError(
                "LOCATIONS belong to exactly one file-based source; use --source NAME=PATH"
            )
        where[needing.pop()] = positional
    if needing:
        raise click.UsageError(
            f"--source {needing[0]} needs files, folders or URLs: --source {needing[0]}=PATH"
        )
    return chosen, where


@click.command()
@click.pass_obj
def build(settings):
    """Build the SQL models and run their data tests.

    Example:

    \b
        uptake build
    """
    from uptake import api

    result = api.build(
        settings["db"],
        study=settings["study"],
        wait_seconds=settings["wait"],
        on_step=lambda m: _progress(f"  {m.kind:5} {m.name}"),
    )
    click.echo(
        f"built {counted(len(result.built), 'model')}; "
        f"{counted(len(result.tests_passed), 'data test')} passed"
    )


@click.command()
@click.argument("snapshots", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--conference",
    type=click.Path(exists=True),
    default=None,
    help="Also derive the conference mention counts from this folder or framework_mentions.csv.",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to write (default: the folder bundled with uptake).",
)
@click.pass_obj
def figures(settings, snapshots, conference, output_dir):
    """Regenerate the bundled demo figures from the real data.

    Loads SNAPSHOTS (top-PyPI files or folders) with the real loaders into a scratch
    warehouse and keeps the study's projects in every snapshot plus each snapshot's
    cut-off; with --conference, also the conference mention counts.

    Example:

    \b
        uptake figures ../shared/data/top-pypi-packages --conference ../shared/data/conference-papers --output-dir /tmp/figures
    """
    from uptake.sources import bundled_figures, conference_papers, top_pypi
    from uptake.study import load_study

    study = load_study(settings["study"])
    folder = Path(output_dir) if output_dir else bundled_figures.bundled_figures_path().parent
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
        written = bundled_figures.export_figures(
            warehouse, study.pypi_projects(), folder / bundled_figures.FIGURES_FILE
        )
        click.echo(
            f"wrote {folder / bundled_figures.FIGURES_FILE}: {written['snapshots']} snapshots, "
            f"{counted(written['rows'], 'row')}, {written['bytes']:,} bytes"
        )
        if conference:
            mentions = [
                p for p in conference_papers.conference_files([conference]) if p.endswith(".csv")
            ]
            research = conference_papers.load_conference_papers(warehouse, mentions)
            loaded["rejects"] += research["rejects"]
            written = bundled_figures.export_conference_mentions(
                warehouse, folder / bundled_figures.CONFERENCE_FILE
            )
            click.echo(
                f"wrote {folder / bundled_figures.CONFERENCE_FILE}: {written['editions']} editions, "
                f"{written['bytes']:,} bytes"
            )
        for item, reason in loaded["rejects"]:
            click.secho(f"rejected {item}: {reason}", err=True, fg="yellow")
