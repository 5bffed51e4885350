"""One writer at a time, for a whole run: a lock file beside the warehouse.

DuckDB locks the file only while a connection is open, and a refresh opens and closes
it once per task. Between two tasks another writer could slip in, and the refresh's
next task would then fail on the lock. So every writer also holds `<file>.lock` (an
flock, released by the kernel when the process dies, even by SIGKILL) for as long as
it writes: a whole refresh or mining run when the CLI asks for it, else the life of one
read-write Warehouse. The lock is re-entrant within a process, so the tasks of a run
that holds it open the warehouse freely. Read-only opens never take it.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from uptake.errors import WarehouseLockedError
from uptake.warehouse.connection import describe_holder, resolve_path

# While this process holds the run, its own read-write opens wait this long for readers
# (`uptake status`, `uptake sql`, an analyst's duckdb -readonly), whose queries are short.
READER_GRACE_SECONDS = 60.0

_guard = threading.Lock()
_held: dict[Path, list[int]] = {}  # warehouse path -> [lock file descriptor, depth]


def lock_file(path: str | Path | None) -> Path:
    path = resolve_path(path)
    return path.with_name(path.name + ".lock")


def held_here(path: str | Path | None) -> bool:
    with _guard:
        return _key(path) in _held


@contextmanager
def exclusive_run(
    path: str | Path | None,
    *,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the warehouse against other writers until the block ends.

    When another process holds it, waits up to `wait_seconds` (telling `on_wait` once,
    with the holder's pid and program), then raises WarehouseLockedError naming it.
    """
    key = _key(path)
    with _guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if not reentered:
        descriptor = _acquire(key, wait_seconds, on_wait)
        with _guard:
            _held[key] = [descriptor, 1]
    try:
        yield
    finally:
        with _guard:
            entry = _held[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                os.close(entry[0])  # closing the descriptor releases the flock


def _key(path: str | Path | None) -> Path:
    return resolve_path(path).absolute()


def _acquire(path: Path, wait_seconds: float, on_wait) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    name = lock_file(path)
    descriptor = os.open(name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    deadline = time.monotonic() + wait_seconds
    told = False
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder_pid(descriptor)
                if time.monotonic() >= deadline:
                    raise WarehouseLockedError(describe_holder(path, holder)) from None
                if on_wait and not told:
                    on_wait(
                        f"waiting up to {wait_seconds:g} s: {describe_holder(path, holder, waiting=True)}"
                    )
                    told = True
                time.sleep(0.2)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode(), 0)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _holder_pid(descriptor: int) -> int | None:
    """The pid the holder wrote; it writes right after locking, so look twice."""
    for _ in range(2):
        text = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
        if text.isdigit():
            return int(text)
        time.sleep(0.05)
    return None
