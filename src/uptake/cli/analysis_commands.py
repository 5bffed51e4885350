"""The analysis command: crossovers, lead/lag and verdicts, printed as a table."""

from __future__ import annotations

import click

from uptake.analysis import DEFAULT_PLACEBO_RUNS, DEFAULT_RESAMPLES, DEFAULT_SEED
from uptake.cli.output import format_table
from uptake.warehouse import Warehouse


def register(cli: click.Group) -> None:
    cli.add_command(analyze)


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
    alternative rule the warehouse has data for.

    Example:

    \b
        uptake analyze --resamples 200 --seed 7
    """
    from uptake.analysis import analyze as analyze_warehouse
    from uptake.study import load_study

    study = load_study(settings["study"])
    with Warehouse.open(settings["db"], wait_seconds=settings["wait"]) as warehouse:
        result = analyze_warehouse(
            warehouse, resamples=resamples, seed=seed, placebo_runs=placebo_runs, study=study
        )
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
