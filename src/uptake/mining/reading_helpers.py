"""Processes that read a share of one history's blobs while the caller reads the rest.

`uptake.Repository.month_ends` deals a history's blobs out between its own process and
these helpers, each talking over a pipe of its own. Why not the worker pool that
`uptake mine` uses: a `ProcessPoolExecutor` hands a task over, and its result back,
through threads of the calling process, each of which waits for the GIL that reading
holds, about a millisecond a task: what a small history takes altogether. A pipe is
written and read by the calling thread itself.

A helper starts in the background at the first call that could use it (a fresh
interpreter, so no thread pool of Polars or DuckDB is copied mid-flight) and is used
once it says it is ready, by one caller at a time; `start(..., wait=True)` has them
ready before a first call. One that dies is replaced at a later call, and its share is read
by the caller: nothing is lost.
"""

from __future__ import annotations

import atexit
import importlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

_READY = "ready"
_LIVENESS_SECONDS = 0.5  # how often a caller waiting for a share checks its helper lives


class HelperGone(Exception):
    """The helper process died (killed, out of memory) or closed its pipe."""


class Helper:
    """One helper process and the pipe (a socket pair) to it."""

    def __init__(self, warm_up: Callable[[], None]) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            # `python -m`, not multiprocessing's spawn: that would run the caller's own
            # script again in the helper (an unguarded `__main__` would start another).
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno()), _name_of(warm_up)],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
                start_new_session=True,  # a Ctrl-C at the terminal is the caller's to handle
            )
        self._conn = Connection(ours.detach())
        self._ready = False
        self.lock = threading.Lock()  # held by the caller it works for

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def is_ready(self) -> bool:
        if not self._ready and self.is_alive() and self._conn.poll(0):
            self._ready = self._conn.recv() == _READY
        return self._ready

    def wait_until_ready(self, timeout: float) -> bool:
        if not self._ready and self._conn.poll(timeout):
            self._ready = self._conn.recv() == _READY
        return self._ready

    def send(self, function: Callable[..., Any], *args: Any) -> None:
        try:
            self._conn.send((function, args))
        except (OSError, ValueError) as exc:  # BrokenPipeError: it died
            raise self._gone(str(exc)) from None

    def receive(self) -> Any:
        """What the function sent returned; its exception is raised here."""
        try:
            while not self._conn.poll(_LIVENESS_SECONDS):
                if not self.is_alive():
                    raise self._gone(f"exit code {self.process.returncode}")
            failed, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._gone(str(exc)) from None
        if failed:
            raise value
        return value

    def _gone(self, reason: str) -> HelperGone:
        """Stopped for good, whatever its pipe holds: `start` replaces it."""
        self.stop()
        return HelperGone(reason)

    def stop(self) -> None:
        self._conn.close()  # it reads the end of its input, and exits
        try:
            self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_HELPERS: list[Helper] = []
_HELPERS_LOCK = threading.Lock()


@atexit.register
def _stop_all() -> None:
    """At exit: a helper reads nothing worth finishing, so none is waited for."""
    for helper in _HELPERS:
        helper.process.kill()
        helper.process.wait()


def start(
    count: int, warm_up: Callable[[], None], *, wait: bool = False, timeout: float = 60.0
) -> None:
    """Have `count` helpers running (started now where missing or dead, each running
    `warm_up` before it says it is ready); with `wait`, return once they are ready."""
    with _HELPERS_LOCK:
        for helper in [h for h in _HELPERS if not h.is_alive()]:
            _HELPERS.remove(helper)
            helper.stop()
        while len(_HELPERS) < count:
            _HELPERS.append(Helper(warm_up))
        helpers = _HELPERS[:count]
    if wait:
        for helper in helpers:
            helper.wait_until_ready(timeout)


def acquire(count: int, warm_up: Callable[[], None]) -> list[Helper]:
    """Up to `count` helpers ready and free, each locked for the caller (give them back
    with `release`); helpers missing are started for a later call."""
    start(count, warm_up)
    taken = []
    for helper in list(_HELPERS):
        if len(taken) == count:
            break
        if helper.lock.acquire(blocking=False):
            if helper.is_ready():
                taken.append(helper)
            else:
                helper.lock.release()
    return taken


def release(helpers: list[Helper]) -> None:
    for helper in helpers:
        helper.lock.release()


def _name_of(function: Callable[[], None]) -> str:
    return f"{function.__module__}:{function.__qualname__}"


def _named(name: str) -> Callable[[], None]:
    module, _, qualname = name.partition(":")
    return getattr(importlib.import_module(module), qualname)


def _serve(conn: Connection, warm_up: Callable[[], None]) -> None:
    """The helper's loop: run each function sent, send back (failed, result or error),
    until the caller closes the pipe or is gone."""
    try:
        warm_up()
        conn.send(_READY)
        while True:
            function, args = conn.recv()
            try:
                reply = (False, function(*args))
            except Exception as exc:  # noqa: BLE001 (raised again in the caller)
                reply = (True, exc)
            conn.send(reply)
    except (EOFError, OSError):  # the caller closed the pipe, or exited
        return


if __name__ == "__main__":  # a helper: python -m uptake.mining.reading_helpers FD WARM_UP
    _serve(Connection(int(sys.argv[1])), _named(sys.argv[2]))
