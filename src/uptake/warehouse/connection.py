"""Opening the DuckDB warehouse file so that both uptake and analysts' tools can use it."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import duckdb

from uptake.errors import WarehouseError, WarehouseLockedError

DEFAULT_PATH = Path("data") / "uptake.duckdb"
CATALOG = "warehouse"
# The newest duckdb CLI on PyPI (1.5.x) cannot read files written in the 2.0 format, so
# the file is attached at the 1.5 storage version; later writes from 2.0 keep it there.
STORAGE_VERSION = "v1.5.0"
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def resolve_path(path: str | Path | None = None) -> Path:
    """--db wins, then UPTAKE_DB, then data/uptake.duckdb."""
    if path:
        return Path(path)
    if os.environ.get("UPTAKE_DB"):
        return Path(os.environ["UPTAKE_DB"])
    return DEFAULT_PATH


def connect(
    path: str | Path | None = None, *, read_only: bool = False, wait_seconds: float = 0.0
) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the warehouse file.

    When another process holds the file, waits up to `wait_seconds` for it, then raises
    WarehouseLockedError naming that process.
    """
    path = resolve_path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {path}: run `uptake demo` or `uptake refresh` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return _attach(path, read_only)
        except duckdb.IOException as exc:
            holder = _LOCK_HOLDER.search(str(exc))
            if holder is None:
                raise WarehouseError(f"cannot open the warehouse {path}: {exc}") from None
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(_locked_message(path, int(holder["pid"]))) from None
            time.sleep(0.2)


def _attach(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    quoted = str(path).replace("'", "''")
    options = "READ_ONLY" if read_only else f"STORAGE_VERSION '{STORAGE_VERSION}'"
    try:
        con.execute(f"ATTACH '{quoted}' AS {CATALOG} ({options})")
    except BaseException:
        con.close()
        raise
    con.execute(f"USE {CATALOG}")
    return con


def _locked_message(path: Path, pid: int) -> str:
    return describe_holder(path, pid)


def describe_holder(path: Path, pid: int | None, *, waiting: bool = False) -> str:
    """Who holds the warehouse, and (unless the caller is already waiting) what to do."""
    holder = f"process {pid} ({_describe_process(pid)})" if pid else "another process"
    message = f"the warehouse {path} is locked by {holder}"
    if waiting:
        return message
    return f"{message}; wait for it to finish, pass --wait SECONDS, or use another --db"


def _describe_process(pid: int) -> str:
    """`python uptake refresh`-like words: the program, its script and plain sub-commands.

    Only bare words are shown, never option values, which may hold paths or secrets.
    """
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "unknown program"
    words = [a.decode(errors="replace") for a in argv if a]
    if not words:
        return "unknown program"
    shown = [Path(words[0]).name]
    for word in words[1:3]:
        if word in ("-m", "-c") or _PLAIN_WORD.match(Path(word).name):
            shown.append(word if word.startswith("-") else Path(word).name)
        else:
            break
    return " ".join(shown)


_PLAIN_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,40}$")
