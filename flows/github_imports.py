"""Mine imports from repositories into the warehouse: local clones, the GitHub API, or
BigQuery's github_repos.

`local`: one task per repository (per batch of up to ten when there are many) clones it
if given a URL, plans its months, parses its new blobs and sends back Arrow tables,
scheduled by `uptake.mining.scheduler` on threads (parsing in worker processes) or on a
Dask cluster when `dask_address` (or UPTAKE_DASK_ADDRESS) names its scheduler. `api`: month-end trees and
only uncached blobs over the REST API, rate-limit aware. `bigquery`: one job over the
github_repos snapshot, within a byte budget.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from uptake.errors import ParameterError, SourceError
from uptake.flows_support import journaled_run, publish_load_summary, retry_if_transient
from uptake.mining import scheduler
from uptake.mining.git_plumbing import month_start
from uptake.mining.mined_writer import record_not_fetched
from uptake.mining.repositories import parse_repository, unique_names
from uptake.mining.repository_miner import mine_batch
from uptake.sources.bigquery_jobs import DEFAULT_CAP
from uptake.warehouse import Warehouse

MODES = ("local", "api", "bigquery")
DASK_ADDRESS_VARIABLE = "UPTAKE_DASK_ADDRESS"
# Network (the clone or fetch): retried. Not cached: a fetch is how new commits arrive.
# Made from the function in uptake.mining so Dask workers import it by name.
mine_batch_task = task(
    mine_batch,
    name="mine-repositories",
    task_run_name="mine {jobs[0].ref.name} and its batch",
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
    tags=["git-clone"],
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
@journaled_run("github-imports")
def github_imports(
    repositories: list[str],
    mode: str = "local",
    db: str | None = None,
    until: date | None = None,
    workers: int | None = None,
    snapshot_date: date | None = None,
    maximum_bytes_billed: int = DEFAULT_CAP,
    dask_address: str | None = None,
    repositories_per_task: int | None = None,
    not_fetched: dict[str, str] | None = None,
) -> dict:
    """Mine `repositories` (paths, git URLs or owner/name) up to the month before `until`.

    `not_fetched` maps repositories no clone could be had of to why: each is recorded
    with that reason (outcome not_fetched), so a corpus's coverage counts it.

    local mode: `workers` parsing processes on this machine, or, with `dask_address`
    (default: $UPTAKE_DASK_ADDRESS), the workers of the Dask scheduler at that address.
    `repositories_per_task` (default: 1, up to 10 when there are many) batches small
    repositories so Prefect's cost per task does not dominate.
    """
    if mode not in MODES:
        raise ParameterError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
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
            raise ParameterError(
                "mode bigquery needs snapshot_date: when github_repos was last refreshed"
            )
        summary = mine_bigquery(db, [ref.name for ref in refs], snapshot_date, maximum_bytes_billed)
    else:
        summary = scheduler.mine_local(
            mine_batch_task,
            db,
            refs,
            until or month_start(datetime.now(UTC)),
            workers,
            dask_address or os.environ.get(DASK_ADDRESS_VARIABLE),
            repositories_per_task,
        )
        if unreadable:
            with Warehouse.open(db) as warehouse:
                for name, reason in unreadable:
                    warehouse.reject("mining_local", name, reason)
            summary = {
                **summary,
                "rejected": summary.get("rejected", 0) + len(unreadable),
                "rejects": [*summary.get("rejects", []), *unreadable],
            }
    if not_fetched:
        with Warehouse.open(db) as warehouse:
            record_not_fetched(warehouse, not_fetched)
        summary = {
            **summary,
            "not_fetched": len(not_fetched),
            "rejects": [*summary.get("rejects", []), *not_fetched.items()],
        }
    publish_load_summary(f"mining_{mode}", summary)
    return summary


if __name__ == "__main__":
    import sys

    github_imports(repositories=sys.argv[1:] or ["."])
