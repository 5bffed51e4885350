"""What flows share: the run journal and the artifact that summarises a load."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable

from prefect.artifacts import create_markdown_artifact

from uptake.secrets import redact
from uptake.warehouse.runs import recorded_run

MAX_REJECTS_LISTED = 20


def load_summary_markdown(source: str, summary: dict) -> str:
    if "rows" in summary:
        lines = [
            f"# {source}: load summary",
            "",
            "| rows loaded | items skipped | items rejected |",
            "|---:|---:|---:|",
            f"| {summary.get('rows', 0):,} | {summary.get('skipped', 0):,} | {summary.get('rejected', 0):,} |",
        ]
    else:
        figures = {
            k: v
            for k, v in summary.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        lines = [f"# {source}: summary", "", "| what | count |", "|---|---:|"]
        lines += [f"| {_cell(k)} | {v:,} |" for k, v in sorted(figures.items())]
    rejects = summary.get("rejects") or []
    if rejects:
        lines += ["", "## Rejected", "", "| item | reason |", "|---|---|"]
        lines += [
            f"| {_cell(item)} | {_cell(reason)} |" for item, reason in rejects[:MAX_REJECTS_LISTED]
        ]
        if len(rejects) > MAX_REJECTS_LISTED:
            lines.append(f"\n…and {len(rejects) - MAX_REJECTS_LISTED} more in meta.rejects.")
    return redact("\n".join(lines))


def publish_load_summary(source: str, summary: dict) -> None:
    create_markdown_artifact(
        key=f"load-{source.replace('_', '-')}",
        markdown=load_summary_markdown(source, summary),
        description=f"What the {source} load did",
    )


def report_load(source: str, summary: dict) -> None:
    """A loader's summary in the run's log and as an artifact."""
    from prefect import get_run_logger

    get_run_logger().info(
        "%s: %s rows loaded, %s skipped, %s rejected",
        source,
        summary.get("rows"),
        summary.get("skipped"),
        summary.get("rejected"),
    )
    publish_load_summary(source, summary)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")[:200]


def retry_if_transient(task, task_run, state) -> bool:
    """Retry network failures and rate limits; not bad credentials, budgets or bad input.

    Used as a task's `retry_condition_fn`: retrying a refused budget or a missing
    credential only delays the error the user must act on.
    """
    from uptake.errors import RateLimitedError, UptakeError

    try:
        state.result()
    except RateLimitedError:
        return True
    except UptakeError:
        return False
    except (OSError, TimeoutError, ConnectionError):
        return True
    except Exception:  # anything else unknown: one more try is cheap, the retries are bounded
        return True
    return False


def journal_failure(db: str | None, source: str, flow_source: str, exc: BaseException) -> None:
    """Record in meta.loads a failure that happened before a load's transaction (bad
    credentials, an empty folder), so `uptake status` shows it; never raises."""
    import contextlib

    from uptake.warehouse import Warehouse

    with contextlib.suppress(Exception), Warehouse.open(db, wait_seconds=30) as warehouse:
        warehouse.record_failure(source, {"flow_source": flow_source}, exc)


def journaled_run(flow_name: str) -> Callable:
    """Record each call of the flow function in meta.runs (see uptake.warehouse.runs).

    Goes under `@flow`: Prefect reads the parameters through functools.wraps.
    """

    def decorate(function: Callable) -> Callable:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def run(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            parameters = dict(bound.arguments)
            with recorded_run(parameters.get("db"), flow_name, parameters):
                return function(*args, **kwargs)

        # Prefect builds the flow's parameter model from the annotations; resolved here,
        # they need no names from this module's globals (`date` lives in the flow's).
        run.__annotations__ = typing.get_type_hints(function)
        run.__signature__ = inspect.signature(function, eval_str=True)
        return run

    return decorate
