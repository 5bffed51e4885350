"""Placebos: the Granger-type test on leading series that carry no link to the lagging one.

Two kinds, each counted separately (marts.placebo_results) and pooled into the
placebo_rate of marts.hypothesis_results:

- 'time_shuffled': the leading segment's month-to-month changes are cut into blocks of
  BLOCK_MONTHS consecutive months (a quarter of the span when that is shorter than four
  blocks), each block reversed in time and the blocks put in a random order, `runs`
  times. The values and their short-run dependence stay (a stationary series' auto-
  correlation is the same read backwards); only the order in time is broken. Reversing
  matters because the test searches over shifts: a block kept in its order is found
  again at the shift that puts it back where it was, and a strongly linked pair then
  "finds" its link in about a quarter of such runs (measured on the synthetic study).
- 'swapped_rivalry': the leading segment's series of another rivalry of the study
  (its leader's share) stands in for this rivalry's, on the same months. Rivalries that
  share a technology are not independent, so this kind can find real links; it shows
  what a link between unrelated-looking series costs. With one rivalry it is not run.

A placebo run finds a link when its Bonferroni-adjusted p-value is below alpha: the
same decision as the real test, shift search included. A well-calibrated test finds
links in at most about alpha of the runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uptake.analysis.granger import adjusted_pvalues, fit_shifts
from uptake.analysis.leadlag import BLOCK_MONTHS, PairGrid

CHUNK_RUNS = 16  # placebo series fitted together: bounds memory at a few tens of MB


@dataclass(frozen=True)
class PlaceboRate:
    kind: str
    runs: int
    detections: int

    @property
    def rate(self) -> float | None:
        return self.detections / self.runs if self.runs else None


def time_shuffled(values: np.ndarray, runs: int, rng: np.random.Generator) -> np.ndarray:
    """`runs` copies of `values` with the blocks of its finite span in random orders."""
    out = np.tile(values, (runs, 1))
    span = np.flatnonzero(np.isfinite(values))
    if len(span) == 0:
        return out
    # a short span still gets at least four blocks to shuffle
    block = BLOCK_MONTHS if len(span) >= 4 * BLOCK_MONTHS else max(1, len(span) // 4)
    start, stop = span[0], span[-1] + 1
    pieces = [values[i : min(i + block, stop)][::-1] for i in range(start, stop, block)]
    for run in range(runs):
        out[run, start:stop] = np.concatenate([pieces[i] for i in rng.permutation(len(pieces))])
    return out


def placebo_rates(
    grid: PairGrid,
    *,
    lags: int,
    max_lag: int,
    alpha: float,
    runs: int,
    rng: np.random.Generator,
    other_leading: list[np.ndarray],
) -> list[PlaceboRate]:
    shifts = np.arange(1, max_lag + 1)
    rates = []
    if runs > 0:
        shuffled = time_shuffled(grid.leading, runs, rng)
        rates.append(
            PlaceboRate(
                "time_shuffled", runs, _detections(grid.lagging, shuffled, lags, shifts, alpha)
            )
        )
    if runs > 0 and other_leading:
        chosen = [
            other_leading[i % len(other_leading)] for i in range(min(runs, len(other_leading)))
        ]
        swapped = np.vstack(chosen)
        rates.append(
            PlaceboRate(
                "swapped_rivalry",
                len(chosen),
                _detections(grid.lagging, swapped, lags, shifts, alpha),
            )
        )
    return rates


def pooled_rate(rates: list[PlaceboRate]) -> float | None:
    runs = sum(r.runs for r in rates)
    return sum(r.detections for r in rates) / runs if runs else None


def _detections(y, xs, lags, shifts, alpha) -> int:
    found = 0
    for first in range(0, len(xs), CHUNK_RUNS):
        adjusted = adjusted_pvalues(fit_shifts(y, xs[first : first + CHUNK_RUNS], lags, shifts))
        found += int(np.sum(adjusted < alpha))
    return found
