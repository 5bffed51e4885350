"""`uptake mine`: mine imports from repositories for a one-off run."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from uptake.cli.exit_status import finish
from uptake.cli.output import quiet_option
from uptake.sources.unicode_text import printable
from uptake.warehouse import resolve_path
from uptake.wording import counted


def register(cli: click.Group) -> None:
    cli.add_command(mine)
    cli.add_command(export_corpus)


def _month(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month like 2024-03") from None


@click.command()
@click.argument("repositories", nargs=-1)
@click.option(
    "--papers",
    is_flag=True,
    help="Mine the GitHub repositories of the papers in the warehouse (paper lists); "
    "--sample stratifies them by edition year.",
)
@click.option(
    "--cohort",
    "cohorts",
    multiple=True,
    metavar="NAME",
    help="Mine a ranking cohort's repositories (popular_python); --sample stratifies them "
    "by the month each entered the cohort. Repeatable.",
)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="With --papers or --cohort: draw N repositories of each, shared equally between "
    "strata (default: all).",
)
@click.option(
    "--seed",
    type=int,
    default=20191,
    show_default=True,
    help="Seed of the --sample draw: the same seed and data draw the same repositories.",
)
@click.option(
    "--clones",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Local clones of the chosen repositories, as DIR/owner/name[.git] or "
    "DIR/owner+name/repo; a repository without one is cloned from GitHub.",
)
@click.option(
    "--only-cloned",
    is_flag=True,
    help="With --clones: mine only the chosen repositories that have a clone there, clone none.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="With --papers or --cohort: print the chosen repositories (owner/name as the "
    "lists spell it, one a line) and mine nothing, e.g. to fetch their clones first.",
)
@click.option(
    "--unavailable",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="TSV of owner/name and why no clone of it could be had: each chosen one is "
    "recorded as not_fetched with that reason instead of being cloned.",
)
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
    callback=_month,
    help="Mine months that ended before this month (default: the current month).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes parsing blobs (default: up to 2).",
)
@click.option(
    "--snapshot-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="bigquery mode (needed there): when github_repos was last refreshed.",
)
@click.option(
    "--dask-address",
    envvar="UPTAKE_DASK_ADDRESS",
    default=None,
    metavar="ADDRESS",
    help="local mode: run the tasks on this Dask scheduler (default: $UPTAKE_DASK_ADDRESS, "
    "else threads here).",
)
@click.option(
    "--no-build",
    is_flag=True,
    help="Leave the marts as they are (default: rebuild them after mining, as refresh does).",
)
@quiet_option
@click.pass_obj
def mine(
    settings,
    repositories,
    papers,
    cohorts,
    sample,
    seed,
    clones,
    only_cloned,
    dry_run,
    unavailable,
    mode,
    until,
    workers,
    snapshot_date,
    dask_address,
    no_build,
    quiet,
):
    """Mine which modules REPOSITORIES import at every month end, into the warehouse.

    REPOSITORIES are local clones, git URLs (cloned bare and blob-less next to the
    warehouse), or owner/name; NAME=PATH names a clone whose remote does not say which
    repository it is. --papers and --cohort add the repositories of the papers or of a
    cohort loaded in the warehouse. Blobs parsed once are never parsed again; a re-run
    mines only new months. Every repository ends with an outcome in marts.repos (mined,
    no_python, empty, gone, private, not_fetched, ...), never silently dropped.

    Example:

    \b
        uptake mine . --until 2024-01
        uptake mine --papers --sample 200 --seed 7 --clones ~/clones
    """
    from uptake.mining.repositories import CREDENTIALS_IN_URL, url_has_credentials

    # Refused here, before the flow stores its parameters with the run.
    if any(url_has_credentials(r) for r in repositories):
        raise click.UsageError(CREDENTIALS_IN_URL)
    if not (repositories or papers or cohorts):
        raise click.UsageError("name REPOSITORIES, or choose --papers or --cohort NAME")
    if (sample or clones or unavailable) and not (papers or cohorts):
        raise click.UsageError("--sample, --clones and --unavailable go with --papers or --cohort")
    if only_cloned and not clones:
        raise click.UsageError("--only-cloned needs --clones DIR")
    if dry_run and not (papers or cohorts):
        raise click.UsageError("--dry-run goes with --papers or --cohort")
    if mode == "bigquery" and snapshot_date is None:
        raise click.UsageError(
            "--mode bigquery needs --snapshot-date YYYY-MM-DD: when github_repos was last refreshed"
        )
    not_fetched: dict[str, str] = {}
    if papers or cohorts:
        chosen, not_fetched, untried = _corpus(
            settings, papers, cohorts, sample, seed, clones, only_cloned, unavailable
        )
        repositories = [*repositories, *chosen]
        click.secho(
            f"Chose {counted(len(chosen) + len(not_fetched) + untried, 'repository')}: "
            f"{len(chosen):,} to mine, {len(not_fetched):,} recorded as not fetched"
            + (f", {untried:,} without a clone left untried" if untried else ""),
            err=True,
            fg="cyan",
        )
        if dry_run:
            from uptake.mining.corpus import listed_spellings
            from uptake.warehouse import Warehouse

            with Warehouse.open(settings["db"], read_only=True, wait_seconds=settings["wait"]) as w:
                spelled = listed_spellings(w.con)
            for name in chosen:
                repo = name.split("=", 1)[0]
                click.echo(spelled.get(repo, repo))
            return

    from uptake import api

    click.secho(
        f"Mining {counted(len(repositories), 'repository')} ({mode}) into "
        f"{resolve_path(settings['db'])} ...",
        err=True,
        fg="cyan",
    )
    summary = api.mine(
        # An argument that is not UTF-8 cannot be a flow parameter: escaped, it is
        # rejected with a reason like any unusable name instead of a traceback.
        [printable(r) for r in repositories],
        db=settings["db"],
        study=settings["study"],
        mode=mode,
        until=until,
        workers=workers,
        snapshot_date=snapshot_date.date() if snapshot_date else None,
        dask_address=dask_address,
        not_fetched=not_fetched or None,
        build=not no_build,
        wait_seconds=settings["wait"],
        on_wait=lambda message: click.secho(message, err=True, fg="cyan"),
        progress_bar=not quiet,
    )
    figures = ", ".join(
        f"{name.replace('_', ' ')} {value:,}" for name, value in sorted(summary.counts.items())
    )
    click.echo(f"mined: {figures}")
    for item, reason in summary.rejects[:10]:
        click.secho(f"  rejected {item}: {reason}", err=True, fg="yellow")
    if summary.build:
        click.echo(
            f"built {counted(len(summary.build.built), 'model')}; "
            f"{counted(len(summary.build.tests_passed), 'data test')} passed"
        )
    # Items, not reject rows: one repository may be refused for two reasons.
    tried = len(repositories) + len(not_fetched)
    refused = len({item for item, _ in summary.rejects}) + summary.not_attempted
    finish(max(tried - refused, 0), min(refused, tried), "mined")


def _corpus(settings, papers, cohorts, sample, seed, clones, only_cloned, unavailable):
    """(NAME=PATH or owner/name to mine, owner/name -> why not fetched, left untried)."""
    from uptake.errors import UptakeError
    from uptake.mining import corpus
    from uptake.warehouse import Warehouse

    try:
        with Warehouse.open(settings["db"], read_only=True, wait_seconds=settings["wait"]) as w:
            groups = [corpus.paper_repositories(w.con)] if papers else []
            groups += [corpus.cohort_repositories(w.con, name) for name in cohorts]
        local = corpus.find_clones(clones) if clones else {}
        missing = corpus.read_unavailable(unavailable) if unavailable else {}
    except UptakeError as exc:
        raise click.ClickException(str(exc)) from None
    chosen, not_fetched, untried, seen = [], {}, 0, set()
    for group in groups:
        for candidate in corpus.stratified_sample(group, sample, seed):
            repo = candidate.repo
            if repo in seen:
                continue
            seen.add(repo)
            if repo in local:
                chosen.append(f"{repo}={local[repo]}")
            elif repo in missing:
                not_fetched[repo] = missing[repo]
            elif only_cloned:
                untried += 1
            else:
                chosen.append(repo)
    return chosen, not_fetched, untried


@click.command("export-corpus")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def export_corpus(settings, output):
    """Write every mined repository, its monthly imports and what names it to OUTPUT.

    OUTPUT is one compact, versioned file (a zip of Parquet tables): per repository its
    outcome (mined, or why not) and the commit mined; per month its snapshot and how
    many files import each set of top-level modules (every module, not only the
    study's); and the papers and cohort listings naming those repositories. Load it
    anywhere with `uptake refresh --source mined_corpus=OUTPUT`; `uptake demo` loads the
    one bundled with uptake.

    Example:

    \b
        uptake export-corpus corpus.zip
    """
    from uptake.errors import UptakeError
    from uptake.mining.corpus_file import export_corpus as export
    from uptake.warehouse import Warehouse

    try:
        with Warehouse.open(settings["db"], wait_seconds=settings["wait"]) as warehouse:
            summary = export(warehouse, output)
    except UptakeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"wrote {output}: {counted(summary.repositories, 'repository')} "
        f"({summary.mined:,} mined), {counted(summary.months, 'month')}, "
        f"{summary.module_sets:,} module sets in {summary.presence_runs:,} runs, "
        f"{counted(summary.papers, 'paper')}, {summary.bytes:,} bytes"
    )
