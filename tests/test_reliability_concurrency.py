"""Two refreshes started together, and readers during a write.

One refresh runs while the other waits (--wait) or stops with a message naming the
holder; the warehouse ends as one clean run leaves it and meta.loads records both runs.
A reader during a write gets a one-line message naming the writer, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.reliability_pipeline import (
    KILL_MARKER,
    ROOT,
    STEPS,
    differing,
    succeeded_loads,
    warehouse_fingerprint,
)
from uptake.warehouse import Warehouse

pytestmark = pytest.mark.slow
UPTAKE = str(ROOT / ".venv" / "bin" / "uptake")


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory):
    """One Prefect home for the module's CLI processes, as one user's machine has.

    Each `uptake refresh` starts Prefect's temporary API server on it, as it does for a
    user without PREFECT_API_URL; two such servers on one home at once fail on its
    database, so the refreshes must not start their flows together.
    """
    return tmp_path_factory.mktemp("prefect-home")


def cli_environment(prefect_home) -> dict:
    environment = {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        # A fresh home migrates Prefect's database first: slow on a busy 2-core machine.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "NO_COLOR": "1",
    }
    environment.pop("PREFECT_API_URL", None)
    return environment


def start_refresh(db, prefect_home, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [UPTAKE, "--db", str(db), *options, "refresh", "--source", "demo", "-q"],
        cwd=ROOT,
        env=cli_environment(prefect_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out + err


@pytest.fixture(scope="module")
def clean_demo_run(tmp_path_factory):
    """What one `uptake refresh --source demo` alone leaves: its loads and build, run here."""
    from uptake.sources.bundled_figures import bundled_conference_path

    db = str(tmp_path_factory.mktemp("clean") / "w.duckdb")
    STEPS["demo"](db, {})
    STEPS["conference"](db, {"conference": [str(bundled_conference_path())]})
    STEPS["corpus"](db, {})
    STEPS["build"](db, {})
    with Warehouse.open(db) as warehouse:
        return warehouse_fingerprint(warehouse.con), succeeded_loads(warehouse.con)


def loads(db) -> list[tuple]:
    with Warehouse.open(db, read_only=True) as warehouse:
        return warehouse.con.execute(
            "select source, status, rows_loaded, items_skipped from meta.loads order by started_at"
        ).fetchall()


def test_two_refreshes_with_wait_run_one_after_the_other(tmp_path, prefect_home, clean_demo_run):
    db = tmp_path / "w.duckdb"

    first = start_refresh(db, prefect_home, "--wait", "300")
    second = start_refresh(db, prefect_home, "--wait", "300")
    results = [finish(first), finish(second)]

    assert [code for code, _ in results] == [0, 0], results
    waited = [output for _, output in results if "waiting up to 300 s" in output]
    assert len(waited) == 1, results  # exactly one found the other running and said so
    holder_pids = {first.pid, second.pid}
    named = int(re.search(r"locked by process (\d+) \(", waited[0])[1])
    assert named in holder_pids
    assert re.search(r"locked by process \d+ \([^)]*uptake[^)]*\)", waited[0])
    assert all("Traceback" not in output for _, output in results)
    with Warehouse.open(db) as warehouse:
        assert differing(warehouse_fingerprint(warehouse.con), clean_demo_run[0]) == []
    # Nothing lost: both runs are journaled, the second skipping what the first loaded.
    assert loads(db) == [
        ("top_pypi", "succeeded", 3980, 0),
        ("conference_papers", "succeeded", 70, 0),
        ("mining_corpus", "succeeded", 568_052, 0),
        ("top_pypi", "succeeded", 0, 158),
        ("conference_papers", "succeeded", 0, 1),
        ("mining_corpus", "succeeded", 0, 1),
    ]


def test_without_wait_the_second_refresh_stops_with_a_message_naming_the_first(
    tmp_path, prefect_home, clean_demo_run
):
    db = tmp_path / "w.duckdb"

    first, second = start_refresh(db, prefect_home), start_refresh(db, prefect_home)
    results = {first.pid: finish(first), second.pid: finish(second)}

    codes = sorted(code for code, _ in results.values())
    assert codes == [0, 1], results
    ran = next(pid for pid, (code, _) in results.items() if code == 0)
    refused = next(output for code, output in results.values() if code == 1)
    assert re.search(
        rf"Error: the warehouse \S+ is locked by process {ran} \([^)]*uptake[^)]*\); "
        r"wait for it to finish, pass --wait SECONDS, or use another --db",
        refused,
    ), refused
    assert "Traceback" not in refused
    with Warehouse.open(db) as warehouse:
        assert differing(warehouse_fingerprint(warehouse.con), clean_demo_run[0]) == []
        assert succeeded_loads(warehouse.con) == clean_demo_run[1]  # the refused run loaded nothing


@pytest.fixture
def writer_holding_the_warehouse(tmp_path):
    """A process stalled inside a load's transaction: it holds the warehouse for writing."""
    db = tmp_path / "w.duckdb"
    Warehouse.open(db).close()  # a warehouse readers can open once the writer is gone
    spec = {
        "db": str(db),
        "step": "demo",
        "inputs": {},
        "kill": {"target": "uptake.warehouse.journal:_journal", "when": "after", "nth": 1},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability_pipeline", json.dumps(spec)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == KILL_MARKER
        yield db, process
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def run_cli(prefect_home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [UPTAKE, *args],
        cwd=ROOT,
        env=cli_environment(prefect_home),
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["sql", "select count(*) from meta.loads"],
        ["build"],
        ["refresh", "--source", "demo", "-q"],
    ],
    ids=["status", "sql", "build", "refresh"],
)
def test_a_command_during_a_write_gets_a_message_naming_the_writer(
    writer_holding_the_warehouse, prefect_home, command
):
    db, writer = writer_holding_the_warehouse

    result = run_cli(prefect_home, "--db", str(db), *command)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert re.fullmatch(
        rf"(?s).*Error: the warehouse \S+ is locked by process {writer.pid} "
        r"\([^)]*\); wait for it to finish, pass --wait SECONDS, or use another --db\n",
        result.stderr,
    ), result.stderr


def test_a_reader_with_wait_reads_once_the_writer_is_gone(
    writer_holding_the_warehouse, prefect_home
):
    db, writer = writer_holding_the_warehouse
    reader = subprocess.Popen(
        [UPTAKE, "--db", str(db), "--wait", "60", "sql", "select count(*) as n from meta.loads"],
        cwd=ROOT,
        env=cli_environment(prefect_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2)
    assert reader.poll() is None  # still waiting for the writer
    writer.send_signal(signal.SIGKILL)  # the writer dies mid-transaction

    out, err = reader.communicate(timeout=60)

    assert reader.returncode == 0, err
    assert out.split() == ["n", "-", "0"]  # the killed load left no journal row
