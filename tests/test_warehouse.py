import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pytest

from uptake.errors import WarehouseError, WarehouseLockedError
from uptake.warehouse import Warehouse
from uptake.warehouse.migrations import available_migrations

DUCKDB_CLI = Path(sys.executable).parent / "duckdb"


def test_new_warehouse_has_the_four_schemas_and_every_migration(tmp_path):
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        schemas = {
            row[0]
            for row in warehouse.con.execute(
                "select schema_name from information_schema.schemata where catalog_name = 'warehouse'"
            ).fetchall()
        }
        applied = warehouse.con.execute("select version from meta.schema_migrations").fetchall()

    assert {"raw", "staging", "marts", "meta"} <= schemas
    assert [row[0] for row in applied] == [version for version, _, _ in available_migrations()]


def test_reopening_applies_no_migration_twice(tmp_path):
    Warehouse.open(tmp_path / "w.duckdb").close()

    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        count = warehouse.con.execute("select count(*) from meta.schema_migrations").fetchone()[0]

    assert count == len(available_migrations())


def test_db_path_comes_from_the_environment_when_not_given(tmp_path, monkeypatch):
    monkeypatch.setenv("UPTAKE_DB", str(tmp_path / "from_env.duckdb"))

    with Warehouse.open() as warehouse:
        path = warehouse.path

    assert path == tmp_path / "from_env.duckdb"
    assert path.exists()


def test_read_only_open_of_a_missing_warehouse_says_what_to_run(tmp_path):
    with pytest.raises(
        WarehouseError, match="no warehouse at .*run `uptake demo` or `uptake refresh` first"
    ):
        Warehouse.open(tmp_path / "missing.duckdb", read_only=True)


def test_failed_load_rolls_back_its_rows_and_is_journaled(warehouse):
    with pytest.raises(RuntimeError), warehouse.load("pypistats", {"projects": ["torch"]}) as load:
        warehouse.con.execute(
            "insert into raw.pypistats_downloads values ('2024-01-01', 'torch', 'without_mirrors', 5, ?, now())",
            [load.load_id],
        )
        load.reject("torch", "half-way failure")
        raise RuntimeError("network went away")

    rows = warehouse.con.execute("select count(*) from raw.pypistats_downloads").fetchone()[0]
    journal = warehouse.con.execute(
        "select status, error, rows_loaded, items_rejected from meta.loads"
    ).fetchall()
    rejects = warehouse.con.execute("select item, reason from meta.rejects").fetchall()
    assert rows == 0
    assert journal == [("failed", "RuntimeError: network went away", 0, 1)]
    assert rejects == [("torch", "half-way failure")]


def hold_lock(path: Path) -> subprocess.Popen:
    script = textwrap.dedent(
        f"""
        import sys, time
        from uptake.warehouse import Warehouse
        w = Warehouse.open({str(path)!r})
        print("holding", flush=True)
        time.sleep(60)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_warehouse_held_by_another_process_gets_a_message_naming_it(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = hold_lock(path)
    try:
        with pytest.raises(WarehouseLockedError) as error:
            Warehouse.open(path)
    finally:
        holder.kill()
        holder.wait()

    message = str(error.value)
    assert f"the warehouse {path} is locked by process {holder.pid} (python" in message
    assert "pass --wait SECONDS" in message
    assert "Traceback" not in message


def test_waiting_for_the_lock_succeeds_once_the_holder_exits(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = hold_lock(path)
    subprocess.Popen(["sh", "-c", f"sleep 1; kill {holder.pid}"])

    with Warehouse.open(path, wait_seconds=30) as warehouse:
        assert warehouse.con.execute("select 42").fetchone() == (42,)
    holder.wait()


def test_the_duckdb_cli_analysts_use_can_read_the_warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as warehouse:
        warehouse.con.execute("create table marts.probe as select 7 as answer")
        warehouse.con.execute(
            "create view staging.probe_view as select answer * 6 as answer from marts.probe"
        )
    with Warehouse.open(path) as warehouse:  # a later write from the Python package
        warehouse.con.execute("insert into marts.probe values (8)")

    result = subprocess.run(
        [
            str(DUCKDB_CLI),
            "-readonly",
            "-csv",
            str(path),
            "-c",
            "select sum(answer) from staging.probe_view",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "90"


def test_storage_version_stays_readable_by_older_duckdb(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse.open(path).close()

    con = duckdb.connect(str(path), read_only=True)
    tags = con.execute("select tags from duckdb_databases() where database_name = 'w'").fetchone()[
        0
    ]
    con.close()

    assert tags["storage_version"].startswith("v1.5")


def test_snapshot_blobs_keep_their_rows_when_migration_0008_drops_the_index(tmp_path, monkeypatch):
    """A warehouse mined before 0008 upgrades with every row kept, and the data test that
    replaces the dropped primary key catches a duplicate."""
    from uptake.errors import ModelError
    from uptake.models import build_models
    from uptake.warehouse import migrations

    shipped = migrations.available_migrations()
    rows = [("o/a", date(2021, 1, 1), "a" * 40, 2), ("o/a", date(2021, 2, 1), "b" * 40, 1)]
    insert = "insert into raw.repo_snapshot_blobs values (?, ?, ?, ?)"
    monkeypatch.setattr(migrations, "available_migrations", lambda: shipped[:7])
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        warehouse.con.executemany(insert, rows)
        with pytest.raises(duckdb.ConstraintException):  # the key 0008 drops
            warehouse.con.execute(insert, rows[0])
    monkeypatch.undo()

    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        applied = warehouse.con.execute("select max(version) from meta.schema_migrations")
        assert applied.fetchone()[0] == shipped[-1][0]  # every migration since applies too
        kept = warehouse.con.execute("select * from raw.repo_snapshot_blobs order by month")
        assert kept.fetchall() == rows
        build_models(warehouse.con)
        warehouse.con.execute(insert, rows[0])
        with pytest.raises(ModelError, match="stg_mining__snapshot_blobs__unique"):
            build_models(warehouse.con)
