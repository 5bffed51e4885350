"""Lead and lag between two segments of a rivalry: crossover lag and best-aligning lag.

- Crossover lag: the lagging segment's crossover month minus the leading segment's,
  in months. Its interval comes from the two segments' bootstrap draws (independent
  draws, paired by index): the 2.5th and 97.5th percentiles of the draw-by-draw
  differences, widened to hold the point estimate; draws in which the leading segment
  never crossed are left out, and if more than 2.5% of the rest never crossed in the
  lagging segment the interval has no upper end.
- Best-aligning lag: changes in log-odds matched interval by interval. Each change of
  the leading segment between two consecutive months with data (one month apart for
  monthly data; from one conference month to the next for research_mentions) is paired,
  for a lag L, with the lagging segment's change over the same months moved L months
  later, read from its log-odds carried forward on the monthly grid (series.on_grid).
  So a sparse series is compared like with like, sum of changes against sum of changes,
  and no month is invented. For every L in -max_lag..max_lag with at least
  MIN_PAIRED_MONTHS pairs, the correlation r of the pairs; the best lag has the
  strongest evidence of a positive correlation, Fisher's atanh(r) * sqrt(n - 3) over its
  n pairs (so a long lag with a dozen pairs does not win on noise; the smaller |L| on
  ties). Its interval: a moving block bootstrap of the intervals (blocks spanning about
  BLOCK_MONTHS months, a draw keeps an interval's pairs at every lag together), the best
  lag recomputed on every draw, 2.5th and 97.5th percentiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uptake.analysis.crossovers import NEVER, Crossover, percentile_interval
from uptake.analysis.series import ShareSeries, on_grid

MIN_PAIRED_MONTHS = 12
BLOCK_MONTHS = 12
DEFAULT_MAX_LAG = 96


@dataclass(frozen=True)
class CrossoverLag:
    months: int | None
    low: float | None
    high: float | None
    never_share: float  # share of usable draws in which the lagging segment never crossed


@dataclass(frozen=True)
class Alignment:
    lag: int | None
    low: float | None
    high: float | None
    correlation: float | None
    lags_tried: int


@dataclass(frozen=True)
class PairGrid:
    """Two share series as changes in log-odds on one monthly grid."""

    start: int
    leading: np.ndarray  # changes in log-odds, NaN where not both months are in the span
    lagging: np.ndarray
    lagging_level: np.ndarray  # log-odds (carried forward)
    lagging_observed: np.ndarray  # bool: the lagging segment has data that month


def pair_grid(leading: ShareSeries, lagging: ShareSeries) -> PairGrid:
    start = int(min(leading.months[0], lagging.months[0]))
    length = int(max(leading.months[-1], lagging.months[-1])) - start + 1
    lead_level = on_grid(leading.log_odds(), leading.months, start, length)
    lag_level = on_grid(lagging.log_odds(), lagging.months, start, length)
    observed = np.zeros(length, bool)
    observed[lagging.months - start] = True
    return PairGrid(
        start,
        _changes(lead_level),
        _changes(lag_level),
        lag_level,
        observed,
    )


def crossover_lag(leading: Crossover, lagging: Crossover) -> CrossoverLag:
    """Lag of the lagging segment's crossover behind the leading one's, with an interval."""
    if leading.month is None or lagging.month is None:
        return CrossoverLag(None, None, None, 0.0)
    point = lagging.month - leading.month
    usable = leading.draws != NEVER
    if not usable.any():
        return CrossoverLag(point, None, None, 0.0)
    differences = lagging.draws[usable] - leading.draws[usable]
    low, high = percentile_interval(differences, point)
    return CrossoverLag(point, low, high, float(np.mean(differences == NEVER)))


def best_alignment(
    leading: ShareSeries,
    lagging: ShareSeries,
    *,
    max_lag: int = DEFAULT_MAX_LAG,
    resamples: int,
    rng: np.random.Generator,
) -> Alignment:
    starts, ends = leading.months[:-1], leading.months[1:]
    x = np.diff(leading.log_odds())  # one change per interval between months with data
    lags = np.arange(-max_lag, max_lag + 1)
    level = _level_reader(
        lagging, int(starts.min(initial=0)) - max_lag, int(ends.max(initial=0)) + max_lag
    )
    ys = level(ends[:, None] + lags) - level(starts[:, None] + lags)  # intervals x lags
    mask = np.isfinite(ys)
    enough = mask.sum(axis=0) >= MIN_PAIRED_MONTHS
    if not enough.any():
        return Alignment(None, None, None, None, 0)
    lags, ys, mask = lags[enough], np.where(mask[:, enough], ys[:, enough], 0.0), mask[:, enough]
    xs = np.where(mask, x[:, None], 0.0)
    block = max(1, round(BLOCK_MONTHS * len(x) / max(int(ends[-1] - starts[0]), 1)))
    weights = np.vstack([np.ones(len(x)), _block_weights(len(x), block, resamples, rng)])
    evidence, correlations = _weighted_correlations(weights, mask.astype(float), xs, ys)
    if not np.isfinite(evidence[0]).any():
        return Alignment(None, None, None, None, len(lags))
    order = np.argsort(np.abs(lags), kind="stable")  # ties go to the smallest |lag|
    chosen = order[np.argmax(evidence[:, order], axis=1)]
    best = lags[chosen]
    point = int(best[0])
    defined = np.isfinite(evidence[1:]).any(axis=1)
    low, high = percentile_interval(best[1:][defined].astype(float), point)
    return Alignment(point, low, high, float(correlations[0, chosen[0]]), len(lags))


def _level_reader(series: ShareSeries, first: int, last: int):
    """month -> the series' log-odds carried forward (NaN outside its observed span)."""
    first = min(first, int(series.months[0]))
    levels = on_grid(
        series.log_odds(), series.months, first, max(last, int(series.months[-1])) - first + 1
    )

    def read(months: np.ndarray) -> np.ndarray:
        position = months - first
        inside = (position >= 0) & (position < len(levels))
        return np.where(inside, levels[np.clip(position, 0, len(levels) - 1)], np.nan)

    return read


def _weighted_correlations(weights, mask, xs, ys) -> np.ndarray:
    """Evidence of co-movement per draw (rows of weights) and lag (columns).

    Fisher's z of the weighted Pearson correlation times sqrt(n - 3): the correlation
    scaled by what the number of paired months can support, so that a lag with a dozen
    pairs does not beat one with a hundred on noise alone. -inf where undefined.
    """
    n = weights @ mask
    sx, sy = weights @ xs, weights @ ys
    sxx, syy, sxy = weights @ (xs * xs), weights @ (ys * ys), weights @ (xs * ys)
    with np.errstate(invalid="ignore", divide="ignore"):
        covariance = n * sxy - sx * sy
        spread = np.sqrt(np.maximum(n * sxx - sx * sx, 0) * np.maximum(n * syy - sy * sy, 0))
        correlation = np.clip(covariance / spread, -0.999999, 0.999999)
        evidence = np.arctanh(correlation) * np.sqrt(np.maximum(n - 3, 0))
    return np.where((spread > 1e-12) & (n > 3), evidence, -np.inf), correlation


def _block_weights(length: int, block: int, resamples: int, rng) -> np.ndarray:
    """How often each row is drawn by a moving block bootstrap (resamples x length)."""
    block = min(block, length)
    blocks = -(-length // block)
    starts = rng.integers(0, length - block + 1, size=(resamples, blocks))
    drawn = (starts[:, :, None] + np.arange(block)).reshape(resamples, -1)[:, :length]
    flat = (np.arange(resamples)[:, None] * length + drawn).ravel()
    return np.bincount(flat, minlength=resamples * length).reshape(resamples, length).astype(float)


def _changes(level: np.ndarray) -> np.ndarray:
    out = np.full(len(level), np.nan)
    out[1:] = np.diff(level)
    return out
