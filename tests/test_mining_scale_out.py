"""Mining fanned out as tasks: a Dask cluster and threads fill identical warehouses."""

import hashlib
from datetime import date

import pytest

from tests.conftest import count
from tests.git_repos import RepoBuilder
from tests.test_history_miner import history_repo  # noqa: F401 (fixture: the miner's hard cases)
from tests.test_models import build, mart_fingerprints
from uptake.flow_loader import load_flow
from uptake.mining.history_miner import mine_repositories
from uptake.warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")

UNTIL = date(2021, 4, 1)
# Every mining table, less the columns that say when or in which load a row was written.
RAW_TABLES = {
    "raw.repo_snapshots": "* exclude (load_id, loaded_at)",
    "raw.repo_snapshot_blobs": "*",
    "raw.blob_imports": "* exclude (parsed_at)",
}


SHARED_SOURCE = b"import numpy as np\nimport torch\n"
SHARED_BLOB_SHA = hashlib.sha1(b"blob %d\0" % len(SHARED_SOURCE) + SHARED_SOURCE).hexdigest()


def fingerprints(db) -> dict[str, str]:
    """md5 of each mining table's sorted rows and of each mart's, and the rejects."""
    with Warehouse.open(db) as warehouse:
        build(warehouse)
        found = {
            table: warehouse.con.execute(
                f"select md5(coalesce(string_agg(t::varchar, '|' order by t::varchar), '')) "
                f"from (select {columns} from {table}) as t"
            ).fetchone()[0]
            for table, columns in RAW_TABLES.items()
        }
        found["rejects"] = sorted(
            warehouse.con.execute("select item, reason from meta.rejects").fetchall()
        )
        return found | mart_fingerprints(warehouse)


@pytest.fixture(scope="module")
def repositories(tmp_path_factory, history_repo):  # noqa: F811
    """Three repositories: the local miner's hard cases by path, one by file:// URL (so
    each runner clones it), one sharing a blob with it; and one path that does not exist."""
    folder = tmp_path_factory.mktemp("scale_out")
    shared = SHARED_SOURCE.decode()
    lab = RepoBuilder(folder / "lab")
    lab.commit("2020-11-03T10:00:00Z", {"train.py": shared, "util.py": "import os\n"})
    lab.commit("2021-01-20T10:00:00Z", {"serve.py": "from flask import Flask\n"})
    lab.commit("2021-02-11T10:00:00Z", {"util.py": None, "nb.ipynb": '{"cells": []}'})
    fork = RepoBuilder(folder / "fork")
    fork.commit("2020-12-24T10:00:00Z", {"model.py": shared, "jx.py": "import jax\n"})
    return [
        f"owner/project={history_repo}",
        f"file://{lab.path}",
        f"team/fork={fork.path}",
        f"team/gone={folder / 'not-here'}",
    ]


def test_a_dask_cluster_and_threads_fill_identical_warehouses(tmp_path, repositories):
    from distributed import LocalCluster

    github_imports = load_flow("github_imports", "github_imports")
    worker_clones = tmp_path / "worker-clones"
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        env={"UPTAKE_CLONES_DIR": str(worker_clones)},
    )
    try:
        on_dask = github_imports(
            repositories=repositories,
            db=str(tmp_path / "dask" / "w.duckdb"),
            until=UNTIL,
            dask_address=cluster.scheduler_address,
        )
        on_threads = github_imports(
            repositories=repositories, db=str(tmp_path / "threads" / "w.duckdb"), until=UNTIL
        )
    finally:
        cluster.close()

    # The URL was cloned by the workers, into their own clone cache, not beside the warehouse.
    assert (worker_clones / "local" / "lab.git").is_dir()
    assert not (tmp_path / "dask" / "clones").exists()
    assert (tmp_path / "threads" / "clones" / "local" / "lab.git").is_dir()
    assert on_dask == on_threads
    # 2020-01 to 2021-03 for the project, from 2020-11 for the lab, from 2020-12 for the fork.
    assert (on_dask["repositories"], on_dask["months"], on_dask["rejected"]) == (4, 24, 1)
    assert "not-here does not exist on" in on_dask["rejects"][0][1]
    assert fingerprints(tmp_path / "dask" / "w.duckdb") == fingerprints(
        tmp_path / "threads" / "w.duckdb"
    )
    with Warehouse.open(tmp_path / "dask" / "w.duckdb", read_only=True) as warehouse:
        shared = warehouse.con.execute(
            """
            select count(distinct repo), any_value(b.import_roots), count(distinct b.blob_sha)
            from raw.repo_snapshot_blobs join raw.blob_imports as b using (blob_sha)
            where blob_sha = ?
            """,
            [SHARED_BLOB_SHA],
        ).fetchone()
    assert shared == (2, ["numpy", "torch"], 1)  # in two repositories, cached once


def test_the_fan_out_writes_the_rows_of_the_process_pool_miner(tmp_path, repositories):
    github_imports = load_flow("github_imports", "github_imports")
    github_imports(repositories=repositories, db=str(tmp_path / "flow.duckdb"), until=UNTIL)
    with Warehouse.open(tmp_path / "pool.duckdb") as warehouse:
        mine_repositories(
            warehouse,
            [
                ("owner/project", repositories[0].partition("=")[2]),
                ("local/lab", repositories[1].removeprefix("file://")),
                ("team/fork", repositories[2].partition("=")[2]),
            ],
            until=UNTIL,
            workers=2,
        )

    fanned_out, pooled = (
        fingerprints(tmp_path / "flow.duckdb"),
        fingerprints(tmp_path / "pool.duckdb"),
    )
    # The flow was also given a path that does not exist: its reject and outcome are its own.
    for found in (fanned_out, pooled):
        found.pop("rejects")
        found.pop("repos")
    assert fanned_out == pooled
    mined = "select * from marts.repos where mining_outcome = 'mined' order by repo"
    with (
        Warehouse.open(tmp_path / "flow.duckdb") as flow,
        Warehouse.open(tmp_path / "pool.duckdb") as pool,
    ):
        assert flow.con.execute(mined).fetchall() == pool.con.execute(mined).fetchall()


def test_a_rerun_mines_new_months_only_and_parses_only_changed_files(tmp_path):
    github_imports = load_flow("github_imports", "github_imports")
    repo = RepoBuilder(tmp_path / "repo")
    repo.commit("2021-01-05T10:00:00Z", {"a.py": "import torch\n", "b.py": "import jax\n"})
    db = str(tmp_path / "w.duckdb")
    first = github_imports(repositories=[f"o/r={repo.path}"], db=db, until=date(2021, 3, 1))
    repo.commit("2021-03-09T10:00:00Z", {"b.py": "import tensorflow\n", "c.py": "import os\n"})

    again = github_imports(repositories=[f"o/r={repo.path}"], db=db, until=date(2021, 3, 1))
    later = github_imports(repositories=[f"o/r={repo.path}"], db=db, until=date(2021, 4, 1))

    assert (first["months"], first["blobs_parsed"]) == (2, 2)
    assert (again["months"], again["blobs_parsed"]) == (0, 0)
    # March's tree: a.py unchanged (cached), b.py and c.py new.
    assert (later["months"], later["blobs_parsed"], later["blobs_cached"]) == (1, 2, 1)
    with Warehouse.open(db) as warehouse:
        assert count(warehouse, "select count(*) from raw.blob_imports") == 4
        assert count(warehouse, "select count(*) from meta.loads where status = 'succeeded'") == 3
        roots = warehouse.con.execute(
            """
            select list(distinct r order by r) from raw.repo_snapshot_blobs as s
            join raw.blob_imports using (blob_sha), unnest(import_roots) as u(r)
            where s.month = '2021-03-01'
            """
        ).fetchone()[0]
    assert roots == ["os", "tensorflow", "torch"]


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused, a passing failure."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def counting_clones(monkeypatch) -> list[str]:
    from uptake.mining import repository_miner

    clones = []
    original = repository_miner.clone_or_update

    def counted(ref, clones_dir):
        clones.append(ref.name)
        return original(ref, clones_dir)

    monkeypatch.setattr(repository_miner, "clone_or_update", counted)
    return clones


def test_an_unreachable_url_in_a_batch_is_retried_alone_and_rejected(tmp_path, monkeypatch):
    import uptake.flows.github_imports as module

    # No waiting between attempts; the attempts themselves still happen.
    monkeypatch.setattr(
        module, "mine_batch_task", module.mine_batch_task.with_options(retry_delay_seconds=0)
    )
    clones = counting_clones(monkeypatch)
    repo = RepoBuilder(tmp_path / "repo")
    repo.commit("2021-01-05T10:00:00Z", {"a.py": "import torch\n"})

    summary = module.github_imports(
        repositories=[
            f"lab/down=http://127.0.0.1:{closed_port()}/lab/down.git",
            f"o/r={repo.path}",
        ],
        db=str(tmp_path / "w.duckdb"),
        until=date(2021, 3, 1),
        repositories_per_task=2,
    )

    assert (summary["repositories"], summary["months"], summary["rejected"]) == (2, 2, 1)
    assert summary["rejects"][0][0] == "lab/down"
    assert "git could not fetch" in summary["rejects"][0][1]
    # In the batch once, then alone: a first try and two retries.
    assert clones == ["lab/down"] * 4
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        assert (
            count(
                warehouse, "select count(*) from raw.repo_mining_outcomes where outcome = 'failed'"
            )
            == 1
        )


def test_a_url_that_is_no_repository_is_rejected_at_once(tmp_path, monkeypatch):
    import uptake.flows.github_imports as module

    clones = counting_clones(monkeypatch)
    summary = module.github_imports(
        repositories=[f"file://{tmp_path / 'nowhere'}"],
        db=str(tmp_path / "w.duckdb"),
        until=date(2021, 3, 1),
    )
    assert summary["rejects"][0][0] == "local/nowhere"
    assert "does not appear to be a git repository" in summary["rejects"][0][1]
    assert clones == ["local/nowhere"]  # no retry can make it one
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        assert (
            count(warehouse, "select count(*) from raw.repo_mining_outcomes where outcome = 'gone'")
            == 1
        )


def test_a_run_killed_after_two_repositories_resumes_with_the_third(
    tmp_path, monkeypatch, repositories
):
    from prefect.settings import PREFECT_API_URL

    from tests.test_crash_safety import start_and_kill_at_marker

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())  # the harness's API
    names = repositories[:3]
    db = tmp_path / "killed.duckdb"
    start_and_kill_at_marker(
        f"""
        import time
        from datetime import date
        from uptake.flow_loader import load_flow

        github_imports = load_flow("github_imports", "github_imports")
        import uptake.mining.scheduler as module

        original, written = module.write_mined, []
        def write_then_stall(warehouse, mined, until):
            load = original(warehouse, mined, until)
            written.append(mined.repo)
            if len(written) == 2:
                print("reached the kill point", flush=True)
                time.sleep(120)
            return load
        module.write_mined = write_then_stall

        github_imports(repositories={names!r}, db={str(db)!r}, until=date(2021, 4, 1), workers=1)
        """
    )
    with Warehouse.open(db) as warehouse:
        survived = warehouse.con.execute(
            "select distinct repo from raw.repo_snapshots order by 1"
        ).fetchall()

    github_imports = load_flow("github_imports", "github_imports")
    resumed = github_imports(repositories=names, db=str(db), until=UNTIL, workers=1)
    github_imports(repositories=names, db=str(tmp_path / "clean.duckdb"), until=UNTIL)

    assert len(survived) == 2  # each repository written whole, in its own transaction
    assert resumed["repositories"] == 3
    assert resumed["months"] == 24 - sum(
        {"owner/project": 15, "local/lab": 5, "team/fork": 4}[repo] for (repo,) in survived
    )
    killed, clean = fingerprints(db), fingerprints(tmp_path / "clean.duckdb")
    assert killed == clean
