"""meta.runs: a run is journaled when it starts, so one that dies leaves a trace that
`uptake status` reports until a later run of the same flow finishes."""

from __future__ import annotations

import os
import subprocess

import pytest
from click.testing import CliRunner

from tests.reliability_pipeline import STEPS
from tests.test_reliability_crashes import KillPoint, run_until_killed
from uptake.cli import cli
from uptake.warehouse import Warehouse
from uptake.warehouse.runs import DIED, dead_runs, mark_dead_runs, recorded_run


def runs(db) -> list[tuple]:
    with Warehouse.open(db, read_only=True) as warehouse:
        return warehouse.con.execute(
            "select flow, status, error is not null from meta.runs order by started_at"
        ).fetchall()


@pytest.mark.slow
def test_a_killed_run_shows_in_status_until_a_later_run_finishes(tmp_path):
    db = tmp_path / "w.duckdb"
    point = KillPoint("mid_load", "uptake.warehouse.journal:_journal", "demo_run")

    run_until_killed(point, db, {})

    assert runs(db) == [("refresh", "running", False)]
    status = CliRunner().invoke(cli, ["--db", str(db), "status"])
    assert status.exit_code == 1, status.output
    assert "run refresh (pid " in status.stderr and f"died: {DIED}" in status.stderr
    assert status.stderr.rstrip().endswith(
        "died before finishing: refresh (see meta.runs); run again to complete"
    )

    STEPS["demo_run"](str(db), {})

    assert runs(db) == [("refresh", "died", True), ("refresh", "finished", False)]
    settled = CliRunner().invoke(cli, ["--db", str(db), "status"])
    assert "died" not in settled.output
    assert settled.exit_code == 0, settled.output


def test_a_run_that_raises_is_failed_with_a_redacted_error(tmp_path, monkeypatch):
    token = "ghp_" + "Z9y8X7w6V5" * 4
    monkeypatch.setenv("GITHUB_TOKEN", token)
    db = tmp_path / "w.duckdb"

    with pytest.raises(RuntimeError), recorded_run(db, "github-imports", {"token_hint": token}):
        raise RuntimeError(f"refused with {token}")

    with Warehouse.open(db, read_only=True) as warehouse:
        status, error, parameters = warehouse.con.execute(
            "select status, error, parameters from meta.runs"
        ).fetchone()
    assert status == "failed" and error.startswith("RuntimeError: refused with ")
    assert token not in error and token not in parameters


def test_a_reused_pid_is_not_taken_for_the_dead_run(tmp_path):
    """The dead run's pid now belongs to another process (here: this one), started later."""
    db = tmp_path / "w.duckdb"
    with recorded_run(db, "refresh", {}):
        pass
    with Warehouse.open(db) as warehouse:
        warehouse.con.execute(
            "insert into meta.runs select 'old', 'refresh', '{}', host, ?, '1', 'running',"
            " null, started_at, null from meta.runs limit 1",
            [os.getpid()],
        )
        assert [row[0] for row in dead_runs(warehouse.con)] == ["old"]
        assert mark_dead_runs(warehouse.con) == 1


def test_a_live_run_is_not_dead(tmp_path):
    db = tmp_path / "w.duckdb"
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        with recorded_run(db, "refresh", {}):
            pass
        with Warehouse.open(db) as warehouse:
            warehouse.con.execute(
                "update meta.runs set status = 'running', pid = ?, pid_started = null",
                [sleeper.pid],
            )
            assert dead_runs(warehouse.con) == []
    finally:
        sleeper.kill()
        sleeper.wait()
    with Warehouse.open(db) as warehouse:
        assert len(dead_runs(warehouse.con)) == 1


def test_every_flow_of_the_demo_journals_its_run(demo_warehouse):
    found = runs(demo_warehouse)

    assert sorted(found) == [
        ("build-models", "finished", False),
        ("pypi-downloads", "finished", False),
        ("refresh", "finished", False),
        ("research-signals", "finished", False),
    ]
