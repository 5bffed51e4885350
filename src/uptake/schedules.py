"""How often each source is expected to load: the schedules prefect.yaml gives its deployments.

`uptake status` compares each source's last successful load with this table, so it works
where prefect.yaml is not at hand (an installed uptake, a read-only monitor host);
tests/test_deployments.py fails when the table and prefect.yaml disagree.
"""

from __future__ import annotations

from datetime import timedelta

# The longest gap between two runs of each cadence: a monthly run on the 1st may be 31
# days after the last one.
CADENCE_INTERVALS = {
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=31),
}

# Journal source (meta.loads.source) -> cadence of the deployment that loads it.
# Sources absent here (mining_api, mining_bigquery, github_repos) have no schedule.
SOURCE_CADENCES = {
    "pypistats": "daily",
    "top_pypi": "weekly",
    "bigquery_pypi": "weekly",
    "mining_local": "weekly",
    "conference_papers": "monthly",
    "paper_lists": "monthly",
    "github_ranking": "monthly",
    "papers_with_code": "monthly",
    "huggingface_hub": "monthly",
}

# A source is stale once its last success is older than this many intervals: a run that
# was late, slow or retried is not an alert, a missed run is.
GRACE_FACTOR = 1.5


def stale_after(source: str) -> timedelta | None:
    """How old a source's last successful load may be before it is stale; None if unscheduled."""
    cadence = SOURCE_CADENCES.get(source)
    return CADENCE_INTERVALS[cadence] * GRACE_FACTOR if cadence else None
