"""Exit statuses shared by every command, so cron or a Prefect automation can tell a
clean run from a partial one without reading its output.

    0  done: everything asked for was loaded, mined or written (or was already there)
    1  failed: an error stopped the command, a source failed, or every item was rejected
    2  usage: the command line was wrong (click's own status)
    3  partial: the run finished, and some items were rejected with their reasons
       (listed above the status line and kept in meta.rejects)
"""

from __future__ import annotations

import click

DONE, FAILED, USAGE, PARTIAL = 0, 1, 2, 3


def exit_status(done: int, rejected: int) -> int:
    """DONE without rejects; PARTIAL when something was done beside them; else FAILED."""
    if not rejected:
        return DONE
    return PARTIAL if done else FAILED


def finish(done: int, rejected: int, what: str) -> None:
    """End the command with the status `done` and `rejected` give; one line says why."""
    status = exit_status(done, rejected)
    if status == FAILED:
        raise click.ClickException(
            f"nothing {what}: all {rejected:,} rejected; see the reasons above and `uptake status`"
        )
    if status == PARTIAL:
        click.secho(
            f"partial: {rejected:,} rejected (reasons above and in meta.rejects); exit status 3",
            err=True,
            fg="yellow",
        )
        raise click.exceptions.Exit(PARTIAL)
