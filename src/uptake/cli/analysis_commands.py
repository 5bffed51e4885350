"""Commands that answer the question: analyze (verdicts as a table) and report (a page)."""

from __future__ import annotations

from pathlib import Path

import click

from uptake.analysis import DEFAULT_PLACEBO_RUNS, DEFAULT_RESAMPLES, DEFAULT_SEED
from uptake.cli.output import format_table


def register(cli: click.Group) -> None:
    cli.add_command(analyze)
    cli.add_command(report)


@click.command()
@click.option(
    "--resamples",
    type=click.IntRange(min=1),
    default=DEFAULT_RESAMPLES,
    show_default=True,
    help="Bootstrap draws behind each interval.",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed of every random draw: the same seed and data give the same tables.",
)
@click.option(
    "--placebo-runs",
    type=click.IntRange(min=0),
    default=DEFAULT_PLACEBO_RUNS,
    show_default=True,
    help="Time-shuffled placebo runs per pair of segments.",
)
@click.pass_obj
def analyze(settings, resamples, seed, placebo_runs):
    """Test, per rivalry, whether the research favourite became the industry favourite.

    Reads marts.rivalry_shares; writes marts.crossovers, marts.hypothesis_results,
    marts.placebo_results and marts.analysis_settings in one transaction; prints the
    verdict of every pair of segments and why, under the main counting rule and each
    alternative rule the warehouse has data for. A technology the study counts inside
    another (Keras in TensorFlow) is also counted apart, on a rebuilt copy of the
    warehouse, under the rule '<technology>_apart'.

    Example:

    \b
        uptake analyze --resamples 200 --seed 7
    """
    analysis = run_analysis(settings, resamples=resamples, seed=seed, placebo_runs=placebo_runs)
    result, variant_rules = analysis.result, analysis.variant_rules
    if result.message:
        click.echo(result.message)
        return
    click.echo(verdict_table(result.hypotheses), nl=False)
    click.echo()
    for row in result.hypotheses:
        rule = "" if row["rule"] == "main" else f" ({row['rule']})"
        click.echo(
            f"{row['rivalry']}, {row['leading_segment']} -> {row['lagging_segment']}{rule}: "
            f"{row['reason']}"
        )
    if variant_rules:
        click.echo(
            f"\nAlso under a study variant: {', '.join(variant_rules)} "
            "(marts.hypothesis_results, by rule)"
        )
    if analysis.headline:
        click.echo(f"\n{analysis.headline}")


def run_analysis(settings: dict, **options):
    """The main analysis, then each study variant's (a technology counted apart) beside it."""
    from uptake import api

    return api.analyze(
        settings["db"], study=settings["study"], wait_seconds=settings["wait"], **options
    )


def verdict_table(hypotheses: list[dict]) -> str:
    columns = [
        "rivalry",
        "leading",
        "lagging",
        "rule",
        "favourite",
        "lead",
        "lag",
        "lag_months",
        "verdict",
    ]
    rows = [
        (
            h["rivalry"],
            h["leading_segment"],
            h["lagging_segment"],
            h["rule"],
            h["technology"] or "",
            _month(h["lead_crossover"]),
            _month(h["lag_crossover"]),
            _lag(h),
            h["verdict"],
        )
        for h in hypotheses
    ]
    return format_table(columns, rows)


def _month(day) -> str:
    return "" if day is None else f"{day:%Y-%m}"


def _lag(h: dict) -> str:
    if h["lag_months"] is None:
        return ""
    low = "?" if h["lag_low"] is None else f"{h['lag_low']:.0f}"
    high = "never" if h["lag_high"] is None else f"{h['lag_high']:.0f}"
    return f"{h['lag_months']} ({low} to {high})"


@click.command()
@click.option(
    "--report-dir",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder for index.html and charts/ (as `uptake demo --report-dir`).",
)
@click.pass_obj
def report(settings, output_dir):
    """Write a self-contained HTML report: verdicts, charts, freshness, caveats.

    Reads the warehouse read-only. The page needs no network: the Vega scripts are
    inlined. Every chart is also written as SVG and PNG under REPORT_DIR/charts/.

    Example:

    \b
        uptake report --report-dir reports
    """
    click.echo(write_report_for(settings, output_dir))


def write_report_for(settings: dict, output_dir: Path) -> Path:
    from uptake import api

    written = api.write_report(settings["db"], output_dir, wait_seconds=settings["wait"])
    for note in written.notes:
        click.secho(note, err=True, fg="yellow")
    return written.path
