"""Running BigQuery jobs within a budget: every job is priced by a free dry run first,
refused above the cap with the estimate in the message, and run with the cap set.

Credentials come from Application Default Credentials; every error leaving this module
is one redacted line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from google.api_core import exceptions as google_errors
from google.auth import exceptions as auth_errors
from google.cloud import bigquery

from uptake.errors import BudgetExceededError, SourceError
from uptake.secrets import redact

DEFAULT_CAP = 10**12  # 1 TB, BigQuery's monthly free tier: one job never bills past it


def make_client(project: str | None = None) -> bigquery.Client:
    with google_errors_as_source_error(
        "could not create a BigQuery client (check Application Default Credentials)"
    ):
        return bigquery.Client(project=project)


def estimate_bytes(client, sql: str, params: list) -> int:
    """Bytes the query would scan, from a free dry run (an upper bound on clustered tables)."""
    config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False, query_parameters=params)
    with google_errors_as_source_error("the BigQuery dry run failed"):
        job = client.query(sql, job_config=config)
    return int(job.total_bytes_processed or 0)


def run_within_budget(
    client, sql: str, params: list, maximum_bytes_billed: int, what: str, hint: str
):
    """The job's rows, or BudgetExceededError naming the estimate when it would cost too much."""
    estimate = estimate_bytes(client, sql, params)
    if estimate > maximum_bytes_billed:
        raise BudgetExceededError(
            f"BigQuery would scan {gb(estimate)} for {what}, above the cap of "
            f"{gb(maximum_bytes_billed)}; raise maximum_bytes_billed to at least {estimate} bytes "
            f"or {hint}"
        )
    config = bigquery.QueryJobConfig(
        query_parameters=params, maximum_bytes_billed=maximum_bytes_billed
    )
    with google_errors_as_source_error(f"the BigQuery query for {what} failed"):
        return client.query(sql, job_config=config).result()


@contextmanager
def google_errors_as_source_error(doing: str) -> Iterator[None]:
    """Google failures become one redacted line; the chained traceback could leak secrets."""
    try:
        yield
    except (google_errors.GoogleAPIError, auth_errors.GoogleAuthError) as exc:
        # Redact before folding lines: a private key spans lines and must match verbatim.
        detail = " ".join(redact(str(exc)).split())
        raise SourceError(f"{doing}: {type(exc).__name__}: {detail}") from None


def gb(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:,.1f} GB"
