"""Every flow run journaled as it starts, so a run that dies leaves a trace.

Loads are journaled when they end, in their own transaction, so a process killed by
SIGKILL, the out-of-memory killer or a reboot left nothing behind: correct for the data,
silent for whoever runs it. A run's row is committed before any work ('running', with
its host, pid and the pid's start time) and set to 'finished' or 'failed' when the run
ends. A 'running' row whose process no longer exists on this host is a run that died:
`uptake status` reports it and the next run marks it 'died' for good.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from uptake.errors import UptakeError
from uptake.secrets import redact
from uptake.warehouse.journal import utcnow

DIED = "the run ended without finishing (killed, out of memory or a reboot); its unfinished load rolled back"


@contextmanager
def recorded_run(db: str | Path | None, flow: str, parameters: dict) -> Iterator[str]:
    """Journal the block as one run of `flow` in meta.runs; yields the run id."""
    from uptake.warehouse import Warehouse

    run_id = uuid.uuid4().hex
    with Warehouse.open(db) as warehouse:
        mark_dead_runs(warehouse.con)
        warehouse.con.execute(
            "insert into meta.runs (run_id, flow, parameters, host, pid, pid_started, status,"
            " started_at) values (?, ?, ?, ?, ?, ?, 'running', ?)",
            [
                run_id,
                flow,
                redact(json.dumps(parameters, sort_keys=True, default=str)),
                socket.gethostname(),
                os.getpid(),
                process_started(os.getpid()),
                utcnow(),
            ],
        )
    try:
        yield run_id
    except BaseException as exc:
        _finish(db, run_id, "failed", redact(f"{type(exc).__name__}: {exc}")[:2000])
        raise
    _finish(db, run_id, "finished", None)


def _finish(db, run_id: str, status: str, error: str | None) -> None:
    from uptake.warehouse import Warehouse

    # The journal must never hide the run's own error or fail a run that did its work:
    # a row it could not close reads as died, which overstates, never hides, a problem.
    with contextlib.suppress(UptakeError, duckdb.Error), Warehouse.open(db) as warehouse:
        warehouse.con.execute(
            "update meta.runs set status = ?, error = ?, finished_at = ? where run_id = ?",
            [status, error, utcnow(), run_id],
        )


def dead_runs(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(run_id, flow, pid, started_at) of 'running' rows whose process is gone from this host."""
    rows = con.execute(
        "select run_id, flow, pid, pid_started, started_at from meta.runs"
        " where status = 'running' and host = ? order by started_at",
        [socket.gethostname()],
    ).fetchall()
    return [
        (run_id, flow, pid, started_at)
        for run_id, flow, pid, pid_started, started_at in rows
        if not _alive(pid, pid_started)
    ]


def mark_dead_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Mark this host's runs whose process is gone as 'died'; the number marked."""
    dead = dead_runs(con)
    for run_id, *_ in dead:
        con.execute(
            "update meta.runs set status = 'died', error = ? where run_id = ?", [DIED, run_id]
        )
    return len(dead)


def process_started(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    return started is None or process_started(pid) in (None, started)
