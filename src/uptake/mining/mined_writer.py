"""The one writer of mining results: what a repository's task needs, and its rows, written.

Tasks mining repositories never open the warehouse (DuckDB allows one writing process);
the flow's process reads what each task needs before submitting it and writes each
repository's result in its own journaled transaction as it arrives, so a killed run
keeps every repository already written and a re-run resumes after them.
"""

from __future__ import annotations

from datetime import date

from uptake.mining import store
from uptake.mining.history_miner import SOURCE
from uptake.mining.outcomes import record_outcome
from uptake.mining.repositories import RepositoryRef
from uptake.mining.repository_miner import MinedRepository, RepositoryJob
from uptake.warehouse import Load, Warehouse


def repository_job(warehouse: Warehouse, ref: RepositoryRef) -> RepositoryJob:
    """`ref` with the read-only snapshot of the warehouse a task mining it works from."""
    return RepositoryJob(
        ref=ref,
        mined_months=store.mined_months(warehouse.con, ref.name),
        known_blobs=store.latest_month_blobs(warehouse.con, ref.name),
    )


def write_mined(warehouse: Warehouse, mined: MinedRepository, until: date) -> Load:
    """New blobs and months of one repository, or its reject, in one transaction."""
    load = Load(source=SOURCE, parameters={"repo": mined.repo, "until": until.isoformat()})
    if mined.reason or mined.failure:
        load.reject(mined.repo, mined.reason or mined.failure)
    with warehouse.load(SOURCE, load.parameters, load):
        store.write_blobs(warehouse.con, mined.blobs)
        load.rows_loaded = store.write_months(
            warehouse.con, mined.months, mined.month_blobs, "local", load.load_id
        )
        record_outcome(
            warehouse.con, mined.repo, mined.reason or mined.failure, load_id=load.load_id
        )
    return load


def record_not_fetched(warehouse: Warehouse, reasons: dict[str, str]) -> Load:
    """Repositories no clone could be had of, each with why, in one transaction."""
    load = Load(source=SOURCE, parameters={"not_fetched": len(reasons)})
    for repo, reason in reasons.items():
        load.reject(repo, reason)
    with warehouse.load(SOURCE, load.parameters, load):
        for repo, reason in reasons.items():
            record_outcome(warehouse.con, repo, reason, load_id=load.load_id, outcome="not_fetched")
    return load
