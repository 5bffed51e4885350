"""Verdicts: did the leading segment's favourite become the lagging segment's, and when?

For a rivalry and an ordered pair of segments (the leading one earlier in the
hypothesis order: research_mentions, research_code, model_hub, oss_imports, any other
segment, industry_downloads), the favourite is the leading segment's leader.

- no data: a segment has no data for the rivalry (or the warehouse no shares at all):
  nothing was tested, which is not the same as tests that disagree.
- inconclusive: a segment has fewer than MIN_GRANGER_MONTHS months of data;
  the leading segment has no majority; the lagging segment has no majority; both have
  favoured it throughout their data (no crossover to time); the crossover lag's 95% CI
  includes zero; the lagging segment's data starts after the leading crossover while
  already favouring it; or the two series share too few months for the Granger test.
- contradicted: the lagging segment favours another technology in its latest month, or
  it crossed to the favourite before the leading segment did (the CI of the lag lies
  below zero, or it favoured it from its first month, before the leading crossover).
- supported: the lagging segment crossed to the favourite after the leading one (the
  CI of the lag lies above zero; or the leading segment favoured it from its first
  month and the lagging segment crossed later) and the Granger test could be run.
  The test's outcome, the out-of-sample check and the placebo rate are reported in the
  reason beside the verdict, not folded into it: the verdict is about crossovers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from uptake.analysis.crossovers import Crossover
from uptake.analysis.granger import MIN_GRANGER_MONTHS, Forecasts, GrangerResult
from uptake.analysis.leadlag import Alignment, CrossoverLag
from uptake.analysis.series import ShareSeries, month_text

NO_DATA = "no data"
VERDICTS = ("supported", "contradicted", "inconclusive", NO_DATA)

_m = month_text


@dataclass(frozen=True)
class PairEvidence:
    rivalry: str
    leading: str
    lagging: str
    favourite: str | None
    lead: Crossover
    lag: Crossover
    lead_series: ShareSeries | None
    lag_series: ShareSeries | None
    crossover_lag: CrossoverLag | None = None
    alignment: Alignment | None = None
    granger: GrangerResult | None = None
    forecasts: Forecasts | None = None
    placebo_rate: float | None = None
    placebo_runs: int = 0
    alpha: float = 0.05


def lag_crossover_month(evidence: PairEvidence) -> int | None:
    """The lagging segment's crossover to the favourite (None: it has not crossed to it)."""
    if evidence.lag.leader is None or evidence.lag.leader != evidence.favourite:
        return None
    return evidence.lag.month


def judge(e: PairEvidence) -> tuple[str, str]:
    """(verdict, reason): the reason is one sentence computed from the numbers."""
    verdict, core = _crossover_verdict(e)
    parts = [core]
    if e.granger is not None and e.lead_series is not None:
        parts += [_alignment_text(e), _granger_text(e), _forecast_text(e), _placebo_text(e)]
        if verdict == "supported" and e.granger.f is None:
            verdict = "inconclusive"
            parts[0] += " but the Granger test could not be run"
    parts = [p for p in parts if p]
    notes = _carried_note(e)
    return verdict, f"{verdict}: " + "; ".join(parts + notes)


def _crossover_verdict(e: PairEvidence) -> tuple[str, str]:
    lead, lag, who = e.lead, e.lag, e.favourite
    if lead.status == "no data" or lag.status == "no data":
        missing = [c.reason for c in (lead, lag) if c.status == "no data"]
        return NO_DATA, "; ".join(dict.fromkeys(missing))
    for series in (e.lead_series, e.lag_series):
        if series is not None and series.n_months < MIN_GRANGER_MONTHS:
            return "inconclusive", (
                f"{series.segment} has {series.n_months} months of data, fewer than the "
                f"{MIN_GRANGER_MONTHS} the Granger test needs"
            )
    if who is None:
        return "inconclusive", lead.reason
    if lag.leader is None:
        return "inconclusive", f"{e.leading} favours {who} but in {e.lagging} {lag.reason}"
    if lag.leader != who:
        return "contradicted", (
            f"{e.leading} favours {who} (since {_m(lead.month)}) but {e.lagging} favours "
            f"{lag.leader} ({lag.latest_share:.1%} in {_m(lag.latest_month)})"
        )
    if lead.status == "led throughout" and lag.status == "led throughout":
        return "inconclusive", (
            f"{who} has had more than half of both {e.leading} (from {_m(lead.first_month)}) "
            f"and {e.lagging} (from {_m(lag.first_month)}) throughout, so there is no "
            "crossover to time"
        )
    if lag.status == "led throughout":
        if lead.status == "crossed over" and lag.first_month < lead.month:
            return "contradicted", (
                f"{e.lagging} has favoured {who} since its first month, {_m(lag.first_month)}, "
                f"before {e.leading} crossed to it in {_m(lead.month)}"
            )
        return "inconclusive", (
            f"{e.leading} crossed to {who} in {_m(lead.month)} and {e.lagging} has favoured it "
            f"since its data begins in {_m(lag.first_month)}, so which came first is unknown"
        )
    if lead.status == "led throughout":
        if lag.month > lead.first_month:
            return "supported", (
                f"{e.leading} has favoured {who} since its first month, {_m(lead.first_month)}, "
                f"and {e.lagging} crossed to it in {_m(lag.month)}, at least "
                f"{lag.month - lead.first_month} months later"
            )
        return "inconclusive", (
            f"{e.lagging} crossed to {who} in {_m(lag.month)}, before {e.leading}'s data "
            f"begins in {_m(lead.first_month)}"
        )
    c = e.crossover_lag
    timing = (
        f"{e.leading} crossed to {who} in {_m(lead.month)} and {e.lagging} in {_m(lag.month)}, "
        f"{_months_apart(c.months)} ({_interval(c.low, c.high, c.never_share)})"
    )
    if c.low is not None and c.low > 0:
        return "supported", timing
    if c.high is not None and c.high < 0:
        return "contradicted", timing
    return "inconclusive", timing + ", an interval that includes zero"


def _months_apart(months: int) -> str:
    if months > 0:
        return f"{months} months later"
    if months < 0:
        return f"{-months} months earlier"
    return "the same month"


def _interval(low, high, never_share: float) -> str:
    if low is None:
        return "no interval"
    if high is None:
        return f"95% CI {low:.0f} months to never ({never_share:.1%} of resamples never crossed)"
    return f"95% CI {low:.0f} to {high:.0f} months"


def _alignment_text(e: PairEvidence) -> str:
    a = e.alignment
    if a is None or a.lag is None:
        return (
            f"the changes share fewer than {MIN_GRANGER_MONTHS} months at any lag, so no "
            "best-aligning lag"
        )
    return (
        f"the changes in log-odds align best at a lag of {a.lag} months "
        f"(95% CI {a.low:.0f} to {a.high:.0f}, correlation {a.correlation:.2f})"
    )


def _granger_text(e: PairEvidence) -> str:
    g = e.granger
    if g.f is None:
        return (
            f"the Granger test needs {MIN_GRANGER_MONTHS} months with both series and at most "
            f"{g.n_months} are available"
        )
    found = "improves" if g.p < e.alpha else "does not significantly improve"
    return (
        f"the past of {e.leading} {found} the prediction of {e.lagging} (Granger "
        f"F={g.f:.2f}, p={g.p:.3g} corrected for {g.shifts_tried} shifts tried, "
        f"{_plural(g.lags, 'lag')}, shift {g.shift} months, {g.n_months} months)"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _forecast_text(e: PairEvidence) -> str:
    f = e.forecasts
    if f is None or f.rmse_own is None:
        return "too few months for an out-of-sample check"
    change = f.improvement or 0.0
    word = "better" if change >= 0 else "worse"
    return (
        f"one-step forecasts with {e.leading} are {abs(change):.0%} {word} "
        f"(RMSE {f.rmse_with_lead * 100:.2f} vs {f.rmse_own * 100:.2f} share points, "
        f"{f.n_forecasts} forecasts)"
    )


def _placebo_text(e: PairEvidence) -> str:
    if e.placebo_rate is None:
        return ""
    text = (
        f"placebos find a link in {e.placebo_rate:.1%} of {e.placebo_runs} runs "
        f"at alpha {e.alpha:g}"
    )
    if e.placebo_rate > placebo_tolerance(e.alpha, e.placebo_runs):
        text += ", more often than alpha allows, so the Granger p-value overstates the evidence"
    return text


def placebo_tolerance(alpha: float, runs: int) -> float:
    """The highest placebo rate a test holding its level gives, beyond chance: alpha + 2 SE."""
    return alpha + 2 * math.sqrt(alpha * (1 - alpha) / max(runs, 1))


def _carried_note(e: PairEvidence) -> list[str]:
    """Which series have months without data, in one clause: the values are carried
    forward between them for the lead/lag tests only."""
    gaps = []
    for series in (e.lead_series, e.lag_series):
        if series is None or e.granger is None:
            continue
        span = int(series.months[-1] - series.months[0]) + 1
        if series.n_months < span:
            gaps.append(f"{series.segment} has data in {series.n_months} of {span} months")
    if not gaps:
        return []
    return [
        " and ".join(gaps) + ", carried forward between them for the lead/lag tests only, "
        "never for crossovers"
    ]
