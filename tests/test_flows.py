import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import count
from uptake.flow_loader import load_flow
from uptake.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.usefixtures("prefect_harness")


def read_artifact(key: str) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        artifact = client.read_latest_artifacts()
        matching = [a for a in artifact if a.key == key]
    assert matching, f"no artifact {key}"
    return matching[0].data


def test_pypi_downloads_flow_loads_real_snapshots_and_leaves_an_artifact(tmp_path, shared_data):
    pypi_downloads = load_flow("pypi_downloads", "pypi_downloads")

    summary = pypi_downloads(
        source="top_pypi",
        locations=[str(shared_data / "top-pypi-packages")],
        db=str(tmp_path / "w.duckdb"),
    )

    assert (summary["rows"], summary["rejected"]) == (971_000, 0)
    assert "| 971,000 | 0 | 0 |" in read_artifact("load-top-pypi")


def test_refresh_flow_with_the_demo_source_builds_the_marts(tmp_path):
    refresh = load_flow("refresh", "refresh")
    db = str(tmp_path / "w.duckdb")

    result = refresh(sources=["demo"], db=db)

    assert result["failures"] == {}
    assert "marts.rivalry_leaders" in result["models"]["built"]
    with Warehouse.open(db, read_only=True) as warehouse:
        since = dict(
            warehouse.con.execute(
                "select segment, leading_since from marts.rivalry_leaders "
                "where rivalry = 'pytorch-vs-tensorflow'"
            ).fetchall()
        )
    # The mined corpus's segments are small samples: their leaders change more often.
    assert {segment: str(month) for segment, month in since.items()} == {
        "industry_downloads": "2024-03-01",
        "research_mentions": "2019-06-01",
        "research_code": "2023-10-01",
        "oss_imports": "2019-03-01",
    }


def test_a_failing_source_does_not_stop_the_others_or_the_build(tmp_path, shared_data):
    refresh = load_flow("refresh", "refresh")
    db = str(tmp_path / "w.duckdb")
    (tmp_path / "empty-folder").mkdir()

    result = refresh(
        sources=["top_pypi", "demo"],
        locations={"top_pypi": [str(tmp_path / "empty-folder")]},
        db=db,
    )

    assert list(result["failures"]) == ["top_pypi"]
    assert "no snapshot files found" in result["failures"]["top_pypi"]
    assert result["loads"]["demo (pypi)"]["rows"] == 3980
    assert result["loads"]["demo (research)"]["rows"] == 70 + 568_052  # mentions + corpus
    assert result["models"]["tests_passed"]


def test_demo_refresh_twice_leaves_identical_marts(tmp_path):
    from tests.test_models import mart_fingerprints

    refresh = load_flow("refresh", "refresh")
    db = str(tmp_path / "w.duckdb")
    refresh(sources=["demo"], db=db)
    with Warehouse.open(db) as warehouse:
        first = mart_fingerprints(warehouse)

    second_run = refresh(sources=["demo"], db=db)

    with Warehouse.open(db) as warehouse:
        assert mart_fingerprints(warehouse) == first
        assert count(warehouse, "select count(*) from raw.top_pypi_snapshots") == 158
    assert second_run["loads"]["demo (pypi)"]["skipped"] == 158
    assert second_run["loads"]["demo (research)"]["skipped"] == 2  # mentions and corpus


@pytest.mark.parametrize("script", ["refresh.py", "build_models.py"])
def test_flow_files_run_as_scripts(tmp_path, script):
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "UPTAKE_DB": str(tmp_path / "w.duckdb"),
        "PREFECT_API_URL": PREFECT_API_URL.value(),
    }

    result = subprocess.run(
        [sys.executable, f"flows/{script}"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr[-2000:]
    with Warehouse.open(tmp_path / "w.duckdb", read_only=True) as warehouse:
        assert warehouse.table_exists("marts.rivalry_shares")


def test_history_flow_loads_the_archive_from_github_and_never_stores_the_token(
    tmp_path, monkeypatch, shared_data
):
    from tests.fakes.github_server import FakeGitHub

    token = "ghp_" + "s3cr3t" * 6
    monkeypatch.setenv("GITHUB_TOKEN", token)
    pypi_downloads = load_flow("pypi_downloads", "pypi_downloads")
    db = str(tmp_path / "w.duckdb")
    with FakeGitHub() as github:
        repo = github.add_repo("hugovk/top-pypi-packages")
        for day in ("2024-03-01", "2024-04-01"):
            content = (shared_data / "top-pypi-packages" / f"{day}.json.gz").read_bytes()
            import gzip

            repo.commit(
                {"top-pypi-packages-30-days.json": gzip.decompress(content)},
                date=f"{day}T09:00:00Z",
            )
        monkeypatch.setenv("GITHUB_API_URL", github.base_url)

        first = pypi_downloads(source="top_pypi_history", db=db)
        second = pypi_downloads(source="top_pypi_history", db=db)
        sent = github.authorization_headers()

    assert (first["rows"], first["rejected"]) == (16_000, 0)
    assert (second["rows"], second["skipped"]) == (0, 0)  # known commits are not fetched again
    assert any(token in header for header in sent)
    with Warehouse.open(db, read_only=True) as warehouse:
        dump = warehouse.con.execute(
            "select string_agg(t::varchar, '|') from (select * from meta.loads union all "
            "select null, source, item, reason, null, null, null, null, null, null, null from meta.rejects) as t"
        ).fetchone()[0]
        origins = [
            r[0]
            for r in warehouse.con.execute("select origin from raw.top_pypi_snapshots").fetchall()
        ]
    assert token not in dump
    assert all(o.startswith("github:hugovk/top-pypi-packages@") for o in origins)
    assert token not in read_artifact("load-top-pypi-history")


def test_snapshot_urls_load_and_a_missing_one_is_rejected_without_retries(tmp_path):
    import gzip
    import threading
    import time
    from functools import partial
    from http.server import ThreadingHTTPServer

    from tests.test_top_pypi import QuietHandler, snapshot

    (tmp_path / "s.json.gz").write_bytes(
        gzip.compress(snapshot("2024-04-01 08:13:25", [("torch", 30)]))
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    pypi_downloads = load_flow("pypi_downloads", "pypi_downloads")
    started = time.monotonic()
    try:
        summary = pypi_downloads(
            source="top_pypi",
            locations=[f"{base}/s.json.gz", f"{base}/gone.json"],
            db=str(tmp_path / "w.duckdb"),
        )
    finally:
        server.shutdown()

    assert summary["rows"] == 1
    assert summary["rejects"][0][0] == f"{base}/gone.json"
    assert "HTTP 404" in summary["rejects"][0][1]
    assert time.monotonic() - started < 5  # a 404 is not retried (the backoff would take 155 s)


@pytest.mark.parametrize(
    "error, retried",
    [
        (OSError("connection reset"), True),
        (TimeoutError(), True),
        (__import__("uptake.errors").errors.RateLimitedError("429"), True),
        (__import__("uptake.errors").errors.BudgetExceededError("over budget"), False),
        (__import__("uptake.errors").errors.SourceError("HTTP 404"), False),
    ],
)
def test_only_transient_failures_are_retried(error, retried):
    from uptake.flows_support import retry_if_transient

    class FailedState:
        def result(self):
            raise error

    assert retry_if_transient(None, None, FailedState()) is retried


def test_a_source_failing_before_its_load_is_journaled_and_shown_by_status(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from uptake.cli import cli
    from uptake.errors import SourceError
    from uptake.sources import bigquery_pypi

    def no_credentials(project=None):
        raise SourceError(
            "could not create a BigQuery client (check Application Default Credentials)"
        )

    monkeypatch.setattr(bigquery_pypi, "make_client", no_credentials)
    refresh = load_flow("refresh", "refresh")
    db = str(tmp_path / "w.duckdb")

    result = refresh(sources=["bigquery"], db=db)
    status = CliRunner().invoke(cli, ["--db", db, "status"])

    assert "check Application Default Credentials" in result["failures"]["bigquery"]
    with Warehouse.open(db, read_only=True) as warehouse:
        journal = warehouse.con.execute("select source, status, error from meta.loads").fetchall()
    assert journal == [
        (
            "bigquery_pypi",
            "failed",
            "SourceError: could not create a BigQuery client (check Application Default Credentials)",
        )
    ]
    assert status.exit_code == 1
    assert "latest load failed for: bigquery_pypi" in status.stderr


def test_refresh_loads_the_real_conference_papers_beside_the_downloads(tmp_path, shared_data):
    refresh = load_flow("refresh", "refresh")
    db = str(tmp_path / "w.duckdb")

    result = refresh(
        sources=["conference_papers", "demo"],
        locations={"conference_papers": [str(shared_data / "conference-papers")]},
        db=db,
    )

    assert result["failures"] == {}
    assert result["loads"]["conference_papers"]["rejected"] == 0
    with Warehouse.open(db, read_only=True) as warehouse:
        cvpr = warehouse.con.execute(
            "select technology, table_papers_mentioning, unaffiliated_papers_mentioning "
            "from marts.conference_mentions where conference = 'cvpr' and year = 2019 order by technology"
        ).fetchall()
        icml_links = warehouse.con.execute(
            "select count(*) from intermediate.int_conference_papers where conference = 'icml' and year = 2019 "
            "and code_url is not null"
        ).fetchone()[0]
    assert cvpr == [("pytorch", 294, 303), ("tensorflow", 148, 148)]
    assert icml_links == 518


def test_github_imports_flow_mines_a_local_clone_and_names_it(tmp_path):
    from datetime import date

    from tests.git_repos import RepoBuilder

    repo = RepoBuilder(tmp_path / "clone")
    repo.commit("2021-01-10T00:00:00Z", {"train.py": "import torch\n", "app.py": "import flask\n"})
    github_imports = load_flow("github_imports", "github_imports")
    db = str(tmp_path / "w.duckdb")

    summary = github_imports(
        repositories=[f"lab/model={repo.path}", str(tmp_path / "missing")],
        db=db,
        until=date(2021, 3, 1),
        workers=1,
    )

    assert (summary["months"], summary["blobs_parsed"], summary["rejected"]) == (2, 2, 1)
    with Warehouse.open(db, read_only=True) as warehouse:
        months = warehouse.con.execute(
            "select repo, month from raw.repo_snapshots order by month"
        ).fetchall()
    assert months == [("lab/model", date(2021, 1, 1)), ("lab/model", date(2021, 2, 1))]
