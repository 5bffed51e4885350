"""Mine imports from repositories into the warehouse: local clones, the GitHub API, or
BigQuery's github_repos.

`local`: URLs are cloned (bare, blob-less) as tasks fanned out with a concurrency limit;
the mining itself runs in one task whose process pool parses blobs on every core while
this flow's process stays the warehouse's only writer. `api`: month-end trees and only
uncached blobs over the REST API, rate-limit aware. `bigquery`: one job over the
github_repos snapshot, within a byte budget.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from uptake.errors import SourceError
from uptake.flows_support import publish_load_summary, retry_if_transient
from uptake.mining.repositories import (
    RepositoryRef,
    clone_or_update,
    parse_repository,
    unique_names,
)
from uptake.sources.bigquery_jobs import DEFAULT_CAP
from uptake.warehouse import Warehouse, resolve_path

MODES = ("local", "api", "bigquery")


# Network: retried. Not cached: a fetch is how new commits arrive.
@task(
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
    tags=["git-clone"],
)
def fetch_clone(ref: RepositoryRef, clones_dir: str) -> str:
    return str(clone_or_update(ref, Path(clones_dir)))


@task(cache_policy=NO_CACHE)
def mine_local(
    db: str | None, repositories: list[tuple[str, str]], until: date | None, workers: int | None
) -> dict:
    from uptake.mining.history_miner import mine_repositories

    logger = get_run_logger()
    with Warehouse.open(db) as warehouse:
        return mine_repositories(
            warehouse,
            repositories,
            until=until,
            workers=workers,
            on_progress=lambda repo, message: logger.info("%s: %s", repo, message),
        )


@task(cache_policy=NO_CACHE)
def mine_api(db: str | None, names: list[str], until: date | None) -> dict:
    from uptake.mining.github_miner import mine_github_repositories

    logger = get_run_logger()
    with Warehouse.open(db) as warehouse:
        return mine_github_repositories(
            warehouse,
            names,
            until=until,
            on_progress=lambda repo, message: logger.info("%s: %s", repo, message),
        )


@task(
    retries=2,
    retry_delay_seconds=[60, 300],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)
def mine_bigquery(
    db: str | None, names: list[str], snapshot_date: date, maximum_bytes_billed: int
) -> dict:
    from uptake.mining import bigquery_github
    from uptake.sources.bigquery_jobs import make_client

    with Warehouse.open(db) as warehouse:
        return bigquery_github.load_snapshot_imports(
            warehouse,
            make_client(),
            names,
            snapshot_date,
            maximum_bytes_billed=maximum_bytes_billed,
        )


@flow(name="github-imports")
def github_imports(
    repositories: list[str],
    mode: str = "local",
    db: str | None = None,
    until: date | None = None,
    workers: int | None = None,
    snapshot_date: date | None = None,
    maximum_bytes_billed: int = DEFAULT_CAP,
) -> dict:
    """Mine `repositories` (paths, git URLs or owner/name) up to the month before `until`."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    parsed, unreadable = [], []
    for text in repositories:
        try:
            parsed.append(parse_repository(text))
        except SourceError as exc:  # one bad name must not stop the others
            unreadable.append((text, str(exc)))
    refs = unique_names(parsed)
    if unreadable and mode != "local":
        with Warehouse.open(db) as warehouse:
            for text, reason in unreadable:
                warehouse.reject(f"mining_{mode}", text, reason)
    if mode == "api":
        summary = mine_api(db, [ref.name for ref in refs], until)
    elif mode == "bigquery":
        if snapshot_date is None:
            raise ValueError(
                "mode bigquery needs snapshot_date: when github_repos was last refreshed"
            )
        summary = mine_bigquery(db, [ref.name for ref in refs], snapshot_date, maximum_bytes_billed)
    else:
        clones_dir = str(resolve_path(db).parent / "clones")
        states = fetch_clone.map(refs, clones_dir, return_state=True)
        fetched, failed = [], []
        for ref, state in zip(refs, states, strict=True):
            if state.is_completed():
                fetched.append((ref.name, state.result()))
            else:
                failed.append((ref.name, state.message or "fetch failed"))
        summary = mine_local(db, fetched, until, workers)
        failed += unreadable
        if failed:
            with Warehouse.open(db) as warehouse:
                for name, reason in failed:
                    warehouse.reject("mining_local", name, reason)
            summary = {
                **summary,
                "rejected": summary.get("rejected", 0) + len(failed),
                "rejects": [*summary.get("rejects", []), *failed],
            }
    publish_load_summary(f"mining_{mode}", summary)
    return summary


if __name__ == "__main__":
    import sys

    github_imports(repositories=sys.argv[1:] or ["."])
