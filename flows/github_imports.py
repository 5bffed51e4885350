"""Mine imports from repositories into the warehouse: local clones, the GitHub API, or
BigQuery's github_repos.

`local`: one task per repository (per batch of up to ten when there are many) clones it
if given a URL, plans its months, parses its new blobs and sends back Arrow tables; this
flow's process is the warehouse's only writer, one transaction per repository as results
arrive, with a bounded number of tasks in flight. Tasks run on threads (parsing in the
worker processes of `history_miner.worker_pool`), or on a Dask cluster when
`dask_address` (or UPTAKE_DASK_ADDRESS) names its scheduler. `api`: month-end trees and
only uncached blobs over the REST API, rate-limit aware. `bigquery`: one job over the
github_repos snapshot, within a byte budget.
"""

from __future__ import annotations

import os
import queue
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, date, datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from uptake import progress
from uptake.errors import ParameterError, SourceError, UptakeError
from uptake.flows_support import journaled_run, publish_load_summary, retry_if_transient
from uptake.mining.git_plumbing import month_start
from uptake.mining.history_miner import ParsePool, worker_pool
from uptake.mining.mined_writer import record_not_fetched, repository_job, write_mined
from uptake.mining.repositories import RepositoryRef, parse_repository, unique_names
from uptake.mining.repository_miner import MinedRepository, mine_batch
from uptake.sources.bigquery_jobs import DEFAULT_CAP
from uptake.warehouse import Warehouse, resolve_path
from uptake.wording import counted

MODES = ("local", "api", "bigquery")
DASK_ADDRESS_VARIABLE = "UPTAKE_DASK_ADDRESS"
# Tasks in flight per parallel slot: enough to keep every slot busy while the writer
# writes, few enough that results never pile up in memory.
IN_FLIGHT_PER_SLOT = 2
MAX_REPOSITORIES_PER_TASK = 10
TASKS_PER_SLOT = 8

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


def mine_local(
    db: str | None,
    refs: list[RepositoryRef],
    until: date,
    workers: int | None,
    dask_address: str | None,
    repositories_per_task: int | None = None,
) -> dict:
    """Fan `refs` out as tasks on threads or Dask; write each result here, as it arrives."""
    logger = get_run_logger()
    workers = workers or min(2, os.cpu_count() or 1)
    clones_dir = str(resolve_path(db).parent / "clones")
    with ExitStack() as stack:
        warehouse = stack.enter_context(Warehouse.open(db))
        if dask_address:
            runner = stack.enter_context(_dask_runner(dask_address))
            slots = sum(runner.client.nthreads().values()) or 1
            parse_pool = None  # each Dask worker parses in its own process
        else:
            slots = workers
            runner = stack.enter_context(ThreadPoolTaskRunner(IN_FLIGHT_PER_SLOT * slots))
            parse_pool = worker_pool(workers) if workers > 1 else None
        per_task = repositories_per_task or _batch_size(len(refs), slots)
        batches = [refs[i : i + per_task] for i in range(0, len(refs), per_task)]
        logger.info(
            "mining %d repositories, %d per task, %d tasks at a time", len(refs), per_task, slots
        )
        return _fan_out(
            warehouse, runner, batches, until, clones_dir, parse_pool, IN_FLIGHT_PER_SLOT * slots
        )


def _batch_size(repositories: int, slots: int) -> int:
    """One repository per task unless there are many: then enough per task that Prefect's
    per-task cost stays small, while every slot still gets TASKS_PER_SLOT tasks to balance."""
    return max(1, min(MAX_REPOSITORIES_PER_TASK, repositories // (slots * TASKS_PER_SLOT)))


def _dask_runner(address: str) -> TaskRunner:
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise UptakeError(
            "mining on Dask needs prefect-dask and distributed: pip install 'uptake[dask]'"
        ) from None
    return DaskTaskRunner(address=address)


def _fan_out(
    warehouse: Warehouse,
    runner: TaskRunner,
    batches: list[list[RepositoryRef]],
    until: date,
    clones_dir: str,
    parse_pool: ParsePool | None,
    window: int,
) -> dict:
    logger = get_run_logger()
    waiting = list(reversed(batches))
    repositories = sum(len(batch) for batch in batches)
    in_flight: dict[object, list[RepositoryRef]] = {}
    finished: queue.Queue = queue.Queue()
    totals: Counter = Counter()
    rejects: list[tuple[str, str]] = []

    def submit_next() -> None:
        batch = waiting.pop()
        parameters = {
            "jobs": [repository_job(warehouse, ref) for ref in batch],
            "until": until,
            "clones_dir": clones_dir,
            "parse_pool": parse_pool,
        }
        future = runner.submit(mine_batch_task, parameters)
        in_flight[future] = batch
        future.add_done_callback(finished.put)

    def write(mined: MinedRepository) -> None:
        load = write_mined(warehouse, mined, until)
        totals["repositories"] += 1
        totals["months"] += mined.months.num_rows
        totals["blobs_parsed"] += mined.blobs.num_rows
        totals["blobs_cached"] += mined.blobs_known
        totals["rejected"] += len(load.rejects)
        rejects.extend(load.rejects)
        outcome = (
            load.rejects[0][1] if load.rejects else counted(mined.months.num_rows, "new month")
        )
        logger.info("%s: %s", mined.repo, outcome)
        progress.advance("repositories mined", totals["repositories"], repositories)

    while waiting and len(in_flight) < window:
        submit_next()
    while in_flight:
        future = finished.get()
        batch = in_flight.pop(future)
        try:
            results = future.result()
        except Exception as exc:  # a lone repository failed after its retries, or a worker died
            results = [MinedRepository.failed(ref.name, exc) for ref in batch]
        retry_alone = len(batch) > 1
        # Again in a task of its own, with the task's retries.
        waiting.extend(
            [ref]
            for ref, mined in zip(batch, results, strict=True)
            if mined.failure and retry_alone
        )
        while waiting and len(in_flight) < window:
            submit_next()  # before writing, so the workers stay busy meanwhile
        for mined in results:
            if not (mined.failure and retry_alone):
                write(mined)
    return {**totals, "rejects": rejects}


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
        summary = mine_local(
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
