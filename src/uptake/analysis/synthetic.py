"""A generated study with known crossovers and lags, for tests and benchmarks.

Each rivalry has one underlying curve of log-odds c(t): month-to-month changes of
`slope` plus a shock drawn uniformly from +-`shock` (zero within three months of the
crossing, so the crossing month is exact), anchored so that c crosses zero between
month `crossing - 1` and `crossing`. A segment shifted by s months follows c(t - s):
it crosses at `crossing + s`, and its changes repeat the research segment's s months
later. Count segments get round(n_total * share) items a month; volume segments get a
volume times the share, with multiplicative noise exp(e), e ~ N(0, noise), on the odds
(kept below the margin at the crossing). marts.adoption_monthly and
marts.rivalry_shares are written as the SQL models would (Wilson intervals for counts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from uptake.analysis.series import month_date, month_number, wilson_interval


@dataclass(frozen=True)
class SegmentSpec:
    name: str
    shift: int  # months behind the curve
    first: int  # first month observed (0 = the study's start)
    last: int  # last month observed
    is_count: bool = False
    n_total: int = 20_000  # items a month, for counts
    months_of_year: tuple[int, ...] | None = None  # observed calendar months (None: all)


RESEARCH_AND_INDUSTRY = (
    SegmentSpec("research_mentions", 0, 0, 95, is_count=True),
    SegmentSpec("industry_downloads", 30, 12, 119),
)
SIX_SEGMENTS = (
    SegmentSpec("research_mentions", 0, 0, 119, is_count=True),
    SegmentSpec("research_code", 6, 0, 119, is_count=True, n_total=5_000),
    SegmentSpec("model_hub", 12, 0, 119, is_count=True, n_total=5_000),
    SegmentSpec("oss_imports", 18, 0, 119, is_count=True, n_total=2_000),
    SegmentSpec("qa_questions", 24, 0, 119, is_count=True, n_total=2_000),
    SegmentSpec("industry_downloads", 30, 0, 119),
)


def rivalry_ids(rivalries: int) -> list[str]:
    return [f"lead{i:02d}-vs-rival{i:02d}" for i in range(rivalries)]


def write_synthetic_study(
    con,
    *,
    rivalries: int = 1,
    segments: tuple[SegmentSpec, ...] = RESEARCH_AND_INDUSTRY,
    start: dt.date = dt.date(2015, 1, 1),
    crossing: int = 24,
    slope: float = 0.1,
    shock: float = 0.08,
    noise: float = 0.015,
    seed: int = 7,
) -> None:
    """Replace the study's rivalries and the share marts with generated ones."""
    first_month = month_number(start)
    adoption, shares, members = [], [], []
    for index, rivalry in enumerate(rivalry_ids(rivalries)):
        lead, rival = rivalry.split("-vs-")
        members += [(rivalry, lead), (rivalry, rival)]
        rng = np.random.default_rng([seed, index])
        curve = _curve(rng, segments, crossing, slope, shock)
        for spec in segments:
            months = np.arange(spec.first, spec.last + 1)
            if spec.months_of_year:
                calendar = (first_month + months) % 12 + 1
                months = months[np.isin(calendar, spec.months_of_year)]
            log_odds = curve(months - spec.shift)
            if not spec.is_count:
                log_odds = log_odds + rng.normal(0.0, noise, len(months))
            share = 1 / (1 + np.exp(-log_odds))
            if spec.is_count:
                lead_value = np.rint(share * spec.n_total)
                total = np.full(len(months), float(spec.n_total))
            else:
                total = 1e6 * np.exp(rng.normal(0.0, 0.3, len(months))) * (1 + months / 24)
                lead_value = share * total
            for technology, value in ((lead, lead_value), (rival, total - lead_value)):
                for month, v, n in zip(months, value, total, strict=True):
                    day = month_date(first_month + int(month))
                    adoption.append(_adoption_row(spec, technology, day, float(v)))
                    shares.append(_share_row(rivalry, spec, technology, day, float(v), float(n)))
    _write(con, members, adoption, shares)


def _curve(rng, segments, crossing, slope, shock):
    earliest = min(s.first - s.shift for s in segments) - 1
    latest = max(s.last - s.shift for s in segments) + 1
    times = np.arange(earliest, latest + 1)
    changes = slope + rng.uniform(-shock, shock, len(times))
    changes[np.abs(times - crossing) <= 3] = slope
    level = np.cumsum(changes)
    at = np.searchsorted(times, crossing)
    level = level - level[at] + changes[at] / 2  # zero between crossing - 1 and crossing
    return lambda t: level[np.asarray(t) - earliest]


def _adoption_row(spec, technology, day, value) -> dict:
    return {
        "segment": spec.name,
        "technology": technology,
        "month": day,
        "value": value,
        "value_low": value,
        "value_high": value,
        "is_censored": False,
        "is_count": spec.is_count,
        "n_observations": spec.n_total if spec.is_count else 30,
        "source": "synthetic",
    }


def _share_row(rivalry, spec, technology, day, value, total) -> dict:
    share = value / total
    low = high = share
    if spec.is_count:
        low, high = wilson_interval(np.array(share), np.array(total))
    return {
        "rivalry": rivalry,
        "segment": spec.name,
        "month": day,
        "technology": technology,
        "value": value,
        "share": share,
        "share_low": float(low),
        "share_high": float(high),
        "interval_method": "wilson_95" if spec.is_count else "censoring_bounds",
        "n_total": total,
    }


def _write(con, members, adoption, shares) -> None:
    con.execute("begin transaction")
    try:
        con.execute("delete from meta.study_rivalries")
        con.executemany("insert into meta.study_rivalries values (?, ?)", members)
        for name, rows in (("adoption_monthly", adoption), ("rivalry_shares", shares)):
            con.register("generated", pa.Table.from_pylist(rows))
            con.execute(f"create or replace table marts.{name} as select * from generated")  # noqa: S608
            con.unregister("generated")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
