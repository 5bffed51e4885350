"""A Granger-type test and an out-of-sample check, on changes in log-odds on the grid.

Question: does the leading segment's past improve a prediction of the lagging
segment's share beyond the lagging segment's own past?

- Series: y = the lagging segment's month-to-month change in log-odds, x = the leading
  segment's, both on the monthly grid (series.on_grid: carried forward between months
  with data, so x is only ever what was known by then). Changes, not levels, because
  share curves trend and a regression of one trend on another finds a link that is not
  there.
- Own lags p: 1 to 3, by BIC of the own-history model y_t ~ 1 + y_{t-1..t-p}.
- The lead: the leading segment may run years ahead, so its past enters at a shift d:
  y_t ~ 1 + y_{t-1..t-p} + x_{t-d..t-d-p+1}, for every d from 1 to max_lag months that
  leaves at least MIN_GRANGER_MONTHS usable months. Per d, the F statistic of the x
  block (p and n - 2p - 1 degrees of freedom, scipy.stats.f). The test reports the d
  with the smallest p-value and that p-value times the number of shifts tried
  (Bonferroni, capped at 1), so searching over shifts does not manufacture a link.
- Below MIN_GRANGER_MONTHS usable months at every shift the test is not run.
- Out of sample: rolling origin, one step ahead. At every month o with data in the
  lagging segment, both models are fitted on the months before o only (at least
  MIN_TRAINING_MONTHS of them), the shift re-chosen on those months alone, and each
  forecasts the share at o (last log-odds plus the predicted change). RMSE in share
  points of each over the same months, and the relative improvement 1 - RMSE(with
  lead) / RMSE(own); fewer than MIN_FORECASTS forecasts: not run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from uptake.analysis.leadlag import PairGrid

MIN_GRANGER_MONTHS = 12
MIN_TRAINING_MONTHS = 24
MIN_FORECASTS = 6
MAX_OWN_LAGS = 3
_RIDGE = 1e-9  # keeps a design with an all-zero column (flat carried months) solvable


@dataclass(frozen=True)
class GrangerResult:
    f: float | None
    p: float | None  # Bonferroni-adjusted over the shifts tried
    lags: int | None
    shift: int | None
    n_months: int  # usable months at the chosen shift (the most at any shift if not run)
    shifts_tried: int


@dataclass(frozen=True)
class Forecasts:
    rmse_own: float | None
    rmse_with_lead: float | None
    improvement: float | None
    n_forecasts: int


@dataclass(frozen=True)
class ShiftFits:
    f: np.ndarray  # batch x shifts (NaN where too few months)
    p: np.ndarray
    n: np.ndarray
    beta: np.ndarray  # batch x shifts x (2p + 1)


def own_lags(y: np.ndarray) -> int:
    best, best_bic = 1, np.inf
    rows = _lagged(y, MAX_OWN_LAGS)
    valid = np.isfinite(rows).all(axis=1) & np.isfinite(y)
    n = int(valid.sum())
    if n < MIN_GRANGER_MONTHS:
        return 1
    for p in range(1, MAX_OWN_LAGS + 1):
        design = np.column_stack([np.ones(n), rows[valid, :p]])
        residual = y[valid] - design @ np.linalg.lstsq(design, y[valid], rcond=None)[0]
        bic = n * np.log(max(residual @ residual / n, 1e-300)) + (p + 1) * np.log(n)
        if bic < best_bic - 1e-12:
            best, best_bic = p, bic
    return best


def fit_shifts(y, x, p, shifts, train=None) -> ShiftFits:
    """F tests of x's block at every shift, batched: x is (batch | 1) x months, train too."""
    x = np.atleast_2d(x)
    z = np.column_stack([np.ones(len(y)), _lagged(y, p)])  # months x (p + 1)
    z_ok = np.isfinite(z).all(axis=1) & np.isfinite(y)
    xl = _shifted_lags(x, shifts, p)  # batch x shifts x p x months
    finite = np.isfinite(xl)
    w = (finite.all(axis=2) & z_ok).astype(float)  # batch x shifts x months
    if train is not None:
        w = w * np.atleast_2d(train)[:, None, :]
    xl = np.where(finite, xl, 0.0)
    z0, y0 = np.where(np.isfinite(z), z, 0.0), np.where(np.isfinite(y), y, 0.0)
    batch, shifts_n, months = w.shape
    q = z0.shape[1]
    # Every cross-product as one matrix product over months (BLAS), not one per shift.
    flat_w = w.reshape(-1, months)
    a11 = (flat_w @ (z0[:, :, None] * z0[:, None, :]).reshape(months, -1)).reshape(
        batch, shifts_n, q, q
    )
    b1 = (flat_w @ (z0 * y0[:, None])).reshape(batch, shifts_n, q)
    yy, n = (flat_w @ (y0 * y0)).reshape(batch, shifts_n), w.sum(axis=2)
    wx = xl * w[:, :, None, :]  # batch x shifts x p x months
    a12 = _t((wx.reshape(-1, months) @ z0).reshape(batch, shifts_n, p, q))
    b2 = (wx.reshape(-1, months) @ y0).reshape(batch, shifts_n, p)
    xl = np.broadcast_to(xl, wx.shape)
    a22 = np.empty((batch, shifts_n, p, p))
    for i in range(p):
        for j in range(i, p):
            a22[..., i, j] = a22[..., j, i] = np.einsum("bdg,bdg->bd", wx[:, :, i], xl[:, :, j])
    beta_r = _solve(a11, b1)
    full = np.concatenate(
        [np.concatenate([a11, a12], axis=3), np.concatenate([_t(a12), a22], axis=3)],
        axis=2,
    )
    rhs = np.concatenate([b1, b2], axis=2)
    beta_u = _solve(full, rhs)
    rss_r = yy - np.einsum("bdi,bdi->bd", b1, beta_r)
    rss_u = np.maximum(yy - np.einsum("bdi,bdi->bd", rhs, beta_u), 1e-300)
    df = n - 2 * p - 1
    enough = (n >= MIN_GRANGER_MONTHS) & (df > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(enough, (np.maximum(rss_r - rss_u, 0) / p) / (rss_u / df), np.nan)
    pvalue = np.where(enough, stats.f.sf(np.nan_to_num(f), p, np.maximum(df, 1)), np.nan)
    return ShiftFits(f, pvalue, n, beta_u)


def granger_test(grid: PairGrid, max_lag: int) -> GrangerResult:
    y, x = grid.lagging, grid.leading
    p = own_lags(y)
    shifts = np.arange(1, max_lag + 1)
    fits = fit_shifts(y, x, p, shifts)
    pvalues, counts = fits.p[0], fits.n[0]
    tried = np.isfinite(pvalues)
    if not tried.any():
        return GrangerResult(None, None, None, None, int(counts.max(initial=0)), 0)
    best = int(np.nanargmin(pvalues))
    adjusted = min(1.0, float(pvalues[best]) * int(tried.sum()))
    return GrangerResult(
        float(fits.f[0, best]), adjusted, p, int(shifts[best]), int(counts[best]), int(tried.sum())
    )


def adjusted_pvalues(fits: ShiftFits) -> np.ndarray:
    """Per batch row: smallest p-value over shifts times the shifts tried (NaN: none)."""
    tried = np.isfinite(fits.p).sum(axis=1)
    smallest = np.nanmin(np.where(np.isfinite(fits.p), fits.p, np.inf), axis=1)
    return np.where(tried > 0, np.minimum(1.0, smallest * tried), np.nan)


def rolling_forecasts(grid: PairGrid, max_lag: int, lags: int | None) -> Forecasts:
    y, x, level = grid.lagging, grid.leading, grid.lagging_level
    p = lags or own_lags(y)
    shifts = np.arange(1, max_lag + 1)
    z = np.column_stack([np.ones(len(y)), _lagged(y, p)])
    z_ok = np.isfinite(z).all(axis=1) & np.isfinite(y)
    origins = np.flatnonzero(grid.lagging_observed & z_ok & np.isfinite(level))
    origins = origins[np.cumsum(z_ok)[origins] - 1 >= MIN_TRAINING_MONTHS]
    if len(origins) < MIN_FORECASTS:
        return Forecasts(None, None, None, 0)
    months = np.arange(len(y))
    train = (months[None, :] < origins[:, None]).astype(float)
    fits = fit_shifts(y, x, p, shifts, train)
    xl = _shifted_lags(np.atleast_2d(x), shifts, p)[0]  # shifts x p x months
    usable = (fits.n >= MIN_TRAINING_MONTHS) & np.isfinite(fits.f)
    usable &= np.isfinite(xl[:, :, origins]).all(axis=1).T
    chosen = np.argmin(np.where(usable, fits.p, np.inf), axis=1)
    has_shift = usable.any(axis=1)
    own_w = (z_ok[None, :] * train)[..., None]
    z0, y0 = np.nan_to_num(z), np.nan_to_num(y)
    own_beta = _solve(_t(own_w * z0) @ z0, _t(own_w * z0) @ y0)
    rows = np.arange(len(origins))
    with_lead = np.concatenate([z0[origins], xl[chosen, :, origins]], axis=1)
    predicted_with = np.einsum("bi,bi->b", with_lead, fits.beta[rows, chosen])
    predicted_own = np.einsum("bi,bi->b", z0[origins], own_beta)
    keep = has_shift
    if keep.sum() < MIN_FORECASTS:
        return Forecasts(None, None, None, int(keep.sum()))
    previous = level[origins - 1]
    actual = _share(level[origins])
    error_own = _share(previous + predicted_own) - actual
    error_with = _share(previous + predicted_with) - actual
    rmse_own = float(np.sqrt(np.mean(error_own[keep] ** 2)))
    rmse_with = float(np.sqrt(np.mean(error_with[keep] ** 2)))
    improvement = 1 - rmse_with / rmse_own if rmse_own > 0 else None
    return Forecasts(rmse_own, rmse_with, improvement, int(keep.sum()))


def _t(a):
    return a.swapaxes(-1, -2)


def _share(log_odds):
    return 1 / (1 + np.exp(-log_odds))


def _solve(a, b):
    scale = np.trace(a, axis1=-2, axis2=-1)[..., None, None] / a.shape[-1] + 1e-12
    ridge = _RIDGE * scale * np.eye(a.shape[-1])
    return np.linalg.solve(a + ridge, b[..., None])[..., 0]


def _lagged(values: np.ndarray, lags: int) -> np.ndarray:
    """Columns values[t - 1] .. values[t - lags] (NaN before the start)."""
    out = np.full((len(values), lags), np.nan)
    for j in range(1, min(lags, len(values) - 1) + 1):
        out[j:, j - 1] = values[:-j]
    return out


def _shifted_lags(x: np.ndarray, shifts: np.ndarray, p: int) -> np.ndarray:
    """x[b, t - d - j] for shift d and j in 0..p-1: batch x shifts x p x months."""
    months = x.shape[1]
    offset = int(shifts.max()) + p
    padded = np.concatenate([np.full((x.shape[0], offset), np.nan), x], axis=1)
    index = (
        np.arange(months)[None, None, :] - shifts[:, None, None] - np.arange(p)[None, :, None]
    ) + offset
    return padded[:, index]
