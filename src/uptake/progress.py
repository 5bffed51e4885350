"""Progress of long work, told to whoever shows it: a terminal bar, a test, or no one.

The library and the flows say how far they are with `advance`; the command line shows
it with `terminal_bar`. Mining calls `advance` from the thread that writes results, so
a listener is process-wide (a context variable would not cross Prefect's threads).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[str, int, int], None]  # (what, done, total)

_lock = threading.Lock()
_listeners: list[Listener] = []


def advance(what: str, done: int, total: int) -> None:
    """`done` of `total` items of `what` (e.g. "repositories") are finished."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(what, done, total)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(listener)


@contextmanager
def terminal_bar(enabled: bool = True) -> Iterator[None]:
    """A rich progress bar with counts on standard error, while standard error is a
    terminal and `enabled`; otherwise nothing, so logs and pipes stay clean."""
    if not (enabled and sys.stderr.isatty()):
        yield
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    tasks: dict[str, int] = {}

    def show(what: str, done: int, total: int) -> None:
        if what not in tasks:
            tasks[what] = bar.add_task(what, total=total)
        bar.update(tasks[what], completed=done, total=total)

    with bar, listening(show):
        yield
