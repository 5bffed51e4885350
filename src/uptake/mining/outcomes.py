"""What became of each repository uptake tried to mine: raw.repo_mining_outcomes.

Every repository a mining run is given ends with one outcome, so a corpus's coverage
(how many were mined, how many could not be, and why) is counted, never guessed:

- mined: month-end snapshots with Python files (.py or .ipynb) in at least one month
- no_python: mined, but no month's tree holds a Python file
- empty: a repository without commits
- gone: deleted, renamed or never there (git: not found, HTTP 404)
- private: needs credentials (git: authentication failed, HTTP 401/403)
- not_fetched: no clone could be had (no local clone, or the fetcher had no snapshot)
- unreadable: not a git repository uptake can read
- failed: anything else, with git's or Python's message
"""

from __future__ import annotations

import re

import duckdb

from uptake.secrets import redact
from uptake.warehouse.journal import utcnow

# What git and the miners say, read as an outcome; the first pattern that matches wins.
_FAILURES = (
    (
        "private",
        re.compile(
            r"authentication|could not read username|terminal prompts|40[13]\b|access denied", re.I
        ),
    ),
    (
        "gone",
        re.compile(
            r"not found|404|does not appear to be a git repository|repository .* disabled", re.I
        ),
    ),
    ("not_fetched", re.compile(r"does not exist|no clone|no snapshot|not fetched", re.I)),
    (
        "unreadable",
        re.compile(r"is not a git repository|cannot run git|failed in|stopped early", re.I),
    ),
)


def failure_outcome(reason: str) -> str:
    """The outcome a rejection's reason stands for."""
    for outcome, pattern in _FAILURES:
        if pattern.search(reason):
            return outcome
    return "failed"


def record_outcome(
    con: duckdb.DuckDBPyConnection,
    repo: str,
    reason: str | None,
    *,
    source: str = "local",
    load_id: str | None = None,
    outcome: str | None = None,
) -> str:
    """Upsert `repo`'s outcome (inside the caller's transaction) and return it. Without a
    reason, the outcome is read from the snapshots the warehouse holds for it."""
    months, python_months, head = con.execute(
        """
        select count(*), count(*) filter (where python_files + notebook_files > 0),
            arg_max(commit_sha, month)
        from raw.repo_snapshots where repo = ?
        """,
        [repo],
    ).fetchall()[0]
    if outcome is None:
        if reason is not None:
            outcome = failure_outcome(reason)
            if months and outcome not in ("gone", "private"):
                # A failure here (a clone moved, a network fault) does not undo what an
                # earlier run mined; only the repository's own fate upstream does.
                outcome, reason = "mined", f"kept from an earlier run; this run: {reason}"

        elif months == 0:
            outcome, reason = "empty", "no commits to mine"
        elif python_months == 0:
            outcome = "no_python"
            reason = f"no .py or .ipynb file in any of {months} month-end trees"
        else:
            outcome = "mined"
    reason = redact(reason) if reason is not None else None  # git echoes URLs, tokens too
    con.execute(
        """
        insert or replace into raw.repo_mining_outcomes
        values (?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [repo, outcome, reason, head, months, source, load_id, utcnow()],
    )
    return outcome
