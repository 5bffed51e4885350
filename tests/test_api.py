"""The public Python API: `from uptake import ...`, typed results, and the rule that the
CLI and the flows reach the library through it."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import uptake
from tests.git_repos import RepoBuilder
from uptake.errors import UptakeError

ROOT = Path(__file__).resolve().parent.parent


def test_import_uptake_is_light_and_names_the_api():
    # The CLI imports uptake on every start: the analysis stack and Prefect load on use.
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, uptake; print(sorted(m for m in ('prefect', 'duckdb', 'numpy') "
            "if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert loaded == "[]"
    assert {"refresh", "mine", "build", "analyze", "write_report", "read_mart"} <= set(
        uptake.__all__
    )
    for name in uptake.__all__:
        assert getattr(uptake, name).__doc__, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        uptake.nope  # noqa: B018


def test_refresh_build_read_analyze_report_on_real_conference_papers(
    prefect_harness, shared_data, tmp_path
):
    db = tmp_path / "api.duckdb"

    refreshed = uptake.refresh({"conference_papers": [shared_data / "conference-papers"]}, db=db)

    assert isinstance(refreshed, uptake.RefreshResult) and refreshed.ok
    summary = refreshed.loads["conference_papers"]
    assert isinstance(summary, uptake.LoadSummary)
    assert (summary.source, summary.skipped, summary.rejected) == ("conference_papers", 0, 0)
    assert summary.rows == 32_334  # the 39 editions' papers and the mentions table
    assert "marts.conference_mentions" in refreshed.build.built

    again = uptake.refresh({"conference_papers": [shared_data / "conference-papers"]}, db=db)
    assert again.loads["conference_papers"].rows == 0  # the same files: skipped by content
    assert again.loads["conference_papers"].skipped == 40  # files

    built = uptake.build(db)
    assert isinstance(built, uptake.BuildResult)
    assert "tests.repos__unique" in built.tests_passed

    mentions = uptake.read_mart("conference_mentions", db=db)
    assert isinstance(mentions, pl.DataFrame)
    icml_2019 = mentions.filter((pl.col("conference") == "icml") & (pl.col("year") == 2019)).sort(
        "technology"
    )
    # The framework-mentions table (He 2019): 76 of ICML 2019's 773 papers each.
    assert icml_2019.select(
        "technology", "table_papers_mentioning", "table_total_papers"
    ).rows() == [("pytorch", 76, 773), ("tensorflow", 76, 773)]
    assert uptake.read_mart("marts.conference_mentions", db=db).shape == mentions.shape

    answer = uptake.analyze(db, resamples=50)
    assert isinstance(answer, uptake.Analysis) and answer.message is None
    pairs = {(h["rivalry"], h["leading_segment"], h["lagging_segment"]) for h in answer.hypotheses}
    assert ("pytorch-vs-tensorflow", "research_mentions", "industry_downloads") in pairs

    written = uptake.write_report(db, tmp_path / "report")
    # `uptake.report` is the package that draws it: the function must not be shadowed.
    assert uptake.write_report(db, tmp_path / "again").path.exists()
    assert written.path == tmp_path / "report" / "index.html"
    assert "pytorch-vs-tensorflow" in written.path.read_text()


def test_read_mart_names_the_marts_there_are(warehouse, tmp_path):
    warehouse.con.execute("create table marts.repos as select 1 as repo")
    warehouse.close()

    with pytest.raises(UptakeError, match=r"no mart 'repo' in .*: choose one of repos$"):
        uptake.read_mart("repo", db=warehouse.path)
    with pytest.raises(UptakeError, match="choose one of repos"):
        uptake.read_mart("repos; drop table marts.repos", db=warehouse.path)
    assert uptake.read_mart("repos", db=warehouse.path)["repo"].to_list() == [1]
    with pytest.raises(UptakeError, match="no warehouse at .*: run `uptake demo`"):
        uptake.read_mart("repos", db=tmp_path / "absent.duckdb")
    uptake.open_warehouse(tmp_path / "empty.duckdb").close()  # created, nothing built
    with pytest.raises(UptakeError, match="run `uptake build` first"):
        uptake.read_mart("repos", db=tmp_path / "empty.duckdb")


def test_mine_returns_a_typed_summary_and_rebuilds(prefect_harness, tmp_path):
    repo = RepoBuilder(tmp_path / "project")
    repo.commit("2020-01-10T12:00:00", {"train.py": "import torch\n"})
    repo.commit("2020-03-10T12:00:00", {"train.py": "import tensorflow as tf\n"})
    db = tmp_path / "mined.duckdb"

    mined = uptake.mine(
        [f"someone/project={repo.path}", "not a repository name"],
        db=db,
        until=date(2020, 5, 1),
        not_fetched={"gone/away": "fetch: no snapshot"},
    )

    assert isinstance(mined, uptake.MiningSummary)
    assert (mined.repositories, mined.not_fetched) == (1, 1)
    assert mined.months == 4  # 2020-01 to 2020-04
    assert dict(mined.rejects) == {
        "not a repository name": (
            "'not a repository name' is neither a local repository, a git URL, nor owner/name"
        ),
        "gone/away": "fetch: no snapshot",
    }
    assert mined.counts["blobs_parsed"] == 2
    assert mined.build is not None and "marts.repo_imports_monthly" in mined.build.built
    imports = uptake.read_mart("repo_imports_monthly", db=db).sort("month")
    assert imports.select("month", "technology").rows() == [
        (date(2020, 1, 1), "pytorch"),
        (date(2020, 2, 1), "pytorch"),
        (date(2020, 3, 1), "tensorflow"),
        (date(2020, 4, 1), "tensorflow"),
    ]


# What the CLI and the flows must reach through uptake.api rather than redo.
LIBRARY_ENTRY_POINTS = {
    ("uptake.models", "build_models"),
    ("uptake.analysis", "analyze"),
    ("uptake.analysis.study_variants", "analyse_variants"),
    ("uptake.report", "write_report"),
}


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "src" / "uptake" / "cli").glob("*.py")) + sorted((ROOT / "flows").glob("*.py")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_cli_and_flows_call_the_api_not_the_library_entry_points(path):
    tree = ast.parse(path.read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}

    assert not imported & LIBRARY_ENTRY_POINTS
    # The mining scheduler lives in the library, not in a flow.
    assert not defined & {"mine_local", "_fan_out", "_batch_size", "_dask_runner"}
    assert not re.search(r"\.submit\(", path.read_text())
