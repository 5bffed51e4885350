"""Mining one repository away from the warehouse: what a task runs, on a thread or a Dask worker.

A task gets a repository's name and location, the months already mined and the blobs of
its latest mined month with how they were read (so unchanged files of new months are not
parsed again), reads the clone with git plumbing, and returns its rows as Arrow tables.
It never opens the warehouse: any number of tasks run at once, on any machine, and the
flow's process alone writes what they send back.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from uptake.errors import SourceError
from uptake.mining import store
from uptake.mining.git_plumbing import TreeFile
from uptake.mining.history_miner import (
    ParsePool,
    month_snapshots,
    parse_blobs,
    parse_chunks,
    plan_repository,
)
from uptake.mining.repositories import RepositoryRef, clone_or_update

# Where a worker keeps the clones of repositories given as URLs; read on the worker's
# machine, so each machine can point at its own disk.
CLONES_DIR_VARIABLE = "UPTAKE_CLONES_DIR"
_URL_PREFIXES = ("http://", "https://", "file://")


@dataclass(frozen=True)
class MinedRepository:
    """One repository's new rows, or why it could not be mined."""

    repo: str
    months: pa.Table  # raw.repo_snapshots rows, less source and load columns
    month_blobs: pa.Table  # raw.repo_snapshot_blobs rows
    blobs: pa.Table  # blobs this task parsed, raw.blob_imports rows less version and time
    blobs_known: int  # blobs of the new months that needed no parsing
    reason: str | None = None  # set when the repository is rejected
    failure: str | None = None  # set when mining raised: worth a task of its own, retried

    @classmethod
    def rejected(cls, repo: str, reason: str) -> MinedRepository:
        months, month_blobs = store.month_tables([])
        return cls(repo, months, month_blobs, store.blob_table([]), 0, reason)

    @classmethod
    def failed(cls, repo: str, exc: Exception) -> MinedRepository:
        months, month_blobs = store.month_tables([])
        failure = f"{type(exc).__name__}: {exc}"
        return cls(repo, months, month_blobs, store.blob_table([]), 0, failure=failure)


@dataclass(frozen=True)
class RepositoryJob:
    """A repository to mine, with the read-only snapshot of the warehouse it needs."""

    ref: RepositoryRef
    mined_months: dict[date, str]  # month -> commit already mined
    known_blobs: dict[str, str]  # blob sha -> method, not to parse again


def mine_batch(
    jobs: list[RepositoryJob],
    until: date,
    clones_dir: str,
    parse_pool: ParsePool | None = None,
) -> list[MinedRepository]:
    """`mine_repository` for each job: many small repositories share one task's overhead.

    A lone job's exception propagates, for the task's retries; in a batch it comes back
    as `failed`, so one unreachable URL does not cost the others their results.
    """
    if len(jobs) == 1:
        job = jobs[0]
        return [
            mine_repository(
                job.ref, until, job.mined_months, job.known_blobs, clones_dir, parse_pool
            )
        ]
    results = []
    for job in jobs:
        try:
            results.append(
                mine_repository(
                    job.ref, until, job.mined_months, job.known_blobs, clones_dir, parse_pool
                )
            )
        except Exception as exc:  # noqa: BLE001 (returned for the flow to retry alone)
            results.append(MinedRepository.failed(job.ref.name, exc))
    return results


def mine_repository(
    ref: RepositoryRef,
    until: date,
    mined_months: dict[date, str],
    known_blobs: dict[str, str],
    clones_dir: str,
    parse_pool: ParsePool | None = None,
) -> MinedRepository:
    """Plan and parse `ref`'s months that ended by `until` and differ from `mined_months`.

    `known_blobs` (sha -> method) are not parsed again. `parse_pool` spreads parsing over
    local processes; without one, this process parses (a Dask worker is already one of
    many processes). Clone failures raise OSError, for the task's retries; an unreadable
    repository comes back rejected with the reason.
    """
    try:
        path = _local_clone(ref, clones_dir)
        plan = plan_repository(ref.name, str(path), until, mined_months)
        blobs = plan.blobs()
        missing = [file for sha, file in blobs.items() if sha not in known_blobs]
        parsed = parse_in_pool(plan.path, missing, parse_pool)
        methods = dict(known_blobs)
        methods.update(store.blob_methods(parsed))
        snapshots = month_snapshots(plan, methods)
    except SourceError as exc:
        return MinedRepository.rejected(ref.name, str(exc))
    months, month_blobs = store.month_tables(snapshots)
    return MinedRepository(
        repo=ref.name,
        months=months,
        month_blobs=month_blobs,
        blobs=parsed,
        blobs_known=len(blobs) - len(missing),
    )


def _local_clone(ref: RepositoryRef, clones_dir: str) -> Path:
    if ref.location.startswith(_URL_PREFIXES):
        return clone_or_update(ref, Path(os.environ.get(CLONES_DIR_VARIABLE) or clones_dir))
    path = Path(ref.location)
    if not path.exists():
        raise SourceError(
            f"{ref.location} does not exist on {socket.gethostname()}: workers on other "
            "machines read a local path only through a shared filesystem; give a git URL "
            "and each worker clones it"
        )
    return path


def parse_in_pool(path: str, files: list[TreeFile], pool: ParsePool | None) -> pa.Table:
    if not files:
        return store.blob_table([])
    if pool is None:
        return parse_blobs(path, files)
    chunks = parse_chunks(files, pool.workers)
    futures = [pool.executor.submit(parse_blobs, path, chunk) for chunk in chunks]
    return pa.concat_tables([future.result() for future in futures])
