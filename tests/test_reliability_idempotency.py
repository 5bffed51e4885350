"""The full offline refresh, run twice, leaves a byte-identical warehouse.

"Full offline refresh" is every source that can run without the internet, through the
real Prefect flows: the demo's bundled tables, every real top-PyPI snapshot and every real
conference file from ../shared/data, Papers with Code dumps (a file and a URL on the fake
dump server), the Hugging Face Hub and pypistats through their fakes, a RepoBuilder
repository mined through the github_imports flow, then build_models and analyze.
"""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta

import pytest

from tests.fakes.dump_server import FakeDumpServer
from tests.fakes.hf_hub_server import FakeHub
from tests.fakes.pypistats_server import FakePypistats
from tests.git_repos import RepoBuilder, notebook
from tests.reliability_pipeline import (
    VOLATILE_COLUMNS,
    differing,
    excluded_columns_present,
    warehouse_fingerprint,
)
from tests.test_huggingface_hub import MODELS
from tests.test_papers_with_code import link, paper
from uptake.flow_loader import load_flow
from uptake.sources.conference_papers import conference_files
from uptake.study import load_study
from uptake.warehouse import Warehouse

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

REFRESHED_SOURCES = [
    "demo",
    "top_pypi",
    "conference_papers",
    "pwc_links",
    "pwc_papers",
    "huggingface_hub",
    "pypistats",
]
# Sources that skip an input whose content hash (or ETag) they already hold.
CONTENT_HASHED_SOURCES = ("top_pypi", "conference_papers", "papers_with_code")


@pytest.fixture
def offline_world(tmp_path, shared_data, monkeypatch):
    """The fakes and generated inputs every offline source reads."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    links = tmp_path / "links.json.gz"
    links.write_bytes(
        gzip.compress(
            json.dumps(
                [link(f"p{i}", f"https://github.com/o/r{i % 40}", "pytorch") for i in range(300)]
                + [link(f"t{i}", f"https://github.com/o/t{i}", "tf") for i in range(200)]
            ).encode()
        )
    )
    repo = RepoBuilder(tmp_path / "repo")
    repo.commit("2021-01-10T00:00:00Z", {"a.py": "import torch\n", "b.py": "import numpy\n"})
    repo.commit(
        "2021-03-10T00:00:00Z", {"c.py": "import jax\n", "n.ipynb": notebook("import tensorflow")}
    )
    repo.commit("2021-06-10T00:00:00Z", {"a.py": None})
    with FakePypistats() as pypistats, FakeHub() as hub, FakeDumpServer() as dumps:
        start = date(2025, 10, 1)
        for number, project in enumerate(load_study().pypi_projects()):
            pypistats.add_project(
                project, {start + timedelta(days=d): 1000 * (number + 1) + d for d in range(60)}
            )
        for model in MODELS:
            hub.add_model(*model)
        dumps.publish(
            "/papers.json.gz",
            gzip.compress(
                json.dumps(
                    [paper(f"p{i}", f"2019-{i % 12 + 1:02d}-03") for i in range(300)]
                    + [paper(f"t{i}", f"2018-{i % 12 + 1:02d}-05") for i in range(200)]
                ).encode()
            ),
        )
        yield {
            "locations": {
                "top_pypi": [str(shared_data / "top-pypi-packages")],
                "conference_papers": [str(shared_data / "conference-papers")],
                "pwc_links": [str(links)],
                "pwc_papers": [dumps.url("/papers.json.gz")],
            },
            "pypistats_url": pypistats.base_url,
            "hub_endpoint": hub.endpoint,
            "repository": f"o/repo={repo.path}",
        }


def full_offline_refresh(db: str, world: dict) -> dict:
    refresh = load_flow("refresh", "refresh")
    github_imports = load_flow("github_imports", "github_imports")
    build_models = load_flow("build_models", "build_models")
    analyze = load_flow("analyze", "analyze")
    result = refresh(
        sources=REFRESHED_SOURCES,
        locations=world["locations"],
        db=db,
        pypistats_url=world["pypistats_url"],
        hub_endpoint=world["hub_endpoint"],
    )
    assert result["failures"] == {}
    mined = github_imports(repositories=[world["repository"]], db=db, until=date(2021, 9, 1))
    assert mined["rejected"] == 0
    build_models(db=db)
    analyze(db=db, resamples=50)
    return result


def test_the_full_offline_refresh_twice_leaves_an_identical_warehouse(tmp_path, offline_world):
    db = str(tmp_path / "w.duckdb")
    full_offline_refresh(db, offline_world)
    with Warehouse.open(db) as warehouse:
        first = warehouse_fingerprint(warehouse.con)
        excluded = excluded_columns_present(warehouse.con)
        first_load_ids = {
            r[0] for r in warehouse.con.execute("select load_id from meta.loads").fetchall()
        }

    second_result = full_offline_refresh(db, offline_world)

    with Warehouse.open(db) as warehouse:
        second = warehouse_fingerprint(warehouse.con)
        second_loads = warehouse.con.execute(
            "select source, status, rows_loaded, items_skipped from meta.loads "
            "where load_id not in (select unnest(?)) order by source",
            [list(first_load_ids)],
        ).fetchall()
        held = {
            name: warehouse.con.execute(f"select count(*) from {name}").fetchone()[0]  # noqa: S608
            for name in (
                "raw.top_pypi_downloads",
                "raw.conference_papers",
                "raw.pwc_code_links",
                "raw.pwc_papers",
                "raw.hf_models",
                "raw.pypistats_downloads",
                "raw.repo_snapshots",
                "marts.rivalry_shares",
                "marts.papers",
                "marts.hypothesis_results",
                "meta.study_technologies",
            )
        }
    # Every source and stage put rows in (so the comparison compares something) ...
    assert all(held.values()), held
    assert len([k for k in first if k.startswith("raw.")]) >= 15
    # ... and the second run changed none of them, apart from the columns named here.
    assert differing(first, second) == []
    assert excluded == VOLATILE_COLUMNS
    assert len(excluded) <= 6
    # Content-hash incremental sources skipped every input they already held.
    assert {status for _, status, _, _ in second_loads} == {"succeeded"}
    by_source: dict[str, list[tuple[int, int]]] = {}
    for source, _, rows, skipped in second_loads:
        by_source.setdefault(source, []).append((rows, skipped))
    for source in CONTENT_HASHED_SOURCES:
        assert by_source[source], source
        assert all(rows == 0 for rows, _ in by_source[source]), (source, by_source[source])
    assert second_result["loads"]["demo (pypi)"]["skipped"] == 158
    assert second_result["loads"]["top_pypi"]["skipped"] == 158
    assert second_result["loads"]["pwc_links"]["skipped"] == 1
    assert second_result["loads"]["pwc_papers"]["skipped"] == 1
    assert second_result["loads"]["conference_papers"]["skipped"] == len(
        conference_files(offline_world["locations"]["conference_papers"])
    )
