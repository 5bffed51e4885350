"""The hypothesis test: does the research favourite become the industry favourite, and when?

`analyze(warehouse)` reads marts.rivalry_shares and writes, in one transaction:

- marts.crossovers: per rivalry and segment, the leader and the month from which it has
  kept more than half (crossovers.py states the rule), with a bootstrap interval.
- marts.hypothesis_results: per rivalry and ordered pair of segments, the crossover lag
  with an interval, the best-aligning lag (leadlag.py), a Granger-type test and an
  out-of-sample check (granger.py), the placebo rate (placebo.py), and a verdict with a
  reason computed from the numbers (verdicts.py).
- marts.placebo_results: placebo runs and detections per kind.
- marts.analysis_settings: the settings the results were computed with.

Every row carries a `rule`: 'main' (or the `rule` given, for a study variant analysed
from its own warehouse), and beside it the alternative counting rules the warehouse
has data for (robustness.py). A run replaces the rows of its rules and keeps the rest.

Every random draw comes from a generator seeded by (seed, what is drawn, rivalry,
segments), so a run is reproducible and one rivalry's numbers do not depend on which
other rivalries the study holds.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from uptake.analysis import (
    crossovers,
    granger,
    leadlag,
    meta,
    placebo,
    robustness,
    tables,
    verdicts,
)
from uptake.analysis.series import (
    StudyShares,
    on_grid,
    order_segments,
    read_shares,
)
from uptake.errors import UptakeError

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20191
DEFAULT_PLACEBO_RUNS = 200
DEFAULT_ALPHA = 0.05
# The hypothesis' own pair: always reported on, so a warehouse without one of them says so.
HYPOTHESIS_SEGMENTS = ("research_mentions", "industry_downloads")

__all__ = ["AnalysisError", "AnalysisResult", "AnalysisSettings", "analyze"]


class AnalysisError(UptakeError):
    """The analysis was asked for something it cannot do (a bad setting)."""


@dataclass(frozen=True)
class AnalysisSettings:
    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    placebo_runs: int = DEFAULT_PLACEBO_RUNS
    alpha: float = DEFAULT_ALPHA
    blip_months: int = crossovers.DEFAULT_BLIP_MONTHS
    max_lag: int = leadlag.DEFAULT_MAX_LAG
    rule: str = "main"


@dataclass
class AnalysisResult:
    settings: AnalysisSettings
    crossovers: list[dict] = field(default_factory=list)
    hypotheses: list[dict] = field(default_factory=list)
    placebos: list[dict] = field(default_factory=list)
    meta: list = field(default_factory=list)  # meta.MetaResult per pair of segments and rule
    message: str | None = None  # set when there is nothing to analyse at all


def analyze(
    warehouse,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    placebo_runs: int = DEFAULT_PLACEBO_RUNS,
    alpha: float = DEFAULT_ALPHA,
    blip_months: int = crossovers.DEFAULT_BLIP_MONTHS,
    max_lag: int = leadlag.DEFAULT_MAX_LAG,
    rule: str = "main",
    study=None,
    write: bool = True,
) -> AnalysisResult:
    """Analyse every rivalry of the warehouse (or of `study`, if the warehouse holds none).

    Writes the analysis marts unless write=False; returns their rows either way.
    """
    settings = AnalysisSettings(resamples, seed, placebo_runs, alpha, blip_months, max_lag, rule)
    _check(settings)
    con = getattr(warehouse, "con", warehouse)
    study_rivalries = (
        {r.id: tuple(r.technologies) for r in study.rivalries.values()} if study else None
    )
    shares = read_shares(con, study_rivalries)
    result = AnalysisResult(settings)
    if not shares.rivalries:
        result.message = "the warehouse holds no study and none was given: run `uptake build`"
    segments = order_segments(set(shares.segments) | set(HYPOTHESIS_SEGMENTS))
    _analyse(result, shares, segments, settings, rule)
    rules = [rule]
    for variant_rule, variant in robustness.research_mentions_variants(con, shares, rule):
        # only what the variant changes: research_mentions and the pairs it is part of
        _analyse(result, variant, segments, settings, variant_rule, only="research_mentions")
        rules.append(variant_rule)
    result.meta = _across_rivalries(result, shares, segments, rules, settings)
    if write:
        tables.write_tables(con, tables.analysis_rows(result, rules), rules)
    return result


def _across_rivalries(result, shares: StudyShares, segments, rules, settings) -> list:
    """The meta-analysis of every pair of segments under each rule; a variant rule
    changes research_mentions only, so its other segments are the main rule's."""
    technologies = {r: tuple(sorted(shares.rivalries[r])) for r in shares.rivalries}
    main = [row for row in result.crossovers if row["rule"] == rules[0]]
    found = []
    for rule in rules:
        own = {(r["rivalry"], r["segment"]): r for r in result.crossovers if r["rule"] == rule}
        rows = [own.get((r["rivalry"], r["segment"]), r) for r in main]
        for i, leading in enumerate(segments):
            for lagging in segments[i + 1 :]:
                if rule != rules[0] and "research_mentions" not in (leading, lagging):
                    continue
                found.append(
                    meta.meta_analysis(rows, technologies, leading, lagging, rule, settings.alpha)
                )
    return found


def _analyse(result, shares: StudyShares, segments, settings, rule, only=None) -> None:
    rivalries = sorted(shares.rivalries)
    if only:
        rivalries = [r for r in rivalries if shares.technologies(r, only)]
    found = {}
    for rivalry in rivalries:
        for segment in segments:
            found[(rivalry, segment)] = _crossover(shares, rivalry, segment, settings)
            if only in (None, segment):
                result.crossovers.append(tables.crossover_row(found[(rivalry, segment)], rule))
    for rivalry in rivalries:
        for i, leading in enumerate(segments):
            for lagging in segments[i + 1 :]:
                if only not in (None, leading, lagging):
                    continue
                evidence, rates = _pair(shares, found, rivalry, leading, lagging, settings)
                result.hypotheses.append(tables.hypothesis_row(evidence, rule))
                result.placebos.extend(tables.placebo_rows(evidence, rates, settings, rule))


def _check(settings: AnalysisSettings) -> None:
    problems = [
        f"resamples must be at least 1, not {settings.resamples}" if settings.resamples < 1 else "",
        f"placebo runs must be 0 or more, not {settings.placebo_runs}"
        if settings.placebo_runs < 0
        else "",
        f"alpha must be between 0 and 1, not {settings.alpha}"
        if not 0 < settings.alpha < 1
        else "",
        f"blip months must be 0 or more, not {settings.blip_months}"
        if settings.blip_months < 0
        else "",
        f"the maximum lag must be at least 1 month, not {settings.max_lag}"
        if settings.max_lag < 1
        else "",
        "the rule must be a non-empty name" if not settings.rule else "",
        f"the seed must be 0 or more, not {settings.seed}" if settings.seed < 0 else "",
    ]
    if any(problems):
        raise AnalysisError("; ".join(p for p in problems if p))


def _rng(seed: int, purpose: str, *names: str) -> np.random.Generator:
    keys = [seed, zlib.crc32(purpose.encode())] + [zlib.crc32(n.encode()) for n in names]
    return np.random.default_rng(np.random.SeedSequence(keys))


def _crossover(shares: StudyShares, rivalry, segment, s: AnalysisSettings):
    technologies = shares.technologies(rivalry, segment)
    return crossovers.segment_crossover(
        rivalry,
        segment,
        technologies,
        resamples=s.resamples,
        rng=_rng(s.seed, "crossover", rivalry, segment),
        blip_months=s.blip_months,
        missing_reason="" if technologies else shares.missing_reason(rivalry, segment),
    )


def _pair(shares: StudyShares, found, rivalry, leading, lagging, s: AnalysisSettings):
    lead, lag = found[(rivalry, leading)], found[(rivalry, lagging)]
    favourite = lead.leader
    lead_series = shares.series.get((rivalry, leading, favourite)) if favourite else None
    lag_series = shares.series.get((rivalry, lagging, favourite)) if favourite else None
    evidence = verdicts.PairEvidence(
        rivalry, leading, lagging, favourite, lead, lag, lead_series, lag_series, alpha=s.alpha
    )
    if lead.month is not None and verdicts.lag_crossover_month(evidence) is not None:
        evidence = replace(evidence, crossover_lag=leadlag.crossover_lag(lead, lag))
    if lead_series is None or lag_series is None:
        return evidence, []
    if min(lead_series.n_months, lag_series.n_months) < granger.MIN_GRANGER_MONTHS:
        return evidence, []
    grid = leadlag.pair_grid(lead_series, lag_series)
    alignment = leadlag.best_alignment(
        lead_series,
        lag_series,
        max_lag=s.max_lag,
        resamples=s.resamples,
        rng=_rng(s.seed, "alignment", rivalry, leading, lagging),
    )
    test = granger.granger_test(grid, s.max_lag)
    forecasts = granger.rolling_forecasts(grid, s.max_lag, test.lags)
    rates = []
    if test.f is not None:
        rates = placebo.placebo_rates(
            grid,
            lags=test.lags,
            max_lag=s.max_lag,
            alpha=s.alpha,
            runs=s.placebo_runs,
            rng=_rng(s.seed, "placebo", rivalry, leading, lagging),
            other_leading=_other_leading(shares, found, rivalry, leading, grid),
        )
    evidence = replace(
        evidence,
        alignment=alignment,
        granger=test,
        forecasts=forecasts,
        placebo_rate=placebo.pooled_rate(rates),
        placebo_runs=sum(r.runs for r in rates),
    )
    return evidence, rates


def _other_leading(shares, found, rivalry, segment, grid) -> list[np.ndarray]:
    """The leading segment's leader share of every other rivalry, as changes on this grid."""
    length = len(grid.leading)
    others = []
    for (other, other_segment), crossover in sorted(found.items()):
        if other == rivalry or other_segment != segment or crossover.leader is None:
            continue
        series = shares.series[(other, segment, crossover.leader)]
        level = on_grid(series.log_odds(), series.months, grid.start, length)
        changes = np.concatenate([[np.nan], np.diff(level)])
        if np.isfinite(changes).sum() >= granger.MIN_GRANGER_MONTHS:
            others.append(changes)
    return others
