"""Crossovers: the month from which a rivalry's leader keeps more than half of a segment.

The rule, on the months with data (months without data are skipped, never read as 0):

- The leader is the technology whose share is above one half in the segment's latest
  month; with none, the segment has 'no majority'.
- A dip is a run of consecutive months with data in which the leader's share is at or
  below one half. Its length is counted in calendar months from its first month to the
  next month with data above one half, so a dip that runs into a gap lasts until the
  data shows it over (a dip in December 2018 followed by no data until May 2019 lasts
  five months). A dip reaching the latest month never ends.
- The crossover is the earliest month c above one half such that every dip after c
  lasts at most `blip_months` months (default 2: a short blip does not undo a
  crossover) and the mean share from c to the latest month is above one half. With
  blip_months=0 this is marts.rivalry_leaders' leading_since exactly.
- Status: 'led throughout' when c is the first month with data, else 'crossed over'.
- Censored months (download volumes known only within bounds) enter with their point
  share. The firm crossover is the first month from which share_low stays above one
  half in every later month (no blips): a crossover the censoring bounds cannot undo.

Confidence interval, by parametric bootstrap (`resamples` draws, seeded):

- Count segments (papers, repositories, models; interval_method 'wilson_95'): each
  month's leader count is redrawn Binomial(n_total, share), i.e. the month's papers are
  redrawn with the observed share. A paper mentioning both rivals counts for both, as
  in the data, so n_total is mentions, not papers.
- Download volumes ('censoring_bounds'): a censored month's share is drawn uniformly
  between its bounds, then every month's odds are multiplied by exp(e), e ~ N(0, s),
  where s is the month-to-month noise of the series' log-odds: 1.4826 * MAD of the
  changes in log-odds between consecutive months with data, divided by sqrt(2) (a change
  carries the noise of two months). Fewer than four months: no noise (s = 0).
- The crossover is recomputed on every draw; a draw whose latest month is not above one
  half 'never crossed'. The interval is the 2.5th and 97.5th percentile of the draws'
  crossover months, widened to hold the point estimate if needed; an upper end of
  'never crossed' is reported as no upper bound (null).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uptake.analysis.series import ShareSeries, month_text

NEVER = np.inf  # the crossover month of a draw that never crossed
DEFAULT_BLIP_MONTHS = 2


@dataclass(frozen=True)
class Crossover:
    rivalry: str
    segment: str
    leader: str | None
    status: str  # 'crossed over' | 'led throughout' | 'no majority' | 'no data'
    month: int | None  # month number of the crossover (first month when led throughout)
    low: float | None  # interval ends; high None: some draws never crossed
    high: float | None
    firm_month: int | None
    n_months: int
    first_month: int | None
    latest_month: int | None
    latest_share: float | None
    draws: np.ndarray | None  # crossover month per bootstrap draw (NEVER: never crossed)
    noise_sd: float | None  # the log-odds noise used for volumes
    reason: str


def crossover_months(
    shares: np.ndarray, months: np.ndarray, blip_months: int = DEFAULT_BLIP_MONTHS
) -> np.ndarray:
    """The crossover month of each row of `shares` (draws x months), NEVER where none."""
    shares = np.atleast_2d(shares)
    draws, count = shares.shape
    if count == 0:
        return np.full(draws, NEVER)
    above = shares > 0.5
    position = np.arange(count)
    # the next position above one half, at or after each position (count: none)
    next_above = np.where(above, position, count)
    next_above = np.minimum.accumulate(next_above[:, ::-1], axis=1)[:, ::-1]
    dip_start = ~above & np.concatenate([np.ones((draws, 1), bool), above[:, :-1]], axis=1)
    month_after = np.append(months, 0)[next_above]
    length = np.where(next_above < count, month_after - months, np.inf)
    long_dip = dip_start & (length > blip_months)
    last_long = np.where(long_dip, position, -1).max(axis=1)
    suffix_mean = np.cumsum(shares[:, ::-1], axis=1)[:, ::-1] / (count - position)
    holds = above & (position > last_long[:, None]) & (suffix_mean > 0.5)
    first = holds.argmax(axis=1)
    return np.where(holds.any(axis=1), months[first].astype(float), NEVER)


def firm_crossover_month(series: ShareSeries) -> int | None:
    month = crossover_months(series.share_low, series.months, blip_months=0)[0]
    return None if month == NEVER else int(month)


def resample_shares(series: ShareSeries, resamples: int, rng: np.random.Generator):
    """Bootstrap draws of the series' shares (resamples x months) and the noise used."""
    if series.is_count:
        n = np.rint(series.n_total).astype(np.int64)
        counts = rng.binomial(n, np.clip(series.share, 0, 1), size=(resamples, len(n)))
        return counts / np.maximum(n, 1), None
    sd = volume_noise_sd(series)
    low, high = (
        np.minimum(series.share_low, series.share),
        np.maximum(series.share_high, series.share),
    )
    point = np.where(high > low, rng.uniform(low, high, size=(resamples, len(low))), series.share)
    p = np.clip(point, 1e-9, 1 - 1e-9)
    odds = np.log(p / (1 - p)) + rng.normal(0.0, sd, size=p.shape)
    return 1 / (1 + np.exp(-odds)), sd


def volume_noise_sd(series: ShareSeries) -> float:
    if series.n_months < 4:
        return 0.0
    changes = np.diff(series.log_odds())
    mad = np.median(np.abs(changes - np.median(changes)))
    return float(1.4826 * mad / np.sqrt(2))


def percentile_interval(draws: np.ndarray, point: float) -> tuple[float | None, float | None]:
    """2.5th and 97.5th percentiles of `draws` (which may hold NEVER), holding `point`."""
    if draws is None or len(draws) == 0:
        return None, None
    low, high = np.quantile(draws, [0.025, 0.975], method="inverted_cdf")
    low, high = min(low, point), max(high, point)
    return (
        None if not np.isfinite(low) else float(low),
        None if not np.isfinite(high) else float(high),
    )


def segment_crossover(
    rivalry: str,
    segment: str,
    technologies: dict[str, ShareSeries],
    *,
    resamples: int,
    rng: np.random.Generator,
    blip_months: int = DEFAULT_BLIP_MONTHS,
    missing_reason: str = "",
) -> Crossover:
    """The segment's leader, its crossover with an interval, and the firm crossover."""
    if not technologies:
        return _without_leader(rivalry, segment, "no data", missing_reason)
    any_series = next(iter(technologies.values()))
    first, latest = int(any_series.months[0]), int(any_series.months[-1])
    leaders = [s for s in technologies.values() if s.share[-1] > 0.5]
    if not leaders:
        top = max(technologies.values(), key=lambda s: s.share[-1])
        reason = (
            f"no technology has more than half of {segment} in {_m(latest)} "
            f"({top.technology} leads with {top.share[-1]:.1%})"
        )
        return _without_leader(
            rivalry, segment, "no majority", reason, any_series.n_months, first, latest
        )
    leader = leaders[0]
    month = int(crossover_months(leader.share, leader.months, blip_months)[0])
    draws_shares, noise = resample_shares(leader, resamples, rng)
    draws = crossover_months(draws_shares, leader.months, blip_months)
    low, high = percentile_interval(draws, month)
    status = "led throughout" if month == first else "crossed over"
    firm = firm_crossover_month(leader)
    return Crossover(
        rivalry=rivalry,
        segment=segment,
        leader=leader.technology,
        status=status,
        month=month,
        low=low,
        high=high,
        firm_month=firm,
        n_months=leader.n_months,
        first_month=first,
        latest_month=latest,
        latest_share=float(leader.share[-1]),
        draws=draws,
        noise_sd=noise,
        reason=_reason(leader, status, month, low, high, firm, draws),
    )


def _without_leader(rivalry, segment, status, reason, n_months=0, first=None, latest=None):
    return Crossover(
        rivalry=rivalry,
        segment=segment,
        leader=None,
        status=status,
        month=None,
        low=None,
        high=None,
        firm_month=None,
        n_months=n_months,
        first_month=first,
        latest_month=latest,
        latest_share=None,
        draws=None,
        noise_sd=None,
        reason=reason,
    )


def _reason(series, status, month, low, high, firm, draws) -> str:
    who, segment = series.technology, series.segment
    never = float(np.mean(draws == NEVER))
    interval = f"95% CI {_m(low)} to {_m(high) if high is not None else 'not crossed'}"
    if status == "led throughout":
        text = f"{who} has had more than half of {segment} since its first month, {_m(month)}"
    else:
        text = f"{who} has had more than half of {segment} since {_m(month)} ({interval})"
    text += f", {series.share[-1]:.1%} in {_m(series.months[-1])}"
    if never > 0:
        text += f"; {never:.1%} of resamples never crossed"
    if firm is None:
        text += "; not firm: the share's lower bound is not above one half in the latest month"
    elif firm != month:
        text += f"; firm (lower bound above one half) from {_m(firm)}"
    return text


_m = month_text
