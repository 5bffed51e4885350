"""The Kaplan-Meier estimator, with Greenwood's variance and log-log confidence bands.

Written here rather than taken from lifelines: the estimator is a product and a sum, and
lifelines would bring pandas, matplotlib, autograd and formulaic into every install for
them. tests/test_meta_analysis.py checks it against the published estimates for
Freireich's 6-MP trial (Kalbfleisch & Prentice; every survival textbook reprints them).

The median's interval is read from the pointwise band (Brookmeyer and Crowley's idea):
its lower end is the first time the band's lower edge reaches one half, its upper end
the first time the upper edge does, which may be never ("not reached").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class SurvivalCurve:
    """S(t) after each distinct event time, with its pointwise (1 - alpha) band."""

    times: np.ndarray
    survival: np.ndarray
    low: np.ndarray
    high: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    median: float | None  # None: the curve never reaches one half
    median_low: float | None
    median_high: float | None  # None: not reached within the data


def kaplan_meier(times, observed, alpha: float = 0.05) -> SurvivalCurve:
    """The product-limit estimate from durations and whether each ended in the event
    (False: right-censored at that duration). Ties: events before censorings."""
    times = np.asarray(times, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    if times.shape != observed.shape:
        raise ValueError("times and observed must have the same length")
    z = stats.norm.ppf(1 - alpha / 2)
    event_times = np.unique(times[observed])
    at_risk = np.array([(times >= t).sum() for t in event_times])
    events = np.array([((times == t) & observed).sum() for t in event_times])
    survival = np.cumprod(1 - events / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(events / (at_risk * (at_risk - events)))
        log_survival = np.log(survival)
        spread = z * np.sqrt(greenwood) / np.abs(log_survival)
        low = survival ** np.exp(spread)
        high = survival ** np.exp(-spread)
    # Where S is 1 the log-log band is undefined, and where it is 0 it collapses to 0.
    low = np.where(survival >= 1, 1.0, np.where(survival <= 0, 0.0, low))
    high = np.where(survival >= 1, 1.0, np.where(survival <= 0, 0.0, high))
    return SurvivalCurve(
        times=event_times,
        survival=survival,
        low=low,
        high=high,
        at_risk=at_risk,
        events=events,
        median=_first_at_or_below_half(event_times, survival),
        median_low=_first_at_or_below_half(event_times, low),
        median_high=_first_at_or_below_half(event_times, high),
    )


def _first_at_or_below_half(times: np.ndarray, curve: np.ndarray) -> float | None:
    reached = np.flatnonzero(curve <= 0.5 + 1e-12)
    return float(times[reached[0]]) if reached.size else None
