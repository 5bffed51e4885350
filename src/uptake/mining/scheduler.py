"""The local mining fan-out: repositories in batches as Prefect tasks, on threads or a
Dask cluster, results written here as they arrive.

The calling flow's process is the warehouse's only writer, one transaction per repository;
a bounded number of tasks is in flight so results never pile up in memory. A batch that
fails is split and each repository retried alone, with the task's retries.
"""

from __future__ import annotations

import os
import queue
from collections import Counter
from contextlib import ExitStack
from datetime import date

from prefect import Task, get_run_logger
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from uptake import progress
from uptake.errors import UptakeError
from uptake.mining.history_miner import ParsePool, worker_pool
from uptake.mining.mined_writer import repository_job, write_mined
from uptake.mining.repositories import RepositoryRef
from uptake.mining.repository_miner import MinedRepository
from uptake.warehouse import Warehouse, resolve_path
from uptake.wording import counted

# Tasks in flight per parallel slot: enough to keep every slot busy while the writer
# writes, few enough that results never pile up in memory.
IN_FLIGHT_PER_SLOT = 2
MAX_REPOSITORIES_PER_TASK = 10
TASKS_PER_SLOT = 8


def mine_local(
    mine_batch_task: Task,
    db: str | None,
    refs: list[RepositoryRef],
    until: date,
    workers: int | None,
    dask_address: str | None,
    repositories_per_task: int | None = None,
) -> dict:
    """Fan `refs` out as `mine_batch_task` runs on threads or Dask; write each result
    here, as it arrives."""
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
            warehouse,
            runner,
            mine_batch_task,
            batches,
            until,
            clones_dir,
            parse_pool,
            IN_FLIGHT_PER_SLOT * slots,
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
    mine_batch_task: Task,
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
