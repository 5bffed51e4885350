"""Load PyPI download counts into the warehouse from one source.

Sources: `top_pypi` (snapshot files, folders or URLs), `top_pypi_history` (every past
snapshot from the archive's GitHub history), `bigquery` (pypi.file_downloads),
`pypistats` (last 180 days) and `demo` (the bundled compact table of real figures).
Each load is one transaction in the warehouse, journaled in meta.loads.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from uptake.errors import ParameterError, SourceError
from uptake.flows_support import journal_failure, journaled_run, report_load, retry_if_transient
from uptake.sources import bundled_figures, top_pypi
from uptake.sources.bigquery_jobs import DEFAULT_CAP
from uptake.sources.github_history import TOP_PYPI_REPO
from uptake.study import load_study
from uptake.warehouse import Warehouse

SOURCES = ("top_pypi", "top_pypi_history", "bigquery", "pypistats", "demo")
# The name each source's loads carry in meta.loads.
JOURNAL_SOURCE = {
    "top_pypi": "top_pypi",
    "top_pypi_history": "top_pypi",
    "demo": "top_pypi",
    "bigquery": "bigquery_pypi",
    "pypistats": "pypistats",
}


# Local files need no retries; a failure is a reject, not a reason to try again.
@task(cache_policy=NO_CACHE)
def read_local_snapshots(paths: list[str]) -> tuple[list, list]:
    failures: list[tuple[str, str]] = []
    files = list(
        top_pypi.read_snapshot_files(paths, lambda item, reason: failures.append((item, reason)))
    )
    return files, failures


# Network: retried with backoff. Not cached: loads skip known content themselves.
@task(
    retries=3,
    retry_delay_seconds=[5, 30, 120],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)
def download_snapshot(url: str) -> top_pypi.SnapshotFile:
    return top_pypi.fetch_snapshot_url(url)


@task(cache_policy=NO_CACHE)
def load_snapshots(db: str | None, files: list, failures: list, parameters: dict) -> dict:
    with Warehouse.open(db) as warehouse:
        return top_pypi.load_snapshot_files(
            warehouse, files, parameters=parameters, read_failures=failures
        )


@task(cache_policy=NO_CACHE)
def load_demo_figures(db: str | None) -> dict:
    with Warehouse.open(db) as warehouse:
        return bundled_figures.load_bundled_figures(warehouse)


@task(
    retries=2,
    retry_delay_seconds=[30, 300],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)
def load_history(db: str | None, repo: str, paths: list[str] | None) -> dict:
    from uptake.sources import github_history

    with Warehouse.open(db) as warehouse:
        known = top_pypi.known_origins(warehouse)
    files: list[top_pypi.SnapshotFile] = []
    failures: list[tuple[str, str]] = []
    history = github_history.iter_file_history(
        repo, paths or github_history.TOP_PYPI_PATHS, known_origins=known
    )
    logger = get_run_logger()
    try:
        for origin, content in history:
            files.append(top_pypi.SnapshotFile(origin=origin, content=content))
            if len(files) % 10 == 0:
                logger.info("fetched %d new snapshots from %s so far", len(files), repo)
    except SourceError as exc:
        # Keep what arrived before a rate limit ran out; the next run resumes after it.
        failures.append((f"github:{repo}", str(exc)))
    with Warehouse.open(db) as warehouse:
        return top_pypi.load_snapshot_files(
            warehouse, files, parameters={"repo": repo, "paths": paths}, read_failures=failures
        )


@task(
    retries=2,
    retry_delay_seconds=[60, 300],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)
def load_bigquery(db: str | None, projects: list[str], maximum_bytes_billed: int) -> dict:
    from uptake.sources import bigquery_pypi

    client = bigquery_pypi.make_client()
    with Warehouse.open(db) as warehouse:
        return bigquery_pypi.load_bigquery_downloads(
            warehouse, client, projects, maximum_bytes_billed=maximum_bytes_billed
        )


# pypistats retries each request itself (429/5xx with backoff); a task retry would redo all.
@task(cache_policy=NO_CACHE)
def load_pypistats(db: str | None, projects: list[str], base_url: str | None) -> dict:
    from uptake.sources import pypistats_api

    with Warehouse.open(db) as warehouse:
        return pypistats_api.load_pypistats_downloads(warehouse, projects, base_url=base_url)


def _load_source(
    source, locations, db, study, history_repo, history_paths, maximum_bytes_billed, pypistats_url
) -> dict:
    if source == "demo":
        return load_demo_figures(db)
    if source == "top_pypi":
        expanded = top_pypi.snapshot_locations(locations or [])
        top_pypi.require_files(expanded)
        urls = [loc for loc in expanded if loc.startswith(("http://", "https://"))]
        files, failures = read_local_snapshots([loc for loc in expanded if loc not in urls])
        for url, future in zip(urls, download_snapshot.map(urls, return_state=True), strict=True):
            if future.is_completed():
                files.append(future.result())
            else:
                failures.append((url, f"download failed: {future.message}"))
        return load_snapshots(db, files, failures, {"locations": list(locations or [])})
    if source == "top_pypi_history":
        return load_history(db, history_repo, history_paths)
    projects = load_study(study).pypi_projects()
    if source == "bigquery":
        return load_bigquery(db, projects, maximum_bytes_billed)
    return load_pypistats(db, projects, pypistats_url)


@flow(name="pypi-downloads", log_prints=True)
@journaled_run("pypi-downloads")
def pypi_downloads(
    source: str = "top_pypi",
    locations: list[str] | None = None,
    db: str | None = None,
    study: str | None = None,
    history_repo: str = TOP_PYPI_REPO,
    history_paths: list[str] | None = None,
    maximum_bytes_billed: int = DEFAULT_CAP,
    pypistats_url: str | None = None,
) -> dict:
    """Load one source's download counts; returns the load summary."""
    if source not in SOURCES:
        raise ParameterError(f"unknown source {source!r}: choose one of {', '.join(SOURCES)}")
    try:
        summary = _load_source(
            source,
            locations,
            db,
            study,
            history_repo,
            history_paths,
            maximum_bytes_billed,
            pypistats_url,
        )
    except Exception as exc:
        # A failure before a load's transaction must still show in `uptake status`.
        journal_failure(db, JOURNAL_SOURCE[source], source, exc)
        raise
    report_load(source, summary)
    return summary


if __name__ == "__main__":
    import sys

    pypi_downloads(
        source="top_pypi", locations=sys.argv[1:] or ["../shared/data/top-pypi-packages"]
    )
