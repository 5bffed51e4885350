"""Across rivalries: how often the research favourite becomes the industry favourite, and
how long it takes.

The unit of analysis is one rivalry, for one ordered pair of segments (leading, lagging:
research_code then industry_downloads, say) and one counting rule. From the two
segments' crossovers (marts.crossovers) each rivalry is one of:

- **supported**: the lagging segment came to favour the leading segment's favourite
  after the leading segment did; an event at lag = lagging crossover - leading crossover.
- **contradicted**: the lagging segment favoured it first (its crossover, or its whole
  record, comes before the leading crossover): the adoption went the other way.
- **open**: the lagging segment does not (yet) favour it. Not a failure and not a
  missing value: the lag is right-censored at the lagging segment's latest month.
- **order unknown**: both favour it, but a series starts too late to say which moved
  first (both led throughout their data, or the lagging crossover precedes the leading
  segment's first month).
- **no data**: one segment has no data, or the leading segment no majority.

The lag distribution is estimated by Kaplan-Meier (survival.py) over supported
(events) and open (censored) rivalries; contradicted ones have no positive lag and are
counted apart. "Research leads" is tested against chance with a two-sided sign test
over decided rivalries (supported or contradicted), with the Clopper-Pearson interval of
the share supported.

Independence: rivalries that share a technology share its series (pytorch-vs-tensorflow
and jax-vs-tensorflow both read TensorFlow), so they are not independent. Rivalries are
grouped into clusters (connected through shared technologies) and the sign test is
repeated with one vote per cluster, its majority (ties give no vote). The conclusion is
also recomputed leaving each rivalry out in turn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from scipy import stats

from uptake.analysis.survival import SurvivalCurve, kaplan_meier

SUPPORTED, CONTRADICTED, OPEN = "supported", "contradicted", "open"
RESEARCH_SEGMENTS = ("research_code", "research_mentions")
INDUSTRY = "industry_downloads"
ORDER_UNKNOWN, NO_DATA = "order unknown", "no data"
DECIDED = (SUPPORTED, CONTRADICTED)


@dataclass(frozen=True)
class RivalryOutcome:
    rivalry: str
    favourite: str | None
    outcome: str
    lag_months: int | None  # supported: the lag; open: months observed so far (censored)
    lead_month: date | None
    lag_month: date | None
    cluster: str
    why: str


@dataclass
class MetaResult:
    leading: str
    lagging: str
    rule: str
    outcomes: list[RivalryOutcome]
    curve: SurvivalCurve | None
    sign: SignTest
    cluster_sign: SignTest
    leave_one_out: list[tuple[str, SignTest]] = field(default_factory=list)
    alpha: float = 0.05

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def judged(self) -> list[RivalryOutcome]:
        """Rivalries with an outcome that says something: decided or open."""
        return [o for o in self.outcomes if o.outcome in (*DECIDED, OPEN)]

    @property
    def conclusion(self) -> str:
        if len(self.judged) == 1:
            return "one rivalry: nothing to generalise"
        return self.sign.conclusion(self.alpha)

    @property
    def headline(self) -> str:
        return headline(self)

    @property
    def survives(self) -> bool | None:
        """Whether every leave-one-out run reaches the same conclusion (None: none ran)."""
        if not self.leave_one_out:
            return None
        return all(test.conclusion(self.alpha) == self.conclusion for _, test in self.leave_one_out)


@dataclass(frozen=True)
class SignTest:
    supported: int
    decided: int
    p_value: float | None
    share_low: float | None
    share_high: float | None

    @property
    def share(self) -> float | None:
        return self.supported / self.decided if self.decided else None

    def conclusion(self, alpha: float) -> str:
        if not self.decided:
            return "undecided"
        if self.p_value is not None and self.p_value < alpha:
            return "research leads" if self.supported * 2 > self.decided else "industry leads"
        return "not distinguishable from chance"


def classify(lead: dict | None, lag: dict | None, cluster: str) -> RivalryOutcome:
    """One rivalry's outcome from its two crossover rows (marts.crossovers)."""
    rivalry = (lead or lag or {}).get("rivalry", "")

    def outcome(kind, why, lag_months=None, favourite=None):
        return RivalryOutcome(
            rivalry,
            favourite,
            kind,
            lag_months,
            (lead or {}).get("crossover_month"),
            (lag or {}).get("crossover_month"),
            cluster,
            why,
        )

    if not lead or not lead.get("leader"):
        status = (lead or {}).get("status") or "no data"
        return outcome(NO_DATA, f"the leading segment has {status}")
    if not lag or lag.get("status") == "no data":
        return outcome(NO_DATA, "the lagging segment has no data", favourite=lead["leader"])
    favourite, lead_month = lead["leader"], lead["crossover_month"]
    lead_throughout = lead["status"] == "led throughout"
    if lag.get("leader") != favourite:
        observed = _months_between(lead_month, lag["latest_month"])
        leader = lag.get("leader") or "no technology"
        return outcome(
            OPEN,
            f"{leader} leads the lagging segment in {lag['latest_month']:%Y-%m}",
            max(observed, 0),
            favourite,
        )
    lag_month, lag_throughout = lag["crossover_month"], lag["status"] == "led throughout"
    if lag_throughout and lead_throughout:
        return outcome(ORDER_UNKNOWN, "both segments favour it throughout", favourite=favourite)
    if lag_month > lead_month:
        return outcome(
            SUPPORTED,
            "the lagging segment followed",
            _months_between(lead_month, lag_month),
            favourite,
        )
    if lead_throughout:
        return outcome(
            ORDER_UNKNOWN,
            "the lagging segment crossed before the leading segment's data begins",
            favourite=favourite,
        )
    return outcome(CONTRADICTED, "the lagging segment favoured it first", favourite=favourite)


def meta_analysis(
    crossovers: list[dict],
    technologies: dict[str, tuple[str, ...]],
    leading: str,
    lagging: str,
    rule: str,
    alpha: float = 0.05,
) -> MetaResult:
    """The meta-analysis of one pair of segments under one rule."""
    rows = {(r["rivalry"], r["segment"]): r for r in crossovers}
    clusters = technology_clusters(technologies)
    outcomes = [
        classify(rows.get((rivalry, leading)), rows.get((rivalry, lagging)), clusters[rivalry])
        for rivalry in sorted(technologies)
    ]
    result = _summarise(outcomes, leading, lagging, rule, alpha)
    if len([o for o in outcomes if o.outcome in DECIDED]) > 1:
        result.leave_one_out = [
            (o.rivalry, sign_test([x for x in outcomes if x.rivalry != o.rivalry]))
            for o in outcomes
            if o.outcome != NO_DATA
        ]
    return result


def _summarise(outcomes, leading, lagging, rule, alpha) -> MetaResult:
    timed = [o for o in outcomes if o.outcome in (SUPPORTED, OPEN)]
    curve = (
        kaplan_meier([o.lag_months for o in timed], [o.outcome == SUPPORTED for o in timed], alpha)
        if timed
        else None
    )
    return MetaResult(
        leading,
        lagging,
        rule,
        outcomes,
        curve,
        sign_test(outcomes, alpha),
        cluster_sign_test(outcomes, alpha),
        alpha=alpha,
    )


def sign_test(outcomes: list[RivalryOutcome], alpha: float = 0.05) -> SignTest:
    supported = sum(1 for o in outcomes if o.outcome == SUPPORTED)
    decided = sum(1 for o in outcomes if o.outcome in DECIDED)
    return _binomial(supported, decided, alpha)


def cluster_sign_test(outcomes: list[RivalryOutcome], alpha: float = 0.05) -> SignTest:
    """One vote per cluster of rivalries sharing technologies: its decided majority."""
    votes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        if o.outcome in DECIDED:
            votes[o.cluster][o.outcome == CONTRADICTED] += 1
    supported = sum(1 for s, c in votes.values() if s > c)
    decided = sum(1 for s, c in votes.values() if s != c)
    return _binomial(supported, decided, alpha)


def _binomial(supported: int, decided: int, alpha: float) -> SignTest:
    if not decided:
        return SignTest(0, 0, None, None, None)
    test = stats.binomtest(supported, decided, 0.5)
    interval = test.proportion_ci(confidence_level=1 - alpha, method="exact")
    return SignTest(supported, decided, float(test.pvalue), interval.low, interval.high)


def technology_clusters(technologies: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """rivalry -> its cluster's name (the cluster's first rivalry, alphabetically)."""
    parent = {r: r for r in technologies}

    def root(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    by_technology: dict[str, list[str]] = defaultdict(list)
    for rivalry, techs in technologies.items():
        for tech in techs:
            by_technology[tech].append(rivalry)
    for rivalries in by_technology.values():
        for other in rivalries[1:]:
            a, b = root(rivalries[0]), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {r: root(r) for r in technologies}


def _months_between(first: date, second: date) -> int:
    return (second.year - first.year) * 12 + second.month - first.month


def headline_result(results: list[MetaResult], rule: str = "main") -> MetaResult | None:
    """The answer to lead with: research against industry, from the research segment that
    can judge the most rivalries (decided or open), papers' code on a tie."""
    candidates = [
        r
        for r in results
        if r.rule == rule and r.lagging == INDUSTRY and r.leading in RESEARCH_SEGMENTS
    ]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda r: (r.sign.decided + r.count(OPEN), -RESEARCH_SEGMENTS.index(r.leading)),
    )


def summary_row(result: MetaResult, is_headline: bool = False) -> dict:
    """One row of marts.meta_analysis."""
    curve, sign, clusters = result.curve, result.sign, result.cluster_sign
    loo = [test.p_value for _, test in result.leave_one_out if test.p_value is not None]
    return {
        "leading_segment": result.leading,
        "lagging_segment": result.lagging,
        "rule": result.rule,
        "rivalries": len(result.outcomes),
        "supported": result.count(SUPPORTED),
        "contradicted": result.count(CONTRADICTED),
        "open": result.count(OPEN),
        "order_unknown": result.count(ORDER_UNKNOWN),
        "no_data": result.count(NO_DATA),
        "share_supported": sign.share,
        "share_low": sign.share_low,
        "share_high": sign.share_high,
        "sign_p": sign.p_value,
        "clusters_decided": clusters.decided,
        "clusters_supported": clusters.supported,
        "cluster_sign_p": clusters.p_value,
        "median_lag_months": curve.median if curve else None,
        "median_lag_low": curve.median_low if curve else None,
        "median_lag_high": curve.median_high if curve else None,
        "leave_one_out_p_min": min(loo) if loo else None,
        "leave_one_out_p_max": max(loo) if loo else None,
        "survives_leave_one_out": result.survives,
        "conclusion": result.conclusion,
        "headline": headline(result),
        "is_headline": is_headline,
    }


def rivalry_rows(result: MetaResult) -> list[dict]:
    """Rows of marts.meta_rivalries: each rivalry's outcome in this meta-analysis."""
    return [
        {
            "leading_segment": result.leading,
            "lagging_segment": result.lagging,
            "rule": result.rule,
            "rivalry": o.rivalry,
            "cluster": o.cluster,
            "favourite": o.favourite,
            "outcome": o.outcome,
            "lag_months": o.lag_months,
            "censored": o.outcome == OPEN,
            "lead_crossover": o.lead_month if o.outcome != NO_DATA else None,
            "lag_crossover": o.lag_month if o.outcome in (SUPPORTED, CONTRADICTED) else None,
            "why": o.why,
        }
        for o in result.outcomes
    ]


def survival_rows(result: MetaResult) -> list[dict]:
    """Rows of marts.meta_survival: the Kaplan-Meier curve, starting at 1 at lag 0."""
    curve = result.curve
    if curve is None:
        return []
    key = {"leading_segment": result.leading, "lagging_segment": result.lagging}
    start = {**key, "lag_months": 0.0, "at_risk": None, "events": 0}
    rows = [{**start, "survival": 1.0, "survival_low": 1.0, "survival_high": 1.0}]
    for i, t in enumerate(curve.times):
        rows.append(
            {
                **key,
                "lag_months": float(t),
                "at_risk": int(curve.at_risk[i]),
                "events": int(curve.events[i]),
                "survival": float(curve.survival[i]),
                "survival_low": float(curve.low[i]),
                "survival_high": float(curve.high[i]),
            }
        )
    return [{**row, "rule": result.rule} for row in rows]


def headline(result: MetaResult) -> str:
    """The answer in one sentence, computed from the numbers."""
    sign, curve = result.sign, result.curve
    opened = result.count(OPEN)
    if len(result.judged) == 1:
        only = result.judged[0]
        return (
            f"Only {only.rivalry} can be judged from {result.leading} to {result.lagging} "
            f"({only.outcome}): one rivalry is an anecdote, and no rate or median can be "
            "generalised from it."
        )
    if not sign.decided and not opened:
        return (
            f"No rivalry can be judged from {result.leading} to {result.lagging}: "
            f"{result.count(NO_DATA)} lack data, {result.count(ORDER_UNKNOWN)} share a "
            "favourite in an order the data cannot tell."
        )
    parts = [
        f"Of {sign.decided} rivalries decided from {result.leading} to {result.lagging}, "
        f"the research favourite became the industry favourite in {sign.supported} and "
        f"went the other way in {sign.decided - sign.supported}"
    ]
    if sign.p_value is not None:
        parts.append(
            f" ({sign.share:.0%}, 95% CI {sign.share_low:.0%} to {sign.share_high:.0%}; "
            f"sign test p = {sign.p_value:.2g}: {result.conclusion})"
        )
    parts.append(f"; {opened} still open")
    if curve is not None and curve.median is not None:
        high = f"{curve.median_high:.0f}" if curve.median_high is not None else "not reached"
        parts.append(
            f"; median lag {curve.median:.0f} months (95% CI {curve.median_low:.0f} to {high})"
        )
    elif curve is not None:
        parts.append("; the median lag is not reached (fewer than half have followed)")
    return "".join(parts) + "."
