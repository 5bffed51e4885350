"""uptake from Python: the few calls an analyst needs, with typed results.

    import uptake

    uptake.refresh({"top_pypi": ["../shared/data/top-pypi-packages"]}, db="data/uptake.duckdb")
    uptake.build(db="data/uptake.duckdb")
    answer = uptake.analyze(db="data/uptake.duckdb")
    shares = uptake.read_mart("rivalry_shares", db="data/uptake.duckdb")  # a polars frame

`refresh` and `mine` run the same Prefect flows as `uptake refresh`, `uptake mine` and
the scheduled deployments (so each run is journaled and crash-safe); `build`, `analyze`,
`write_report` and `read_mart` work on the warehouse directly. The CLI is a thin layer over
these functions. `db` defaults to $UPTAKE_DB, else data/uptake.duckdb; `study` to
$UPTAKE_STUDY, else study.toml when present, else the bundled default.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from uptake import __all__  # noqa: F401  (the names are listed once, in uptake)
from uptake.analysis import (
    DEFAULT_PLACEBO_RUNS,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    AnalysisResult,
)
from uptake.errors import UptakeError
from uptake.models import BuildResult, Model
from uptake.warehouse import Warehouse, exclusive_run, resolve_path

Rejects = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LoadSummary:
    """What one source's load did: rows written, items skipped as already loaded (same
    content), items rejected and why."""

    source: str
    rows: int = 0
    skipped: int = 0
    rejected: int = 0
    rejects: Rejects = ()

    @classmethod
    def from_flow(cls, source: str, summary: Mapping) -> LoadSummary:
        return cls(
            source,
            int(summary.get("rows", 0)),
            int(summary.get("skipped", 0)),
            int(summary.get("rejected", 0)),
            tuple((str(item), str(reason)) for item, reason in summary.get("rejects", [])),
        )


@dataclass(frozen=True)
class RefreshResult:
    """Every source's load, the sources that failed (name -> why) and the rebuild."""

    loads: dict[str, LoadSummary]
    failures: dict[str, str]
    build: BuildResult

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class MiningSummary:
    """What a mining run did. `rejects` names each repository not mined and why (gone,
    no snapshot, unreadable name...); `not_fetched` counts those recorded without a clone,
    `not_attempted` those a rate limit left for the next run (api mode, `stopped` says why).
    `counts` holds every count the mode reported, its own included (api requests, blobs
    fetched; bigquery rows)."""

    repositories: int = 0
    months: int = 0
    rejected: int = 0
    not_fetched: int = 0
    not_attempted: int = 0
    rejects: Rejects = ()
    counts: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None
    build: BuildResult | None = None

    @classmethod
    def from_flow(cls, summary: Mapping, build: BuildResult | None = None) -> MiningSummary:
        counts = {
            name: value
            for name, value in summary.items()
            if isinstance(value, int) and not isinstance(value, bool)
        }
        return cls(
            **{name: counts.get(name, 0) for name in _MINING_FIELDS},
            rejects=tuple((str(i), str(reason)) for i, reason in summary.get("rejects", [])),
            counts=counts,
            stopped=summary.get("stopped"),
            build=build,
        )


_MINING_FIELDS = ("repositories", "months", "rejected", "not_fetched", "not_attempted")


@dataclass
class Analysis:
    """The analysis marts' rows (`result`: crossovers, hypotheses, placebos, meta) and the
    study-variant rules analysed beside the main one."""

    result: AnalysisResult
    variant_rules: list[str] = field(default_factory=list)

    @property
    def hypotheses(self) -> list[dict]:
        return self.result.hypotheses

    @property
    def message(self) -> str | None:
        """Why nothing was analysed (an empty warehouse), else None."""
        return self.result.message

    @property
    def headline(self) -> str | None:
        """The answer across rivalries in one sentence (marts.meta_analysis), or None."""
        from uptake.analysis.meta import headline_result

        found = headline_result(self.result.meta)
        return (
            None if found is None else f"Across {len(found.outcomes)} rivalries: {found.headline}"
        )


def open_warehouse(
    db: str | Path | None = None, *, read_only: bool = False, wait_seconds: float = 0.0
) -> Warehouse:
    """Open (creating and migrating, unless read_only) the warehouse; use it in a `with`."""
    return Warehouse.open(db, read_only=read_only, wait_seconds=wait_seconds)


def refresh(
    sources: Mapping[str, Iterable[str] | None] | Iterable[str],
    *,
    db: str | Path | None = None,
    study: str | Path | None = None,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
    progress_bar: bool = False,
    **options,
) -> RefreshResult:
    """Load `sources` (name -> files, folders or URLs; a bare name for the network sources
    and `demo`), then rebuild the models, through the `refresh` flow.

    `options` are the flow's: maximum_bytes_billed, pypistats_url, history_repo,
    hub_endpoint. A source that fails is in `failures`; the others still load.
    """
    from uptake.flow_loader import load_flow
    from uptake.progress import terminal_bar

    if isinstance(sources, Mapping):
        names = list(sources)
        locations = {name: [str(p) for p in where] for name, where in sources.items() if where}
    else:
        names, locations = list(sources), {}
    _quiet_expected_errors()
    refresh_flow = load_flow("refresh", "refresh")
    # Held for the whole run, so no other writer slips in between two tasks.
    with (
        exclusive_run(_db(db), wait_seconds=wait_seconds, on_wait=on_wait),
        terminal_bar(enabled=progress_bar),
    ):
        result = refresh_flow(
            sources=names,
            locations=locations or None,
            db=_db(db),
            study=_path(study),
            **options,
        )
    return RefreshResult(
        loads={
            name: LoadSummary.from_flow(name, summary) for name, summary in result["loads"].items()
        },
        failures=dict(result["failures"]),
        build=BuildResult(**result["models"]),
    )


def mine(
    repositories: Iterable[str],
    *,
    db: str | Path | None = None,
    study: str | Path | None = None,
    mode: str = "local",
    until: date | None = None,
    workers: int | None = None,
    snapshot_date: date | None = None,
    dask_address: str | None = None,
    not_fetched: Mapping[str, str] | None = None,
    build: bool = True,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
    progress_bar: bool = False,
) -> MiningSummary:
    """Mine which modules `repositories` (local clones, git URLs, owner/name or NAME=PATH)
    import at every month end, through the `github-imports` flow, then rebuild the models
    unless build=False. `not_fetched` records repositories no clone could be had of, with
    why, so a corpus's coverage counts them."""
    from uptake.flow_loader import load_flow
    from uptake.progress import terminal_bar

    _quiet_expected_errors()
    with (
        exclusive_run(_db(db), wait_seconds=wait_seconds, on_wait=on_wait),
        terminal_bar(enabled=progress_bar),
    ):
        summary = load_flow("github_imports", "github_imports")(
            repositories=list(repositories),
            mode=mode,
            not_fetched=dict(not_fetched) if not_fetched else None,
            db=_db(db),
            until=until,
            workers=workers,
            snapshot_date=snapshot_date,
            dask_address=dask_address,
        )
        built = (
            BuildResult(**load_flow("build_models", "build_models")(db=_db(db), study=_path(study)))
            if build
            else None
        )
    return MiningSummary.from_flow(summary, built)


def build(
    db: str | Path | None = None,
    *,
    study: str | Path | None = None,
    wait_seconds: float = 0.0,
    on_step: Callable[[Model], None] | None = None,
) -> BuildResult:
    """Write the study into meta.*, build every SQL model and run every data test, in one
    transaction: a failing model or test raises ModelError and leaves the marts as they were."""
    from uptake.models import build_models
    from uptake.study import load_study

    loaded = load_study(_path(study))
    with Warehouse.open(db, wait_seconds=wait_seconds) as warehouse:
        warehouse.sync_study(loaded)
        return build_models(warehouse.con, on_step=on_step)


def analyze(
    db: str | Path | None = None,
    *,
    study: str | Path | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    placebo_runs: int = DEFAULT_PLACEBO_RUNS,
    wait_seconds: float = 0.0,
) -> Analysis:
    """Test, per rivalry and pair of segments, whether the research favourite became the
    industry favourite; write the analysis marts; analyse each study variant (a technology
    counted apart) beside the main rule."""
    from uptake.analysis import analyze as analyze_warehouse
    from uptake.analysis.study_variants import analyse_variants
    from uptake.study import load_study

    loaded = load_study(_path(study))
    options = {"resamples": resamples, "seed": seed, "placebo_runs": placebo_runs}
    with Warehouse.open(db, wait_seconds=wait_seconds) as warehouse:
        result = analyze_warehouse(warehouse, study=loaded, **options)
        variants = [] if result.message else analyse_variants(warehouse, loaded, **options)
    return Analysis(result, variants)


def write_report(
    db: str | Path | None = None,
    report_dir: str | Path = "reports",
    *,
    wait_seconds: float = 0.0,
):
    """Write the self-contained HTML report (index.html, charts/*.svg and *.png) from the
    warehouse, read-only. Returns the `uptake.report.Report`: its path, charts and notes
    on what the warehouse lacks."""
    from uptake.report import write_report as write_page

    path = resolve_path(db)
    with Warehouse.open(path, read_only=True, wait_seconds=wait_seconds) as warehouse:
        return write_page(warehouse.con, Path(report_dir), title=f"uptake report: {path.name}")


_MART_NAME = re.compile(r"^(?:marts\.)?([a-z_][a-z0-9_]*)$")


def read_mart(name: str, db: str | Path | None = None, *, wait_seconds: float = 0.0):
    """The mart `name` (`rivalry_shares` or `marts.rivalry_shares`) as a polars DataFrame,
    read without locking writers out for longer than the read."""
    match = _MART_NAME.match(name.strip())
    with Warehouse.open(db, read_only=True, wait_seconds=wait_seconds) as warehouse:
        marts = [
            row[0]
            for row in warehouse.con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]
        if not match or match[1] not in marts:
            raise UptakeError(
                f"no mart {name!r} in {warehouse.path}: "
                + (f"choose one of {', '.join(marts)}" if marts else "run `uptake build` first")
            )
        return warehouse.con.sql(f'select * from marts."{match[1]}"').pl()  # noqa: S608


def _db(db: str | Path | None) -> str | None:
    return None if db is None else str(db)


def _path(path: str | Path | None) -> str | None:
    return None if path is None else str(path)


class _NoTracebackForExpectedErrors(logging.Filter):
    """uptake's own errors are one-line messages; Prefect would log them with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], UptakeError):
            record.exc_info = None
            record.exc_text = None
        return True


def _quiet_expected_errors() -> None:
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoTracebackForExpectedErrors) for f in logger.filters):
            logger.addFilter(_NoTracebackForExpectedErrors())
