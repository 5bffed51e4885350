"""What a download count must be before it reaches a raw table, the same for every source.

top-PyPI snapshots, BigQuery's answers and pypistats.org's answers all pass these rules
at load; what breaks one is rejected with its reason in meta.rejects and never stored:

- **A count is an integer, zero or more.** A string ("123"), a fraction or a negative is
  refused, never coerced: a coerced value hides a producer that changed its format.
- **A project appears once per period.** One snapshot (or one day, or one month and
  installer) listing a project twice is refused whole: no rule can tell which copy is
  true, and taking the larger moved PyTorch's share from 0.51 to 0.82 in a trial.
- **No date after tomorrow (UTC).** A snapshot dated 2099 would become the "latest month"
  and decide every verdict; a day of grace allows for time zones.

The unit refused is the smallest that stays true without the bad row: a whole top-PyPI
snapshot (a missing project would read as "below the cut-off"), one project's month of
BigQuery rows, one project's pypistats answer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from uptake.warehouse import utcnow

FUTURE_GRACE = timedelta(days=1)


def latest_allowed_day(now: datetime | None = None) -> date:
    """The last day a download figure may be dated: tomorrow, UTC."""
    return ((now or utcnow()) + FUTURE_GRACE).date()


def count_problem(value: object) -> str | None:
    """Why `value` is not a download count, or None when it is one."""
    if type(value) is not int:  # bool is an int subclass, and not a count
        return f"download count {value!r:.40} is not an integer"
    if value < 0:
        return f"download count {value} is negative"
    return None


def future_problem(day: date, now: datetime | None = None) -> str | None:
    """Why `day` cannot be a download figure's date, or None."""
    latest = latest_allowed_day(now)
    if day > latest:
        return f"dated {day.isoformat()}, after {latest.isoformat()} (tomorrow, UTC)"
    return None
