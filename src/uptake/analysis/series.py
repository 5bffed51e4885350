"""Share series read from the warehouse, and the monthly grid the lead/lag tests use.

A series is one technology's share of its rivalry in one segment, at the months that
have data (marts.rivalry_shares); months without data are absent, never zero. Months
are integers (year * 12 + month - 1) so that differences are lags in months.

The grid: lead/lag alignment needs two series on one monthly grid. A segment observed
only in some months (research_mentions: the months conferences are held) is carried
forward from each month with data to the next, inside its observed span only (never
before its first month or after its last). Carrying forward, not interpolating, keeps
every value on the grid known at that month, so a "past" value never contains a later
observation. The grid serves alignment only: crossovers are read from the months with
data, never from carried values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np

SEGMENT_ORDER = (
    "research_mentions",
    "research_code",
    "model_hub",
    "oss_imports",
    "industry_downloads",
)
WILSON_Z = 1.959964  # the 95% two-sided normal quantile, as in marts.rivalry_shares
# Keeps logits finite: shares of volumes are clipped to [LOGIT_CLIP, 1 - LOGIT_CLIP].
LOGIT_CLIP = 1e-4


@dataclass(frozen=True)
class ShareSeries:
    """One technology's share of a rivalry in one segment, at the months with data."""

    rivalry: str
    segment: str
    technology: str
    months: np.ndarray  # int month numbers, increasing
    share: np.ndarray
    share_low: np.ndarray
    share_high: np.ndarray
    n_total: np.ndarray  # the rivalry's total each month (the binomial n for counts)
    is_count: bool

    @property
    def n_months(self) -> int:
        return len(self.months)

    def log_odds(self) -> np.ndarray:
        """Empirical log-odds: (k + 1/2) / (n - k + 1/2) for counts, clipped shares otherwise."""
        if self.is_count:
            k = self.share * self.n_total
            return np.log((k + 0.5) / (self.n_total - k + 0.5))
        p = np.clip(self.share, LOGIT_CLIP, 1 - LOGIT_CLIP)
        return np.log(p / (1 - p))


@dataclass
class StudyShares:
    """Every share series of the warehouse, with what is known about missing data."""

    rivalries: dict[str, tuple[str, ...]]  # rivalry -> its technologies
    segments: list[str]  # segments with data anywhere, in hypothesis order
    series: dict[tuple[str, str, str], ShareSeries]  # (rivalry, segment, technology)
    technologies_with_data: dict[str, set[str]]  # segment -> technologies with any value
    missing_tables: list[str]

    def technologies(self, rivalry: str, segment: str) -> dict[str, ShareSeries]:
        return {
            t: self.series[(rivalry, segment, t)]
            for t in self.rivalries.get(rivalry, ())
            if (rivalry, segment, t) in self.series
        }

    def missing_reason(self, rivalry: str, segment: str) -> str:
        """Why a rivalry has no shares in a segment, in words."""
        if self.missing_tables:
            return (
                f"the warehouse has no shares yet: {' and '.join(self.missing_tables)} "
                f"{'is' if len(self.missing_tables) == 1 else 'are'} not built (run `uptake build`)"
            )
        if segment not in self.technologies_with_data:
            return f"{segment} has no data in the warehouse"
        lacking = [
            t for t in self.rivalries[rivalry] if t not in self.technologies_with_data[segment]
        ]
        if lacking:
            return (
                f"{segment} has no data for {', '.join(lacking)}, so {rivalry} has no shares there"
            )
        return f"{segment} has no month in which every technology of {rivalry} has data"


def month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_date(number: int | float | None) -> dt.date | None:
    if number is None or not np.isfinite(number):
        return None
    number = int(number)
    return dt.date(number // 12, number % 12 + 1, 1)


def month_text(number: int | float | None) -> str:
    day = month_date(number)
    return "none" if day is None else f"{day:%Y-%m}"


def order_segments(segments) -> list[str]:
    """Hypothesis order: research first, industry last; other segments between, by name."""
    known = [s for s in SEGMENT_ORDER[:-1] if s in segments]
    others = sorted(s for s in segments if s not in SEGMENT_ORDER)
    last = [s for s in SEGMENT_ORDER[-1:] if s in segments]
    return known + others + last


def read_shares(
    con: duckdb.DuckDBPyConnection, study_rivalries: dict[str, tuple[str, ...]] | None = None
) -> StudyShares:
    """Every share series in marts.rivalry_shares; rivalries from meta, else the study given."""
    rivalries = _rivalries(con) or dict(study_rivalries or {})
    missing = [t for t in ("marts.rivalry_shares", "marts.adoption_monthly") if not _exists(con, t)]
    if missing:
        return StudyShares(rivalries, [], {}, {}, missing)
    with_data: dict[str, set[str]] = {}
    for segment, technology in con.execute(
        "select distinct segment, technology from marts.adoption_monthly"
    ).fetchall():
        with_data.setdefault(segment, set()).add(technology)
    rows = con.execute(
        """
        select rivalry, segment, technology,
            list(month order by month), list(share order by month),
            list(share_low order by month), list(share_high order by month),
            list(n_total order by month), bool_and(interval_method = 'wilson_95')
        from marts.rivalry_shares
        group by rivalry, segment, technology
        """
    ).fetchall()
    series = {}
    for rivalry, segment, technology, months, share, low, high, n_total, is_count in rows:
        if rivalry not in rivalries:
            continue
        series[(rivalry, segment, technology)] = ShareSeries(
            rivalry,
            segment,
            technology,
            np.array([month_number(m) for m in months], dtype=np.int64),
            np.array(share, dtype=float),
            np.array(low, dtype=float),
            np.array(high, dtype=float),
            np.array(n_total, dtype=float),
            bool(is_count),
        )
    segments = order_segments(set(with_data) | {key[1] for key in series})
    return StudyShares(rivalries, segments, series, with_data, [])


def wilson_interval(share: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 95% Wilson score interval, held to contain the share, as the SQL computes it."""
    z2 = WILSON_Z**2
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = WILSON_Z * np.sqrt(share * (1 - share) / n + z2 / (4 * n**2)) / (1 + z2 / n)
    return np.maximum(0.0, np.minimum(share, centre - half)), np.minimum(
        1.0, np.maximum(share, centre + half)
    )


def on_grid(values: np.ndarray, months: np.ndarray, start: int, length: int) -> np.ndarray:
    """Values carried forward on the grid start..start+length-1; NaN outside the observed span."""
    grid = np.full(length, np.nan)
    if len(months) == 0:
        return grid
    positions = months - start
    inside = (positions >= 0) & (positions < length)
    grid[positions[inside]] = values[inside]
    filled = np.arange(length)
    filled = np.where(np.isnan(grid), -1, filled)
    filled = np.maximum.accumulate(filled)
    carried = np.where(filled >= 0, grid[np.maximum(filled, 0)], np.nan)
    first, last = months[0] - start, months[-1] - start
    span = (np.arange(length) >= first) & (np.arange(length) <= last)
    return np.where(span, carried, np.nan)


def _rivalries(con) -> dict[str, tuple[str, ...]]:
    if not _exists(con, "meta.study_rivalries"):
        return {}
    members: dict[str, list[str]] = {}
    for rivalry, technology in con.execute(
        "select rivalry, technology from meta.study_rivalries order by rivalry, technology"
    ).fetchall():
        members.setdefault(rivalry, []).append(technology)
    return {r: tuple(t) for r, t in members.items()}


def _exists(con, qualified: str) -> bool:
    schema, _, name = qualified.partition(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )
