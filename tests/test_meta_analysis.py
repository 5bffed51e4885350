"""The meta-analysis across rivalries: Kaplan-Meier with censoring, the sign test, clusters
of rivalries sharing a technology, leave-one-out, and synthetic studies with known answers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from uptake.analysis import meta
from uptake.analysis.survival import kaplan_meier

# Freireich's 6-MP arm: remission times in weeks, + for censored (Gehan 1965).
SIX_MP = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [True] * 9 + [False] * 12


def test_kaplan_meier_gives_the_published_6mp_estimates():
    curve = kaplan_meier(SIX_MP, SIX_MP_EVENT)

    assert curve.times.tolist() == [6, 7, 10, 13, 16, 22, 23]
    assert curve.survival.round(3).tolist() == [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    # Greenwood with the log-log transform (the textbook and lifelines' default band)
    assert curve.low[0] == pytest.approx(0.6197, abs=1e-4)
    assert curve.high[0] == pytest.approx(0.9516, abs=1e-4)
    assert (curve.median, curve.median_low, curve.median_high) == (23, 13, None)


def test_without_censoring_kaplan_meier_is_the_empirical_survival():
    times = [3, 5, 5, 8, 12]
    curve = kaplan_meier(times, [True] * 5)

    assert curve.survival.tolist() == pytest.approx([0.8, 0.4, 0.2, 0.0])
    assert curve.median == 5
    assert np.all(curve.low <= curve.survival) and np.all(curve.survival <= curve.high)


# -- synthetic studies ---------------------------------------------------------------------


def crossing(rivalry, segment, leader, month, status="crossed over", latest=date(2026, 1, 1)):
    return {
        "rivalry": rivalry,
        "segment": segment,
        "leader": leader,
        "status": status,
        "crossover_month": month,
        "first_month": date(2015, 1, 1) if status == "led throughout" else date(2014, 1, 1),
        "latest_month": latest,
    }


def study(outcomes: list[tuple[str, int | None]]) -> tuple[list[dict], dict]:
    """Rivalries r0, r1, ... (no shared technology), each with a research crossover in
    2018-01 and an industry segment that follows after `lag` months ('supported'),
    crossed first ('contradicted') or still favours the other ('open')."""
    rows, technologies = [], {}
    for i, (kind, lag) in enumerate(outcomes):
        rivalry = f"r{i}"
        technologies[rivalry] = (f"a{i}", f"b{i}")
        rows.append(crossing(rivalry, "research", f"a{i}", date(2018, 1, 1)))
        if kind == "supported":
            month = date(2018 + (lag // 12), 1 + lag % 12, 1)
            rows.append(crossing(rivalry, "industry", f"a{i}", month))
        elif kind == "contradicted":
            rows.append(crossing(rivalry, "industry", f"a{i}", date(2016, 5, 1)))
        else:
            rows.append(crossing(rivalry, "industry", f"b{i}", date(2015, 1, 1), "led throughout"))
    return rows, technologies


def analyse(outcomes):
    rows, technologies = study(outcomes)
    return meta.meta_analysis(rows, technologies, "research", "industry", "main")


def test_all_supported_with_a_known_lag_recovers_it():
    result = analyse([("supported", 24)] * 6 + [("supported", 30)] * 3)

    assert result.count(meta.SUPPORTED) == 9
    assert result.curve.median == 24
    assert result.curve.median_low <= 24 <= (result.curve.median_high or np.inf)
    assert result.sign.p_value == pytest.approx(2 / 2**9)
    assert result.conclusion == "research leads"
    assert result.survives is True


def test_all_open_leaves_the_median_unreached_and_nothing_decided():
    result = analyse([("open", None)] * 5)

    assert result.count(meta.OPEN) == 5
    assert result.curve.median is None
    assert result.conclusion == "undecided"
    assert "still open" in meta.headline(result) and "not reached" in meta.headline(result)
    censored = meta.rivalry_rows(result)[0]
    assert censored["censored"] and censored["lag_months"] == 96  # 2018-01 to 2026-01


def test_a_mix_uses_the_open_rivalries_as_censored_not_as_failures():
    result = analyse([("supported", 10)] * 5 + [("open", None)] * 5)

    # 5 of 10 followed by month 10 and the rest are still being watched at 96 months
    assert result.curve.survival.tolist() == [0.5]
    assert result.curve.median == 10
    assert result.sign.decided == 5  # open ones are not decided
    # Dropping the open ones would claim every rivalry followed by month 10.
    assert result.curve.at_risk.tolist() == [10]


def test_a_mix_with_contradicted_cases_counts_each_once():
    result = analyse([("supported", 6)] * 3 + [("contradicted", None)] * 2 + [("open", None)] * 2)

    assert (result.sign.supported, result.sign.decided) == (3, 5)
    assert result.count(meta.OPEN) == 2
    # Contradicted rivalries have no positive lag: only supported and open are timed.
    assert result.curve.at_risk.tolist() == [5]
    assert result.curve.median == 6
    assert "in 3 and went the other way in 2" in meta.headline(result)


def test_one_rivalry_is_not_generalised():
    result = analyse([("supported", 12)])

    assert result.conclusion == "one rivalry: nothing to generalise"
    assert "one rivalry is an anecdote" in meta.headline(result)


def test_all_contradicted_says_industry_leads():
    result = analyse([("contradicted", None)] * 8)

    assert result.conclusion == "industry leads"
    assert result.sign.share == 0 and result.sign.share_high < 0.5
    assert result.curve is None


def test_a_conclusion_resting_on_one_rivalry_does_not_survive_leave_one_out():
    result = analyse([("supported", 12)] * 6)

    assert result.sign.p_value == pytest.approx(2 / 2**6)  # 0.031
    assert result.conclusion == "research leads"
    assert result.survives is False  # any five give p = 0.0625
    assert meta.summary_row(result)["leave_one_out_p_max"] == pytest.approx(2 / 2**5)


# -- classification and clusters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("lead", "lag", "outcome", "lag_months"),
    [
        (crossing("r", "research", "a", date(2019, 6, 1)), crossing("r", "industry", "a", date(2024, 3, 1)), meta.SUPPORTED, 57),
        (crossing("r", "research", "a", date(2019, 6, 1)), crossing("r", "industry", "a", date(2018, 1, 1)), meta.CONTRADICTED, None),
        (crossing("r", "research", "a", date(2019, 6, 1)), crossing("r", "industry", "a", date(2015, 1, 1), "led throughout"), meta.CONTRADICTED, None),
        (crossing("r", "research", "a", date(2017, 1, 1), "led throughout"), crossing("r", "industry", "a", date(2020, 1, 1)), meta.SUPPORTED, 36),
        (crossing("r", "research", "a", date(2017, 1, 1), "led throughout"), crossing("r", "industry", "a", date(2016, 1, 1)), meta.ORDER_UNKNOWN, None),
        (crossing("r", "research", "a", date(2017, 1, 1), "led throughout"), crossing("r", "industry", "a", date(2018, 1, 1), "led throughout"), meta.ORDER_UNKNOWN, None),
        (crossing("r", "research", "a", date(2019, 6, 1)), crossing("r", "industry", "b", date(2015, 1, 1), "led throughout", date(2020, 6, 1)), meta.OPEN, 12),
        (crossing("r", "research", None, None, "no majority"), crossing("r", "industry", "a", date(2018, 1, 1)), meta.NO_DATA, None),
        (crossing("r", "research", "a", date(2019, 6, 1)), None, meta.NO_DATA, None),
    ],
)  # fmt: skip
def test_each_rivalry_gets_one_outcome(lead, lag, outcome, lag_months):
    found = meta.classify(lead, lag, "r")

    assert (found.outcome, found.lag_months) == (outcome, lag_months)


def test_rivalries_sharing_a_technology_form_one_cluster_and_vote_once():
    technologies = {
        "pytorch-vs-tensorflow": ("pytorch", "tensorflow"),
        "jax-vs-tensorflow": ("jax", "tensorflow"),
        "pytorch-vs-jax": ("jax", "pytorch"),
        "pandas-vs-polars": ("pandas", "polars"),
        "flask-vs-fastapi": ("fastapi", "flask"),
    }
    clusters = meta.technology_clusters(technologies)

    assert clusters == {
        "pytorch-vs-tensorflow": "jax-vs-tensorflow",
        "jax-vs-tensorflow": "jax-vs-tensorflow",
        "pytorch-vs-jax": "jax-vs-tensorflow",
        "pandas-vs-polars": "pandas-vs-polars",
        "flask-vs-fastapi": "flask-vs-fastapi",
    }
    outcomes = [
        meta.RivalryOutcome(r, "x", meta.SUPPORTED, 1, None, None, clusters[r], "")
        for r in technologies
    ]
    votes = meta.cluster_sign_test(outcomes)
    assert (votes.supported, votes.decided) == (3, 3)  # five rivalries, three votes


# -- the real demo warehouse -----------------------------------------------------------------


def test_the_demo_meta_analysis_has_every_rivalry_and_the_readme_quotes_it(demo_warehouse):
    from pathlib import Path

    from uptake.study import load_study
    from uptake.warehouse import Warehouse

    root = Path(__file__).resolve().parent.parent
    rivalries = set(load_study(root / "study.toml").rivalries)
    with Warehouse.open(demo_warehouse, read_only=True) as warehouse:
        con = warehouse.con
        pairs = con.execute(
            "select leading_segment, lagging_segment, rivalries, supported + contradicted"
            " + open + order_unknown + no_data from marts.meta_analysis where rule = 'main'"
        ).fetchall()
        found = set(
            r[0]
            for r in con.execute(
                "select rivalry from marts.meta_rivalries where rule = 'main'"
                " and leading_segment = 'research_code' and lagging_segment = 'industry_downloads'"
            ).fetchall()
        )
        headline, rivalry_count = con.execute(
            "select headline, rivalries from marts.meta_analysis where rule = 'main' and is_headline"
        ).fetchone()

    assert len(pairs) == 6  # every ordered pair of the four segments
    assert all(total == count == len(rivalries) for *_, count, total in pairs)
    assert found == rivalries
    readme = (root / "README.md").read_text()
    assert f"Across {rivalry_count} rivalries: {headline}" in readme
