import os
from pathlib import Path

import pytest

from uptake.warehouse import Warehouse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _no_ambient_warehouse(monkeypatch):
    """No test may touch a developer's real warehouse or credentials by accident."""
    monkeypatch.delenv("UPTAKE_DB", raising=False)
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    # google-auth would otherwise probe the GCE metadata server over the network.
    monkeypatch.setenv("NO_GCE_CHECK", "True")


@pytest.fixture
def shared_data() -> Path:
    """The real data beside the checkout; its absence is a failure, not a skip."""
    assert SHARED_DATA.is_dir(), f"real data missing: expected {SHARED_DATA} (see README)"
    return SHARED_DATA


@pytest.fixture
def warehouse(tmp_path):
    with Warehouse.open(tmp_path / "warehouse.duckdb") as opened:
        yield opened


def count(warehouse, sql: str, params=None) -> int:
    return warehouse.con.execute(sql, params or []).fetchone()[0]


os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session: flows run for real against it."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def demo_warehouse(prefect_harness, tmp_path_factory) -> Path:
    """The demo's warehouse, refreshed and analysed once per session; tests only read it."""
    from uptake.analysis import analyze
    from uptake.flow_loader import load_flow

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    load_flow("refresh", "refresh")(sources=["demo"], db=str(db))
    with Warehouse.open(db) as opened:
        analyze(opened, resamples=200, placebo_runs=40)
    return db


def pytest_collection_modifyitems(items):
    """The property tests run first, before any flow: once a flow has run, Prefect's
    events client pings its websocket from a background thread with the global `random`,
    and Hypothesis, which watches that module while it generates, then warns that a
    strategy used it."""
    items.sort(key=lambda item: item.path.name != "test_imports_properties.py")
