"""A process killed with SIGKILL mid-load or mid-build leaves no partial state behind."""

import signal
import subprocess
import sys
import textwrap

from tests.conftest import count
from tests.test_models import build, mart_fingerprints
from tests.test_top_pypi import load_paths, table_rows
from uptake.warehouse import Warehouse


def start_and_kill_at_marker(script: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().strip() == "reached the kill point"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL


def test_load_killed_after_inserting_rows_leaves_none_and_the_rerun_completes(
    tmp_path, shared_data
):
    db = tmp_path / "killed.duckdb"
    start_and_kill_at_marker(
        f"""
        import time
        from uptake.sources import top_pypi
        from uptake.warehouse import Warehouse

        original = top_pypi.upsert_snapshots
        def upsert_then_stall(con, load):
            original(con, load)
            print("reached the kill point", flush=True)
            time.sleep(120)
        top_pypi.upsert_snapshots = upsert_then_stall

        with Warehouse.open({str(db)!r}) as warehouse:
            files = top_pypi.read_snapshot_files(
                top_pypi.snapshot_locations([{str(shared_data / "top-pypi-packages")!r}]), print)
            top_pypi.load_snapshot_files(warehouse, files)
        """
    )

    with Warehouse.open(db) as warehouse:
        assert count(warehouse, "select count(*) from raw.top_pypi_downloads") == 0
        assert count(warehouse, "select count(*) from raw.top_pypi_snapshots") == 0
        assert count(warehouse, "select count(*) from meta.loads where status = 'succeeded'") == 0
        rerun = load_paths(warehouse, [shared_data / "top-pypi-packages"])
        after_crash = table_rows(warehouse, "raw.top_pypi_downloads", "all")
    with Warehouse.open(tmp_path / "clean.duckdb") as clean:
        load_paths(clean, [shared_data / "top-pypi-packages"])
        assert after_crash == table_rows(clean, "raw.top_pypi_downloads", "all")
    assert rerun["rows"] == 971_000


def test_build_killed_half_way_keeps_the_previous_marts(tmp_path, shared_data):
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as warehouse:
        load_paths(warehouse, [shared_data / "top-pypi-packages"])
        build(warehouse)
        before = mart_fingerprints(warehouse)
        # New data arrives; the next build would change the marts.
        warehouse.con.execute("delete from raw.top_pypi_downloads where project = 'torch'")
    start_and_kill_at_marker(
        f"""
        import time
        from uptake import models
        from uptake.study import load_study
        from uptake.warehouse import Warehouse

        original = models._create
        def create_then_stall(con, model):
            original(con, model)
            if model.name == "marts.rivalry_shares":
                print("reached the kill point", flush=True)
                time.sleep(120)
        models._create = create_then_stall

        with Warehouse.open({str(db)!r}) as warehouse:
            warehouse.sync_study(load_study())
            models.build_models(warehouse.con)
        """
    )

    with Warehouse.open(db) as warehouse:
        assert mart_fingerprints(warehouse) == before
        build(warehouse)
        assert mart_fingerprints(warehouse) != before


def test_mining_killed_after_parsing_resumes_without_parsing_again(tmp_path):
    from datetime import date

    from tests.git_repos import RepoBuilder
    from uptake.mining.history_miner import mine_repositories

    repo = RepoBuilder(tmp_path / "repo")
    repo.commit("2021-01-10T00:00:00Z", {"a.py": "import torch\n", "b.py": "import numpy\n"})
    repo.commit("2021-02-10T00:00:00Z", {"c.py": "import jax\n"})
    db = tmp_path / "killed.duckdb"
    start_and_kill_at_marker(
        f"""
        import time
        from datetime import date
        from uptake.mining import store
        from uptake.mining.history_miner import mine_repositories
        from uptake.warehouse import Warehouse

        def stall(*args, **kwargs):
            print("reached the kill point", flush=True)
            time.sleep(120)
        store.replace_months = stall

        with Warehouse.open({str(db)!r}) as warehouse:
            mine_repositories(warehouse, [("o/repo", {str(repo.path)!r})], until=date(2021, 4, 1), workers=1)
        """
    )

    with Warehouse.open(db) as warehouse:
        assert count(warehouse, "select count(*) from raw.repo_snapshots") == 0
        assert (
            count(warehouse, "select count(*) from raw.blob_imports") == 3
        )  # saved before the kill
        resumed = mine_repositories(
            warehouse, [("o/repo", repo.path)], until=date(2021, 4, 1), workers=1
        )
        after_crash = table_rows(warehouse, "raw.repo_snapshots", "repo, month")
    with Warehouse.open(tmp_path / "clean.duckdb") as clean:
        mine_repositories(clean, [("o/repo", repo.path)], until=date(2021, 4, 1), workers=1)
        assert [r[:-1] for r in after_crash] == [
            r[:-1] for r in table_rows(clean, "raw.repo_snapshots", "repo, month")
        ]
    assert (resumed["blobs_parsed"], resumed["blobs_cached"], resumed["months"]) == (0, 3, 3)
