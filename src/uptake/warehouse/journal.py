"""The load journal: every load is one transaction, recorded in meta.loads either way."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from uptake.secrets import redact


@dataclass
class Load:
    """What one load did; the source fills it in while the transaction is open."""

    source: str
    parameters: dict
    load_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    rows_loaded: int = 0
    items_skipped: int = 0
    rejects: list[tuple[str, str]] = field(default_factory=list)
    # Set when the Load is made, so work done before the transaction opens (downloads,
    # parsing) counts in the journal's timings.
    started_at: datetime = field(default_factory=lambda: utcnow())
    clock: float = field(default_factory=time.perf_counter)

    def reject(self, item: str, reason: str) -> None:
        self.rejects.append((redact(str(item)), redact(str(reason))))

    def summary(self) -> dict:
        """The shape every loader returns, and flows, artifacts and the CLI read."""
        return {
            "source": self.source,
            "load_id": self.load_id,
            "rows": self.rows_loaded,
            "skipped": self.items_skipped,
            "rejected": len(self.rejects),
            "rejects": list(self.rejects),
        }


@contextmanager
def recorded_load(
    con: duckdb.DuckDBPyConnection, source: str, parameters: dict, load: Load | None = None
) -> Iterator[Load]:
    """Run the body in one transaction and journal it.

    On success the data, the meta.loads row and the rejects commit together. On failure
    the data rolls back, and the failure with its rejects is journaled on its own. Pass
    `load` to continue one begun before the transaction (its rejects and skips kept).
    """
    load = load or Load(source=source, parameters=parameters)
    started_at, clock = load.started_at, load.clock
    con.execute("begin transaction")
    try:
        yield load
        _journal(con, load, "succeeded", None, started_at, time.perf_counter() - clock)
        con.execute("commit")
    except BaseException as exc:
        con.execute("rollback")
        error = redact(f"{type(exc).__name__}: {exc}")
        load.rows_loaded = 0
        with contextlib.suppress(duckdb.Error):  # the journal must never hide the original error
            _journal(con, load, "failed", error, started_at, time.perf_counter() - clock)
        exc.uptake_journaled = True  # so callers up the stack do not journal it twice
        raise


def record_failed_load(
    con: duckdb.DuckDBPyConnection, source: str, parameters: dict, exc: BaseException
) -> None:
    """Journal a load that failed before its transaction opened (credentials, a refused budget)."""
    if getattr(exc, "uptake_journaled", False):
        return
    load = Load(source=source, parameters=parameters)
    error = redact(f"{type(exc).__name__}: {exc}")
    _journal(con, load, "failed", error, load.started_at, time.perf_counter() - load.clock)
    exc.uptake_journaled = True


def record_reject(con: duckdb.DuckDBPyConnection, source: str, item: str, reason: str) -> None:
    """A reject that belongs to no load (for example a file that could not even be listed)."""
    con.execute(
        "insert into meta.rejects (load_id, source, item, reason, rejected_at) values (null, ?, ?, ?, ?)",
        [source, redact(item), redact(reason), utcnow()],
    )


def _journal(
    con, load: Load, status: str, error: str | None, started_at: datetime, duration: float
):
    con.execute(
        "insert into meta.loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load.load_id,
            load.source,
            redact(json.dumps(load.parameters, sort_keys=True, default=str)),
            load.rows_loaded,
            load.items_skipped,
            len(load.rejects),
            status,
            error,
            started_at,
            utcnow(),
            duration,
        ],
    )
    if load.rejects:
        now = utcnow()
        con.executemany(
            "insert into meta.rejects (load_id, source, item, reason, rejected_at) values (?, ?, ?, ?, ?)",
            [(load.load_id, load.source, item, reason, now) for item, reason in load.rejects],
        )


def utcnow() -> datetime:
    """Now, as the warehouse stores times: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
