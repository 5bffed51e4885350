"""Secrets never leave the process: one run of every flow, with credentials in the
environment and fake servers that echo them back when they refuse.

A GitHub token, a Hugging Face token and a Google service-account file (random key id,
private key and account e-mail) are set; then every flow runs against the fakes, the
failing runs included (401, 403 and 500 answers whose bodies echo the Authorization
header, a BigQuery error quoting the private key, credentials that do not load). None of
the secrets may then appear in stdout or stderr, any Python log record, Prefect's logs,
artifacts or flow runs (read back through the Prefect API), an exception message, the
report (when `uptake.report` exists) or any table of the warehouse.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import secrets
import socket
import string
from datetime import date
from pathlib import Path

import pytest

from tests.fakes.github_server import FakeGitHub
from tests.fakes.hf_hub_server import FakeHub
from tests.fakes.hf_hub_server import Reply as HubReply
from tests.fakes.loopback import bypass_proxies
from tests.fakes.pypistats_server import FakePypistats
from tests.git_repos import RepoBuilder
from tests.test_top_pypi import snapshot
from uptake.flow_loader import load_flow
from uptake.warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")

ALPHANUMERIC = string.ascii_letters + string.digits


def random_text(length: int, alphabet: str = ALPHANUMERIC) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


class Credentials:
    """The secrets of one test run and every form in which one could leak."""

    def __init__(self, folder: Path):
        self.github_token = "ghp_" + random_text(36)
        self.hf_token = "hf_" + random_text(34)
        self.private_key_id = random_text(40, "0123456789abcdef")
        self.client_email = f"svc-{random_text(12).lower()}@uptake-test.iam.gserviceaccount.com"
        body = base64.b64encode(secrets.token_bytes(48 * 12)).decode()
        self.key_lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        self.private_key = (
            "-----BEGIN PRIVATE KEY-----\n"
            + "\n".join(self.key_lines)
            + "\n-----END PRIVATE KEY-----\n"
        )
        self.file = folder / "service-account.json"
        self.file.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "uptake-test",
                    "private_key_id": self.private_key_id,
                    "private_key": self.private_key,
                    "client_email": self.client_email,
                    "client_id": "109876543210987654321",
                    "token_uri": "http://127.0.0.1:9/token",
                }
            )
        )

    @property
    def markers(self) -> dict[str, str]:
        """Each secret, and each part of the key long enough to identify it."""
        found = {
            "GITHUB_TOKEN": self.github_token,
            "GITHUB_TOKEN (token part)": self.github_token[4:],
            "HF_TOKEN": self.hf_token,
            "private_key_id": self.private_key_id,
            "client_email": self.client_email,
        }
        found.update({f"private_key line {n}": line for n, line in enumerate(self.key_lines)})
        return found

    def leaks(self, text: str) -> list[str]:
        """Each secret found, with the text around its first appearance (the secret masked)."""
        found = []
        for name, value in self.markers.items():
            at = text.find(value)
            if at >= 0:
                around = text[max(0, at - 300) : at + len(value) + 100]
                found.append(f"{name}: ...{around.replace(value, '<' + name + '>')}...")
        return found


class Everything(logging.Handler):
    """Every log record of every logger, formatted with its traceback."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # a record that cannot be formatted is itself worth seeing
            self.lines.append(f"unformattable record {record.name}: {exc!r}")


@pytest.fixture
def credentials(tmp_path, monkeypatch) -> Credentials:
    creds = Credentials(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", creds.github_token)
    monkeypatch.setenv("HF_TOKEN", creds.hf_token)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(creds.file))
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    bypass_proxies(monkeypatch)
    return creds


@pytest.fixture
def every_log():
    """All Python logging at DEBUG (PyGithub's request log included), and Prefect's run
    loggers at DEBUG so that everything they would send to the API is sent."""
    import github  # noqa: F401 (importing PyGithub sets its logger to INFO: import it first)

    handler = Everything()
    names = ["", "prefect", "prefect.flow_runs", "prefect.task_runs", "github", "uptake"]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


# -- the inputs of every source --------------------------------------------------------------


def offline_inputs(folder: Path) -> dict[str, list[str]]:
    folder.mkdir()
    (folder / "2024-04-01.json").write_bytes(snapshot("2024-04-01 08:13:25", [("torch", 30)]))
    papers = [{"id": "p1", "name": "A paper", "authors": ["A"], "metadata": {"words": ["pytorch"]}}]
    (folder / "cvpr_2019.json").write_text(json.dumps(papers))
    (folder / "framework_mentions.csv").write_text("CVPR,06/19,294,148,1294\n")
    link = {
        "paper_url": "https://paperswithcode.com/paper/p1",
        "paper_title": "A paper",
        "repo_url": "https://github.com/lab/model",
        "framework": "pytorch",
    }
    (folder / "links.json.gz").write_bytes(gzip.compress(json.dumps([link]).encode()))
    paper = {"paper_url": link["paper_url"], "title": "A paper", "date": "2019-05-01"}
    (folder / "papers.json").write_text(json.dumps([paper]))
    return {
        "top_pypi": [str(folder / "2024-04-01.json")],
        "conference_papers": [
            str(folder / "cvpr_2019.json"),
            str(folder / "framework_mentions.csv"),
        ],
        "pwc_links": [str(folder / "links.json.gz")],
        "pwc_papers": [str(folder / "papers.json")],
    }


def fake_github(shared_data: Path) -> FakeGitHub:
    github = FakeGitHub().start()
    archive = github.add_repo("hugovk/top-pypi-packages")
    content = (shared_data / "top-pypi-packages" / "2024-04-01.json.gz").read_bytes()
    archive.commit(
        {"top-pypi-packages-30-days.json": gzip.decompress(content)}, date="2024-04-01T09:00:00Z"
    )
    project = github.add_repo("owner/project", stargazers_count=3)
    project.commit({"train.py": "import torch\n"}, date="2021-01-10T00:00:00Z")
    broken = github.add_repo("owner/broken")
    broken.commit({"x.py": "import os\n"}, date="2021-01-10T00:00:00Z")
    return github


def fake_hub(credentials: Credentials) -> FakeHub:
    hub = FakeHub().start()
    hub.add_model("org/torch-model", "2024-01-02T00:00:00.000Z", ["pytorch"])
    hub.add_model("org/tf-model", "2024-01-03T00:00:00.000Z", ["tf"])
    # The Hub refusing one tag with a body that quotes the token it was sent.
    echo = json.dumps(
        {"error": f"Invalid credentials in Authorization header: Bearer {credentials.hf_token}"}
    )
    hub.always("jax", HubReply(401, echo.encode()))
    return hub


# -- the test --------------------------------------------------------------------------------


def test_no_secret_leaves_the_process_from_any_flow(
    tmp_path, monkeypatch, credentials, every_log, capfd, shared_data
):
    from google.api_core import exceptions as google_errors

    from tests.test_bigquery_pypi import FakeClient
    from uptake.sources import bigquery_pypi

    real_make_client = bigquery_pypi.make_client
    db = str(tmp_path / "warehouse" / "w.duckdb")
    locations = offline_inputs(tmp_path / "inputs")
    clone = RepoBuilder(tmp_path / "clone")
    clone.commit("2021-01-10T00:00:00Z", {"app.py": "import flask\n"})
    github, hub, stats = fake_github(shared_data), fake_hub(credentials), FakePypistats().start()
    stats.add_project("torch", {date(2024, 5, 1): 10})
    monkeypatch.setenv("GITHUB_API_URL", github.base_url)
    refresh = load_flow("refresh", "refresh")
    pypi_downloads = load_flow("pypi_downloads", "pypi_downloads")
    research_signals = load_flow("research_signals", "research_signals")
    github_imports = load_flow("github_imports", "github_imports")
    build_models = load_flow("build_models", "build_models")
    analyze = load_flow("analyze", "analyze")
    states = []
    hosts_resolved = set()
    resolve = socket.getaddrinfo

    def recording_resolve(host, *args, **kwargs):
        hosts_resolved.add(host)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording_resolve)

    def run(flow, **parameters):
        states.append(flow(**parameters, return_state=True))

    try:
        # Every offline source, the Hub and pypistats through the parent flow, then the models.
        run(
            refresh,
            sources=["demo", *locations, "pypistats", "huggingface_hub"],
            locations=locations,
            db=db,
            pypistats_url=stats.base_url,
            hub_endpoint=hub.endpoint,
        )
        run(research_signals, source="huggingface_hub", db=db, hub_endpoint=hub.endpoint)
        # The archive's history from GitHub: once served, once refused with the header echoed.
        run(pypi_downloads, source="top_pypi_history", db=db)
        github.fail(401, "Bad credentials", match="/commits", times=None, echo_authorization=True)
        run(pypi_downloads, source="top_pypi_history", db=str(tmp_path / "w-401.duckdb"))
        github.clear_scripts()
        # BigQuery: the DuckDB-backed fake, then a refusal quoting the key, then the real
        # client failing to load the (fake) key.
        monkeypatch.setattr(bigquery_pypi, "make_client", lambda project=None: FakeClient())
        run(pypi_downloads, source="bigquery", db=db)
        refusal = google_errors.Forbidden(
            f"key {credentials.private_key_id} of {credentials.client_email} refused:"
            f" {credentials.private_key}"
        )
        monkeypatch.setattr(
            bigquery_pypi, "make_client", lambda project=None: FakeClient(error=refusal)
        )
        run(pypi_downloads, source="bigquery", db=db)
        monkeypatch.setattr(bigquery_pypi, "make_client", real_make_client)
        run(pypi_downloads, source="bigquery", db=db)
        # Mining: through the API (one repository answering 500 with the header echoed,
        # then 403 for everything), and from a local clone.
        github.fail(500, match="/owner/broken/commits$", times=None, echo_authorization=True)
        run(github_imports, repositories=["owner/project", "owner/broken"], mode="api", db=db,
            until=date(2021, 3, 1))  # fmt: skip
        github.fail(403, "Forbidden", times=None, echo_authorization=True)
        run(github_imports, repositories=["owner/project"], mode="api",
            db=str(tmp_path / "w-403.duckdb"), until=date(2021, 3, 1))  # fmt: skip
        github.clear_scripts()
        run(github_imports, repositories=[f"lab/app={clone.path}"], db=db, until=date(2021, 3, 1),
            workers=1)  # fmt: skip
        run(build_models, db=db)
        run(analyze, db=db, resamples=20)
    finally:
        github.stop()
        hub.stop()
        stats.stop()

    # The runs did what they should: the flows completed, the refusals were met.
    assert [s.is_completed() for s in states].count(True) >= 9, [s.message for s in states]
    assert any(credentials.github_token in (h or "") for h in github.authorization_headers())
    assert any(credentials.hf_token in (r.authorization or "") for r in hub.requests)
    refused = {r.status for r in github.requests if r.authorization} & {401, 403, 500}
    assert refused == {401, 403, 500}, "the echoing answers were never served"
    assert any(r.tag == "jax" and r.authorization for r in hub.requests)  # the echoing 401
    assert hosts_resolved <= {"127.0.0.1", "localhost"}, "a request left the machine"

    places = {
        "stdout and stderr": "\n".join(capfd.readouterr()),
        "Python logs": "\n".join(every_log.lines),
        "flow run states": "\n".join(_state_texts(states)),
        **_prefect_records(),
        **_warehouse_dumps([db, tmp_path / "w-401.duckdb", tmp_path / "w-403.duckdb"]),
        **_report_files(db, tmp_path / "reports"),
    }
    leaks = {place: credentials.leaks(text) for place, text in places.items()}
    assert {place: found for place, found in leaks.items() if found} == {}
    assert len(places) >= 8


def _state_texts(states) -> list[str]:
    texts = []
    for state in states:
        texts.append(str(state.message))
        try:
            texts.append(repr(state.result(raise_on_failure=False)))
        except Exception as exc:  # the result itself may be the failure
            texts.append(repr(exc))
    return texts


def _prefect_records() -> dict[str, str]:
    """Logs, artifacts and flow runs as the Prefect API holds them."""
    from prefect.client.orchestration import get_client
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=30)
    with get_client(sync_client=True) as client:
        logs, offset = [], 0
        while batch := client.read_logs(limit=200, offset=offset):
            logs += [log.message for log in batch]
            offset += len(batch)
        artifacts = [
            json.dumps(a.model_dump(mode="json"), default=str) for a in client.read_artifacts()
        ]
        runs = [json.dumps(r.model_dump(mode="json"), default=str) for r in client.read_flow_runs()]
    assert logs and artifacts and runs
    return {
        "Prefect logs": "\n".join(logs),
        "Prefect artifacts": "\n".join(artifacts),
        "Prefect flow runs": "\n".join(runs),
    }


def _warehouse_dumps(paths) -> dict[str, str]:
    """Every table and view of every schema, as text."""
    dumps = {}
    for path in paths:
        with Warehouse.open(path, read_only=True) as warehouse:
            names = warehouse.con.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_catalog = current_database()"
            ).fetchall()
            assert len(names) > 10
            for schema, table in names:
                rows = warehouse.con.execute(f'select * from "{schema}"."{table}"').fetchall()  # noqa: S608
                dumps[f"{Path(path).name}: {schema}.{table}"] = str(rows)
    return dumps


def _report_files(db: str, folder: Path) -> dict[str, str]:
    """The report's files, when the report exists in this checkout."""
    try:
        from uptake.report import write_report
    except ImportError:
        return {}
    with Warehouse.open(db, read_only=True) as warehouse:
        write_report(warehouse.con, folder, title="secrets")
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    return {f"report {p.name}": p.read_bytes().decode("utf-8", "replace") for p in files}


def test_pygithub_debug_log_of_an_echoing_answer_is_scrubbed_while_reading_history(
    credentials, every_log
):
    from uptake.errors import SourceError
    from uptake.sources.github_history import iter_file_history

    with FakeGitHub() as github:
        github.add_repo("hugovk/top-pypi-packages").commit(
            {"top-pypi-packages-30-days.json": b"{}"}, date="2024-04-01T09:00:00Z"
        )
        github.fail(401, "Bad credentials", match="/commits", times=None, echo_authorization=True)

        with pytest.raises(SourceError) as raised:
            list(iter_file_history("hugovk/top-pypi-packages", base_url=github.base_url))

    answers = [line for line in every_log.lines if line.startswith("github.Requester DEBUG")]
    assert any("request had Authorization: token ***" in line for line in answers)
    assert credentials.leaks("\n".join(every_log.lines) + str(raised.value)) == []
