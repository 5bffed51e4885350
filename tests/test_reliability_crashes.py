"""A run killed with SIGKILL at any of 26 places leaves a warehouse that opens, holds
nothing of the killed work, and that the next run completes into what a clean run gives.

Each kill point names a function (module:attribute) that a subprocess wraps to print a
marker and sleep, and the scenario it runs: setup steps (run here, before the kill) and
the one step killed. After the kill the warehouse must open, every table and view must
fingerprint exactly as before the step (marts unchanged, or absent on a first build; raw
tables without a row of the killed load), meta.loads must hold no new succeeded load,
and re-running the step must give the fingerprint of a clean run of the same scenario.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from tests.fakes.dump_server import FakeDumpServer
from tests.fakes.hf_hub_server import FakeHub
from tests.fakes.pypistats_server import FakePypistats
from tests.git_repos import RepoBuilder
from tests.reliability_pipeline import (
    KILL_MARKER,
    ROOT,
    STEPS,
    differing,
    succeeded_loads,
    warehouse_fingerprint,
)
from tests.test_huggingface_hub import MODELS
from tests.test_papers_with_code import link, paper
from uptake.warehouse import Warehouse

pytestmark = pytest.mark.slow
SHARED_DATA = ROOT.parent / "shared" / "data"

# scenario -> (setup steps run before the kill, each with input overrides; the step killed)
SCENARIOS: dict[str, tuple[list[tuple[str, dict]], str]] = {
    "migration": ([], "migrate"),
    "sync_study": ([("sync_study", {"study": "variant"})], "sync_study"),
    "demo": ([], "demo"),
    "demo_run": ([], "demo_run"),
    "corpus": ([], "corpus"),
    "top_pypi": ([("demo", {}), ("build", {})], "top_pypi"),
    "pypistats": ([], "pypistats"),
    "hub": ([("sync_study", {})], "hub"),
    "conference": ([], "conference"),
    "pwc_links": ([], "pwc_links"),
    "pwc_papers": ([], "pwc_papers"),
    "mining": ([], "mine"),
    "build": ([("demo", {}), ("conference", {}), ("build", {}), ("top_pypi", {})], "build"),
    "analysis": ([("demo", {}), ("build", {}), ("analyze", {"analysis_seed": 1})], "analyze"),
}


@dataclass(frozen=True)
class KillPoint:
    name: str
    target: str  # module:attribute wrapped in the subprocess
    scenario: str
    when: str = "after"  # after the wrapped call returns, or before it runs
    nth: int = 1  # the nth call (matching `match`, when given) stalls
    match: str | None = None
    # Tables that commit on their own by design and may keep the killed run's work.
    may_keep: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return self.name


BLOB_CACHE = frozenset({"raw.blob_imports"})
KILL_POINTS = [
    KillPoint(
        "migration_between_two_migrations",
        "uptake.warehouse:connect",
        "migration",
        nth=3,
        match=r"insert into meta\.schema_migrations",
    ),
    KillPoint(
        "sync_study_mid_replace",
        "uptake.warehouse:connect",
        "sync_study",
        match=r"insert into meta\.study_rivalries",
    ),
    KillPoint("demo_journal_row_written", "uptake.warehouse.journal:_journal", "demo"),
    KillPoint(
        "journaled_run_before_its_load",
        "uptake.sources.bundled_figures:load_bundled_figures",
        "demo_run",
        "before",
    ),
    KillPoint("corpus_tables_written", "uptake.mining.corpus_file:_write", "corpus"),
    KillPoint(
        "top_pypi_parsed_before_transaction",
        "uptake.sources.top_pypi:_parse_into_temp_table",
        "top_pypi",
    ),
    KillPoint("top_pypi_rows_upserted", "uptake.sources.top_pypi:upsert_snapshots", "top_pypi"),
    KillPoint(
        "pypistats_between_fetches",
        "uptake.sources.pypistats_api:overall_downloads",
        "pypistats",
        nth=2,
    ),
    KillPoint(
        "pypistats_first_project_upserted", "uptake.sources.pypistats_api:_upsert", "pypistats"
    ),
    KillPoint("hub_models_upserted", "uptake.sources.huggingface_hub:_upsert_models", "hub"),
    KillPoint("hub_listings_marked", "uptake.sources.huggingface_hub:_mark_listings", "hub"),
    KillPoint(
        "conference_counts_replaced",
        "uptake.sources.conference_papers:_replace_mention_counts",
        "conference",
    ),
    KillPoint(
        "conference_paper_list_replaced",
        "uptake.sources.conference_papers:_replace_paper_list",
        "conference",
    ),
    KillPoint(
        "pwc_links_mid_batch_while_streaming",
        "uptake.sources.papers_with_code:_table",
        "pwc_links",
        nth=2,
    ),
    KillPoint("pwc_links_rows_written", "uptake.sources.papers_with_code:_write", "pwc_links"),
    KillPoint(
        "pwc_papers_downloaded_before_validators_saved",
        "uptake.sources.pwc_download:_save",
        "pwc_papers",
    ),
    KillPoint(
        "pwc_papers_dump_recorded",
        "uptake.warehouse:connect",
        "pwc_papers",
        match=r"insert into raw\.pwc_dumps",
    ),
    KillPoint("mining_planned", "uptake.mining.history_miner:plan_repository", "mining"),
    KillPoint(
        "mining_parsed_before_cache_write", "uptake.mining.store:save_blobs", "mining", "before"
    ),
    KillPoint(
        "mining_blobs_cached", "uptake.mining.store:save_blobs", "mining", may_keep=BLOB_CACHE
    ),
    KillPoint(
        "mining_months_replaced",
        "uptake.mining.store:replace_months",
        "mining",
        may_keep=BLOB_CACHE,
    ),
    KillPoint(
        "build_first_staging_view_created",
        "uptake.models:_create",
        "build",
        match=r"^\(\(<[^>]*>, Model\(name='staging\.",
    ),
    KillPoint(
        "build_mart_created",
        "uptake.models:_create",
        "build",
        match=r"Model\(name='marts\.rivalry_shares'",
    ),
    KillPoint("build_data_tests_running", "uptake.models:_run_test", "build", "before", nth=3),
    KillPoint(
        "analysis_mid_write",
        "uptake.warehouse:connect",
        "analysis",
        match=r"create or replace table marts\.hypothesis_results",
    ),
    KillPoint(
        "meta_analysis_mid_write",
        "uptake.warehouse:connect",
        "analysis",
        match=r"create or replace table marts\.meta_survival",
    ),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Small real and generated inputs for every scenario, and the fakes serving the rest."""
    folder = tmp_path_factory.mktemp("inputs")
    snapshots = [SHARED_DATA / "top-pypi-packages" / f"2024-0{m}-01.json.gz" for m in range(1, 7)]
    conference = SHARED_DATA / "conference-papers"
    links = folder / "links.json.gz"
    # Two streaming batches (BATCH_ROWS is 20,000), so a kill can land between them.
    links.write_bytes(
        gzip.compress(
            json.dumps(
                [link(f"p{i}", f"https://github.com/o/r{i}", "pytorch") for i in range(25_000)]
            ).encode(),
            compresslevel=1,
        )
    )
    repo = RepoBuilder(folder / "repo")
    repo.commit("2021-01-10T00:00:00Z", {"a.py": "import torch\n", "b.py": "import numpy\n"})
    repo.commit("2021-02-10T00:00:00Z", {"c.py": "import jax\nimport tensorflow\n"})
    repo.commit("2021-03-10T00:00:00Z", {"a.py": None, "d.ipynb": '{"cells": []}'})
    variant = folder / "variant_study.toml"
    variant.write_text(
        (ROOT / "study.toml").read_text().replace('label = "PyTorch"', 'label = "Torch"')
    )
    with FakePypistats() as pypistats, FakeHub() as hub, FakeDumpServer() as dumps:
        start = date(2024, 5, 1)
        projects = ["torch", "tensorflow", "jax"]
        for number, project in enumerate(projects):
            pypistats.add_project(
                project, {start + timedelta(days=d): 100 * (number + 1) + d for d in range(40)}
            )
        for model in MODELS:
            hub.add_model(*model)
        dumps.publish(
            "/papers.json.gz",
            gzip.compress(json.dumps([paper(f"p{i}") for i in range(300)]).encode()),
        )
        yield {
            "top_pypi": [str(p) for p in snapshots],
            "conference": [
                str(conference / "framework_mentions.csv"),
                str(conference / "cvpr_2019.json.gz"),
            ],
            "pwc_links": [str(links)],
            "pwc_papers": [dumps.url("/papers.json.gz")],
            "pypistats_url": pypistats.base_url,
            "pypistats_projects": projects,
            "hub_endpoint": hub.endpoint,
            "repo_name": "o/repo",
            "repo_path": str(repo.path),
            "mine_until": "2021-05-01",
            "variant": str(variant),
        }


def with_overrides(inputs: dict, overrides: dict) -> dict:
    resolved = {k: inputs[v] if k == "study" else v for k, v in overrides.items()}
    return {**inputs, **resolved}


def run_setup(db, scenario: str, inputs: dict) -> None:
    for step, overrides in SCENARIOS[scenario][0]:
        STEPS[step](str(db), with_overrides(inputs, overrides))


def fingerprint_and_loads(db) -> tuple[dict, dict]:
    with Warehouse.open(db) as warehouse:
        return warehouse_fingerprint(warehouse.con), succeeded_loads(warehouse.con)


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory, inputs):
    """One uninterrupted run per scenario: its fingerprint and succeeded loads, computed once."""
    cache: dict[str, tuple[dict, dict]] = {}

    def clean(scenario: str) -> tuple[dict, dict]:
        if scenario not in cache:
            db = tmp_path_factory.mktemp(f"clean-{scenario}") / "w.duckdb"
            run_setup(db, scenario, inputs)
            STEPS[SCENARIOS[scenario][1]](str(db), inputs)
            cache[scenario] = fingerprint_and_loads(db)
        return cache[scenario]

    return clean


def run_until_killed(point: KillPoint, db, inputs: dict) -> None:
    """Run the scenario's step in a subprocess, SIGKILL it at the marker."""
    spec = {
        "db": str(db),
        "step": SCENARIOS[point.scenario][1],
        "inputs": inputs,
        "kill": {
            "target": point.target,
            "when": point.when,
            "nth": point.nth,
            "match": point.match,
        },
    }
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability_pipeline", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.strip() == KILL_MARKER:
                break
        else:
            process.wait(timeout=60)
            pytest.fail(
                f"{point} never reached its kill point: {''.join(lines)}{process.stderr.read()}"
            )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("point", KILL_POINTS, ids=str)
def test_a_run_killed_here_leaves_nothing_half_done_and_the_rerun_equals_a_clean_run(
    point, tmp_path, inputs, clean_runs
):
    db = tmp_path / "w.duckdb"
    run_setup(db, point.scenario, inputs)
    existed = db.exists()
    before = fingerprint_and_loads(db) if existed else None

    run_until_killed(point, db, inputs)

    after, loads_after = fingerprint_and_loads(db)  # it opens (and finishes any migration)
    if before is None:
        # Nothing had committed before: the killed run left an empty, fully migrated file.
        fresh, no_loads = fingerprint_and_loads(tmp_path / "fresh.duckdb")
        before = (fresh, no_loads)
    assert set(differing(before[0], after)) <= point.may_keep, "the killed run left work behind"
    assert loads_after == before[1], "a load killed mid-way must not be journaled as succeeded"

    STEPS[SCENARIOS[point.scenario][1]](str(db), inputs)

    rerun, loads_rerun = fingerprint_and_loads(db)
    clean, clean_loads = clean_runs(point.scenario)
    assert differing(rerun, clean) == []
    assert loads_rerun == clean_loads


def test_the_kill_points_are_distinct_places_over_every_stage():
    places = {(p.target, p.match, p.when, p.nth) for p in KILL_POINTS}
    assert len(places) == len(KILL_POINTS) >= 20
    assert {p.scenario for p in KILL_POINTS} == set(SCENARIOS)


def test_the_harness_notices_a_step_that_never_reaches_its_point(tmp_path, inputs):
    never = KillPoint("never", "uptake.sources.top_pypi:upsert_snapshots", "migration")
    started = time.monotonic()

    with pytest.raises(pytest.fail.Exception, match="never reached its kill point"):
        run_until_killed(never, tmp_path / "w.duckdb", inputs)
    assert time.monotonic() - started < 60
