import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import SHARED_DATA
from uptake.analysis import AnalysisError, analyze, synthetic, tables
from uptake.analysis.crossovers import NEVER, crossover_months
from uptake.analysis.granger import MIN_GRANGER_MONTHS
from uptake.analysis.synthetic import SegmentSpec, write_synthetic_study
from uptake.analysis.verdicts import placebo_tolerance
from uptake.study import load_study
from uptake.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
ANALYSIS_TABLES = list(tables.TABLES)
START = dt.date(2015, 1, 1)  # month 0 of the synthetic study


def month(offset: int) -> dt.date:
    return dt.date(START.year + offset // 12, offset % 12 + 1, 1)


def table_contents(warehouse) -> dict:
    return {
        name: warehouse.con.execute(f"select * from {name}").fetchall() for name in ANALYSIS_TABLES
    }


def only(rows, **match):
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    """Research crosses at month 24; industry follows the same curve 30 months later."""
    path = tmp_path_factory.mktemp("synthetic") / "w.duckdb"
    with Warehouse.open(path) as warehouse:
        write_synthetic_study(warehouse.con)
        result = analyze(warehouse, seed=11)
    return path, result


# --- the crossover rule -------------------------------------------------------------


@pytest.mark.parametrize(
    "shares, months, blip_months, expected",
    [
        ([0.4, 0.45, 0.6, 0.7], [0, 1, 2, 3], 2, 2),  # crossed over
        ([0.6, 0.7, 0.8], [0, 1, 2], 2, 0),  # led throughout
        ([0.4, 0.6, 0.45, 0.6, 0.6], [0, 1, 2, 3, 4], 2, 1),  # a one-month blip is forgiven
        ([0.4, 0.6, 0.45, 0.6, 0.6], [0, 1, 2, 3, 4], 0, 3),  # ... unless blips are not
        ([0.4, 0.6, 0.4, 0.4, 0.4, 0.6], [0, 1, 2, 3, 4, 5], 2, 5),  # three months undo it
        ([0.6, 0.4, 0.6, 0.6], [0, 1, 6, 7], 2, 6),  # a dip into a gap lasts until the data
        ([0.4, 0.6, 0.7, 0.45], [0, 1, 2, 3], 2, NEVER),  # a dip at the end never ends
        ([0.55, 0.1, 0.1, 0.51, 0.51], [0, 1, 2, 3, 4], 2, 3),  # the rest must average > 1/2
        ([0.4, 0.5, 0.5], [0, 1, 2], 2, NEVER),  # exactly one half is not above it
    ],
)
def test_crossover_rule(shares, months, blip_months, expected):
    found = crossover_months(np.array(shares), np.array(months), blip_months)

    assert found[0] == expected


# --- a synthetic study with a known lag ------------------------------------------------


def test_synthetic_crossovers_are_found_at_their_months(synthetic_run):
    _, result = synthetic_run

    research = only(result.crossovers, segment="research_mentions")
    industry = only(result.crossovers, segment="industry_downloads")

    assert (research["status"], research["crossover_month"]) == ("crossed over", month(24))
    assert (industry["status"], industry["crossover_month"]) == ("crossed over", month(54))
    assert research["crossover_low"] <= month(24) <= research["crossover_high"]
    assert industry["crossover_low"] <= month(54) <= industry["crossover_high"]


def test_synthetic_lag_is_30_months_by_every_measure(synthetic_run):
    _, result = synthetic_run

    row = only(result.hypotheses, leading_segment="research_mentions")

    assert row["lag_months"] == 30
    assert row["lag_low"] <= 30 <= row["lag_high"]
    assert row["lag_high"] - row["lag_low"] <= 6
    assert abs(row["best_alignment_lag"] - 30) <= 2
    assert row["best_alignment_low"] <= 30 <= row["best_alignment_high"]
    assert row["granger_p"] < 0.01
    assert abs(row["granger_shift"] - 30) <= 2
    assert row["n_months"] >= 60
    assert row["oos_rmse_with_lead"] < row["oos_rmse_own"]
    assert row["verdict"] == "supported"
    assert row["reason"].startswith(
        "supported: research_mentions crossed to lead00 in 2017-01 and industry_downloads "
        "in 2019-07, 30 months later (95% CI "
    )


def test_placebos_find_no_more_links_than_alpha(synthetic_run):
    _, result = synthetic_run

    row = only(result.hypotheses, leading_segment="research_mentions")
    placebo = only(result.placebos, kind="time_shuffled")

    assert placebo["runs"] == 200
    assert row["placebo_rate"] == placebo["rate"]
    assert placebo["rate"] <= placebo_tolerance(0.05, 200)


def test_unrelated_rivalries_swapped_in_find_no_link_beyond_alpha(tmp_path):
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        write_synthetic_study(warehouse.con, rivalries=12)
        result = analyze(warehouse, resamples=50, placebo_runs=20)

    swapped = [p for p in result.placebos if p["kind"] == "swapped_rivalry"]
    runs = sum(p["runs"] for p in swapped)
    detections = sum(p["detections"] for p in swapped)

    assert runs == 12 * 11
    assert detections / runs <= placebo_tolerance(0.05, runs)


def test_sparse_research_is_carried_forward_for_alignment_only(tmp_path):
    conference_months = (5, 6, 8, 11, 12)
    segments = (
        SegmentSpec("research_mentions", 0, 0, 95, is_count=True, months_of_year=conference_months),
        SegmentSpec("industry_downloads", 30, 12, 119),
    )
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        write_synthetic_study(warehouse.con, segments=segments)
        result = analyze(warehouse, resamples=200, placebo_runs=50)

    research = only(result.crossovers, segment="research_mentions")
    row = only(result.hypotheses, leading_segment="research_mentions")

    assert research["crossover_month"].month in conference_months  # never an invented month
    assert research["crossover_month"] >= month(24)
    assert row["verdict"] == "supported"
    assert abs(row["best_alignment_lag"] - 30) <= 3
    assert (
        "research_mentions has data in 40 of 92 months, carried forward between them for the "
        "lead/lag tests only, never for crossovers"
    ) in row["reason"]


def test_blips_zero_gives_the_unbroken_run_of_rivalry_leaders(real_warehouse):
    with Warehouse.open(real_warehouse) as warehouse:
        result = analyze(warehouse, blip_months=0, resamples=20, placebo_runs=0, write=False)
        leaders = warehouse.con.execute(
            "select rivalry, segment, leader, leading_since from marts.rivalry_leaders"
        ).fetchall()

    for rivalry, segment, leader, since in leaders:
        row = only(result.crossovers, rivalry=rivalry, segment=segment, rule="main")
        assert (row["leader"], row["crossover_month"]) == (leader, since)


# --- determinism and writing -----------------------------------------------------------


def test_the_same_seed_gives_identical_tables(tmp_path):
    contents = []
    for name in ("a", "b"):
        with Warehouse.open(tmp_path / f"{name}.duckdb") as warehouse:
            write_synthetic_study(warehouse.con)
            analyze(warehouse, resamples=200, placebo_runs=40, seed=5)
            contents.append(table_contents(warehouse))

    assert contents[0] == contents[1]
    assert all(contents[0][name] for name in ANALYSIS_TABLES)


def test_a_failing_write_leaves_the_previous_results(tmp_path, monkeypatch):
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        write_synthetic_study(warehouse.con)
        analyze(warehouse, resamples=50, placebo_runs=10)
        before = table_contents(warehouse)
        broken = {**tables.TABLES, "marts.zz_broken": (tables.ANALYSIS_SETTINGS, "no_column")}
        monkeypatch.setattr(tables, "TABLES", broken)

        with pytest.raises(Exception, match="no_column"):
            tables.write_tables(warehouse.con, {name: [] for name in broken}, ["main"])

        assert table_contents(warehouse) == before
        assert not warehouse.table_exists("marts.zz_broken")


def test_another_rule_sits_beside_main(tmp_path):
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        write_synthetic_study(warehouse.con)
        analyze(warehouse, resamples=50, placebo_runs=10)
        analyze(warehouse, resamples=50, placebo_runs=10, rule="no_blips", blip_months=0)
        analyze(warehouse, resamples=50, placebo_runs=10)
        rules = warehouse.con.execute(
            "select rule, count(*) from marts.hypothesis_results group by rule order by rule"
        ).fetchall()

    assert rules == [("main", 1), ("no_blips", 1)]


def test_bad_settings_are_refused_in_one_line(warehouse):
    with pytest.raises(AnalysisError, match="resamples must be at least 1, not 0; alpha"):
        analyze(warehouse, resamples=0, alpha=2)


# --- bad input ---------------------------------------------------------------------------


def test_an_empty_warehouse_says_what_is_missing(warehouse):
    study = load_study(ROOT / "study.toml")
    result = analyze(warehouse, study=study)

    assert result.message is None
    # each rivalry: research_mentions -> industry_downloads
    assert len(result.hypotheses) == len(study.rivalries)
    for row in result.hypotheses:
        assert row["verdict"] == "no data"
        assert row["reason"] == (
            "no data: the warehouse has no shares yet: marts.rivalry_shares and "
            "marts.adoption_monthly are not built (run `uptake build`)"
        )
        assert row["lag_months"] is None and row["granger_f"] is None
    assert warehouse.table_exists("marts.hypothesis_results")


def test_a_warehouse_without_a_study_says_so(warehouse):
    result = analyze(warehouse)

    assert result.hypotheses == []
    assert result.message == "the warehouse holds no study and none was given: run `uptake build`"


def drop(warehouse, segment: str, *technologies: str) -> None:
    for technology in technologies:
        for table in ("marts.adoption_monthly", "marts.rivalry_shares"):
            warehouse.con.execute(
                f"delete from {table} where segment = ? and technology = ?", [segment, technology]
            )
    warehouse.con.execute(
        "delete from marts.rivalry_shares where segment = ? and rivalry in "
        "(select rivalry from meta.study_rivalries where technology in "
        f"({', '.join('?' * len(technologies))}))",
        [segment, *technologies],
    )


def test_a_rivalry_with_one_segment_only(warehouse):
    write_synthetic_study(warehouse.con, rivalries=2)
    drop(warehouse, "research_mentions", "lead01", "rival01")

    result = analyze(warehouse, resamples=50, placebo_runs=10)

    row = only(result.hypotheses, rivalry="lead01-vs-rival01")
    assert row["reason"] == (
        "no data: research_mentions has no data for lead01, rival01, so "
        "lead01-vs-rival01 has no shares there"
    )
    assert row["lag_months"] is None and row["best_alignment_lag"] is None
    assert only(result.hypotheses, rivalry="lead00-vs-rival00")["verdict"] == "supported"
    assert only(result.crossovers, rivalry="lead01-vs-rival01", segment="research_mentions")[
        "status"
    ] == ("no data")


def test_a_technology_with_no_data(warehouse):
    write_synthetic_study(warehouse.con)
    drop(warehouse, "industry_downloads", "rival00")

    result = analyze(warehouse, resamples=50, placebo_runs=10)

    row = only(result.hypotheses, rivalry="lead00-vs-rival00")
    assert row["verdict"] == "no data"
    assert row["reason"] == (
        "no data: industry_downloads has no data for rival00, so lead00-vs-rival00 has "
        "no shares there"
    )


def test_a_segment_with_three_months(warehouse):
    segments = (
        SegmentSpec("research_mentions", 0, 0, 95, is_count=True),
        SegmentSpec("research_code", 6, 40, 42, is_count=True),
        SegmentSpec("industry_downloads", 30, 12, 119),
    )
    write_synthetic_study(warehouse.con, segments=segments)

    result = analyze(warehouse, resamples=50, placebo_runs=10)

    code = only(result.crossovers, segment="research_code")
    assert code["n_months"] == 3
    for leading, lagging in (
        ("research_mentions", "research_code"),
        ("research_code", "industry_downloads"),
    ):
        row = only(result.hypotheses, leading_segment=leading, lagging_segment=lagging)
        assert row["verdict"] == "inconclusive"
        assert row["reason"] == (
            "inconclusive: research_code has 3 months of data, fewer than the "
            f"{MIN_GRANGER_MONTHS} the Granger test needs"
        )
        assert row["granger_f"] is None and row["best_alignment_lag"] is None
    main = only(
        result.hypotheses,
        leading_segment="research_mentions",
        lagging_segment="industry_downloads",
    )
    assert main["verdict"] == "supported"


# --- the real data ---------------------------------------------------------------------------


def add_research_mentions_if_missing(warehouse) -> None:
    """Until marts.adoption_monthly unions the research segments, add research_mentions from
    its intermediate model and rebuild the two marts above it with their own SQL."""
    from uptake.models import discover_models

    con = warehouse.con
    present = con.execute(
        "select count(*) from marts.adoption_monthly where segment = 'research_mentions'"
    ).fetchone()[0]
    if present:
        return
    con.execute(
        "insert into marts.adoption_monthly by name "
        "select * from intermediate.int_segment__research_mentions"
    )
    models = {m.name: m for m in discover_models()}
    for name in ("marts.rivalry_shares", "marts.rivalry_leaders"):
        con.execute(f"create or replace table {name} as {models[name].sql}")


@pytest.fixture(scope="module")
def real_warehouse(tmp_path_factory):
    """Every real top-PyPI snapshot and the conference papers, built, research included."""
    from tests.test_top_pypi import load_paths
    from uptake.models import build_models
    from uptake.sources.conference_papers import load_conference_papers

    assert SHARED_DATA.is_dir(), f"real data missing: expected {SHARED_DATA} (see README)"
    path = tmp_path_factory.mktemp("real") / "w.duckdb"
    with Warehouse.open(path) as warehouse:
        load_paths(warehouse, [SHARED_DATA / "top-pypi-packages"])
        load_conference_papers(warehouse, [SHARED_DATA / "conference-papers"])
        warehouse.sync_study(load_study(ROOT / "study.toml"))
        build_models(warehouse.con)
        add_research_mentions_if_missing(warehouse)
    return path


@pytest.fixture(scope="module")
def real_run(real_warehouse):
    with Warehouse.open(real_warehouse) as warehouse:
        return analyze(warehouse)


def test_real_data_research_crossed_to_pytorch_in_2019_and_industry_in_2024_03(real_run):
    research = only(
        real_run.crossovers,
        rivalry="pytorch-vs-tensorflow",
        segment="research_mentions",
        rule="main",
    )
    industry = only(
        real_run.crossovers,
        rivalry="pytorch-vs-tensorflow",
        segment="industry_downloads",
        rule="main",
    )

    assert (research["leader"], research["status"]) == ("pytorch", "crossed over")
    assert research["crossover_month"].year == 2019
    assert research["crossover_month"] == dt.date(2019, 6, 1)  # CVPR, ICML, NAACL 2019
    assert (industry["leader"], industry["crossover_month"]) == ("pytorch", dt.date(2024, 3, 1))
    for row in (research, industry):
        assert row["crossover_low"] <= row["crossover_month"] <= row["crossover_high"]


def test_real_data_research_leads_industry_by_about_five_years(real_run):
    row = only(
        real_run.hypotheses,
        rivalry="pytorch-vs-tensorflow",
        leading_segment="research_mentions",
        lagging_segment="industry_downloads",
        rule="main",
    )

    assert (row["lead_crossover"], row["lag_crossover"]) == (
        dt.date(2019, 6, 1),
        dt.date(2024, 3, 1),
    )
    assert row["lag_months"] == 57
    assert row["lag_low"] <= row["lag_months"] <= row["lag_high"]
    assert row["n_months"] >= MIN_GRANGER_MONTHS
    assert row["verdict"] == "supported"
    assert row["reason"].startswith(
        "supported: research_mentions crossed to pytorch in 2019-06 and industry_downloads "
        "in 2024-03, 57 months later (95% CI "
    )


def test_real_data_counting_rules_sit_beside_the_main_result(real_run):
    rows = {
        r["rule"]: r
        for r in real_run.hypotheses
        if r["rivalry"] == "pytorch-vs-tensorflow" and r["leading_segment"] == "research_mentions"
    }

    assert sorted(rows) == ["listed_papers", "main", "unaffiliated_papers"]
    for row in rows.values():
        assert row["lead_crossover"].year == 2019
        assert row["lag_crossover"] == dt.date(2024, 3, 1)
        assert row["lag_low"] <= row["lag_months"] <= row["lag_high"]
    # the per-paper lists end in mid-2019: the research series is shorter under those rules
    assert rows["unaffiliated_papers"]["n_months"] < rows["main"]["n_months"]


def test_real_data_rivalries_without_research_data_say_so(real_run):
    row = only(real_run.hypotheses, rivalry="pandas-vs-polars", rule="main")

    assert row["reason"] == (
        "no data: research_mentions has no data for pandas, polars, so pandas-vs-polars "
        "has no shares there"
    )


# --- the command and the flow --------------------------------------------------------------


def uptake_with_analyze() -> click.Group:
    """The uptake group with `analyze` registered, without changing the shared group."""
    from uptake.cli import UptakeGroup, analysis_commands
    from uptake.cli import cli as uptake_cli

    group = UptakeGroup(
        name="uptake",
        params=uptake_cli.params,
        callback=uptake_cli.callback,
        commands=dict(uptake_cli.commands),
        context_settings=uptake_cli.context_settings,
    )
    analysis_commands.register(group)
    return group


def test_analyze_command_prints_the_verdicts(tmp_path):
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as warehouse:
        write_synthetic_study(warehouse.con)

    result = CliRunner().invoke(
        uptake_with_analyze(),
        ["--db", str(db), "analyze", "--resamples", "200", "--seed", "7"],
        catch_exceptions=False,
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "rivalry", "leading", "lagging", "rule", "favourite", "lead", "lag", "lag_months",
        "verdict",
    ]  # fmt: skip
    assert lines[2].split()[:7] == [
        "lead00-vs-rival00", "research_mentions", "industry_downloads", "main", "lead00",
        "2017-01", "2019-07",
    ]  # fmt: skip
    assert lines[2].endswith("supported")
    assert lines[4].startswith(
        "lead00-vs-rival00, research_mentions -> industry_downloads: supported: "
    )


def test_analyze_command_refuses_a_bad_option_in_one_line(tmp_path):
    result = CliRunner().invoke(
        uptake_with_analyze(), ["--db", str(tmp_path / "w.duckdb"), "analyze", "--resamples", "0"]
    )

    assert result.exit_code == 2
    assert "Invalid value for '--resamples': 0 is not in the range x>=1." in result.output


def test_analyze_help_ends_with_an_example_that_runs(tmp_path):
    result = CliRunner().invoke(uptake_with_analyze(), ["analyze", "--help"])

    assert "Example:\n\n      uptake analyze --resamples 200 --seed 7\n" in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_analyze_flow_writes_the_verdicts_and_leaves_an_artifact(tmp_path):
    from tests.test_flows import read_artifact
    from uptake.flow_loader import load_flow

    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as warehouse:
        write_synthetic_study(warehouse.con)
    flow = load_flow("analyze", "analyze")

    result = flow(db=str(db), resamples=200, seed=3)

    assert [r["verdict"] for r in result["verdicts"]] == ["supported"]
    assert "| lead00-vs-rival00 | research_mentions | industry_downloads | main | supported |" in (
        read_artifact("analyze")
    )


@pytest.mark.usefixtures("prefect_harness")
def test_analyze_flow_file_runs_as_a_script(tmp_path):
    from prefect.settings import PREFECT_API_URL

    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as warehouse:
        write_synthetic_study(warehouse.con)
    env = {**os.environ, "UPTAKE_DB": str(db), "PREFECT_API_URL": PREFECT_API_URL.value()}

    run = subprocess.run(
        [sys.executable, "flows/analyze.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert run.returncode == 0, run.stderr[-2000:]
    with Warehouse.open(db, read_only=True) as warehouse:
        verdicts = warehouse.con.execute("select verdict from marts.hypothesis_results").fetchall()
    assert verdicts == [("supported",)]


def test_synthetic_study_writes_every_segment_for_every_rivalry(warehouse):
    synthetic.write_synthetic_study(warehouse.con, rivalries=3, segments=synthetic.SIX_SEGMENTS)

    counts = warehouse.con.execute(
        "select count(distinct rivalry), count(distinct segment), count(distinct month) "
        "from marts.rivalry_shares"
    ).fetchone()

    assert counts == (3, 6, 120)
