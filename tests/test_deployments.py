"""prefect.yaml: every deployment's flow, parameters, schedule and trigger, and the real thing:
a Prefect server, `prefect deploy --all`, a process worker, runs to completion."""

import asyncio
import contextlib
import inspect
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from uptake.flow_loader import load_flow
from uptake.schedules import CADENCE_INTERVALS, SOURCE_CADENCES
from uptake.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
PREFECT = Path(sys.executable).parent / "prefect"
POOL = "uptake-process"


def deployments() -> list[dict]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


def flow_of(deployment: dict):
    path, name = deployment["entrypoint"].split(":")
    assert path.startswith("flows/") and path.endswith(".py"), path
    return load_flow(Path(path).stem, name)


def journal_source(deployment: dict) -> str:
    """The meta.loads source a load deployment writes, from the flows' own tables."""
    parameters = deployment.get("parameters", {})
    module = sys.modules[flow_of(deployment).fn.__module__]
    if hasattr(module, "JOURNAL_SOURCE"):
        return module.JOURNAL_SOURCE[parameters["source"]]
    assert module.__name__.endswith("github_imports"), module.__name__
    return f"mining_{parameters['mode']}"


def cadence(schedule: dict) -> str:
    """daily / weekly / monthly: the longest gap between the cron's next fire times."""
    from prefect.server.schemas.schedules import CronSchedule

    cron = CronSchedule(cron=schedule["cron"], timezone=schedule.get("timezone", "UTC"))
    dates = asyncio.run(cron.get_dates(n=40, start=datetime(2026, 1, 1, tzinfo=UTC)))
    longest = max(later - earlier for earlier, later in zip(dates, dates[1:], strict=False))
    return next(name for name, interval in CADENCE_INTERVALS.items() if longest <= interval)


@pytest.mark.parametrize("deployment", deployments(), ids=lambda d: d["name"])
def test_every_deployment_names_a_flow_that_accepts_its_parameters(deployment):
    flow = flow_of(deployment)
    parameters = deployment.get("parameters", {})

    inspect.signature(flow.fn).bind(**parameters)  # unknown names, missing required ones
    flow.validate_parameters(parameters)  # types
    module = sys.modules[flow.fn.__module__]
    if "source" in parameters:
        assert parameters["source"] in module.SOURCES
    assert deployment["work_pool"]["name"] == POOL


def test_every_schedule_and_trigger_parses():
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.events import DeploymentTriggerTypes
    from pydantic import TypeAdapter

    triggers = TypeAdapter(DeploymentTriggerTypes)
    checked = 0
    for deployment in deployments():
        for schedule in deployment.get("schedules", []):
            assert set(schedule) <= {"cron", "timezone"}, schedule
            CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
            checked += 1
        for trigger in deployment.get("triggers", []):
            triggers.validate_python(trigger)
            checked += 1
    assert checked == 12


def test_the_models_rebuild_after_every_scheduled_load_and_the_analysis_after_them():
    by_name = {d["name"]: d for d in deployments()}
    scheduled = {name for name, d in by_name.items() if d.get("schedules")}

    def triggering(name):
        [trigger] = by_name[name]["triggers"]
        assert trigger["expect"] == ["prefect.flow-run.Completed"]
        assert trigger["match_related"]["prefect.resource.role"] == "deployment"
        names = trigger["match_related"]["prefect.resource.name"]
        return {names} if isinstance(names, str) else set(names)

    assert triggering("build-models") == scheduled
    assert triggering("analyze") == {"build-models", "refresh-demo"}
    assert not by_name["refresh-demo"].get("schedules") and not by_name["refresh-demo"].get(
        "triggers"
    )
    assert by_name["refresh-demo"]["parameters"] == {"sources": ["demo"]}


def test_status_expects_of_each_source_what_prefect_yaml_schedules():
    from_yaml: dict[str, set[str]] = {}
    for deployment in deployments():
        for schedule in deployment.get("schedules", []):
            from_yaml.setdefault(journal_source(deployment), set()).add(cadence(schedule))

    assert {source: sorted(found) for source, found in from_yaml.items()} == {
        source: [expected] for source, expected in SOURCE_CADENCES.items()
    }


# The real thing. A server on a free loopback port, its SQLite database and PREFECT_HOME in
# tmp; no scheduler (the schedules name networked sources, and nothing may run by the clock
# in a test), no UI, no analytics. Everything started is stopped by process group.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(args, env, cwd, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen, grace: float = 15) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def prefect_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect")
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PREFECT_")
        and key not in ("UPTAKE_DB", "GITHUB_TOKEN", "GH_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS")
    }
    env.update(
        PREFECT_HOME=str(home / "home"),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
        PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED="false",
        PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",  # picks a run up within a second, not ten
        PREFECT_LOGGING_LEVEL="INFO",
        NO_GCE_CHECK="True",
        DO_NOT_TRACK="1",
        COLUMNS="200",
    )
    return {"env": env, "home": home, "port": port, "api": env["PREFECT_API_URL"]}


@pytest.fixture(scope="module")
def prefect_server(prefect_env):
    server = start(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(prefect_env["port"])],
        prefect_env["env"],
        prefect_env["home"],
        prefect_env["home"] / "server.log",
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (prefect_env["home"] / "server.log").read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{prefect_env['api']}/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the Prefect server did not answer in 180 s"
            time.sleep(0.5)
        yield prefect_env
    finally:
        stop(server)


def prefect(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PREFECT, "--no-prompt", *args],
        env=env["env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def deployed(prefect_server):
    prefect(prefect_server, "work-pool", "create", POOL, "--type", "process")
    prefect(prefect_server, "work-pool", "set-concurrency-limit", POOL, "1")
    prefect(prefect_server, "deploy", "--all")
    return prefect_server


@pytest.fixture(scope="module")
def worker(deployed):
    """A process worker started outside the checkout, its warehouse in tmp."""
    env = {**deployed["env"], "UPTAKE_DB": str(deployed["home"] / "scheduled.duckdb")}
    process = start(
        [PREFECT, "worker", "start", "--pool", POOL, "--prefetch-seconds", "0"],
        env,
        deployed["home"],
        deployed["home"] / "worker.log",
    )
    try:
        yield {**deployed, "db": Path(env["UPTAKE_DB"]), "log": deployed["home"] / "worker.log"}
    finally:
        stop(process)


def api(env: dict, method: str, path: str, body: dict | None = None):
    response = httpx.request(method, f"{env['api']}{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def run_deployment(env: dict, name: str, **parameters) -> str:
    args = ["deployment", "run", name]
    for key, value in parameters.items():
        args += ["--param", f"{key}={json.dumps(value)}"]
    output = prefect(env, *args)
    return re.search(r"UUID: ([0-9a-f-]{36})", output).group(1)


def wait_for(env: dict, flow_run_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = api(env, "GET", f"/flow_runs/{flow_run_id}")
        if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        assert time.monotonic() < deadline, (
            f"flow run still {run['state']['name']} after {timeout} s\n"
            + env["log"].read_text()[-3000:]
        )
        time.sleep(1)


def runs_of(env: dict, deployment: str) -> list[dict]:
    return api(env, "POST", "/flow_runs/filter", {"deployments": {"name": {"any_": [deployment]}}})


def wait_for_triggered(env: dict, deployment: str, before: set[str], timeout: float = 240):
    deadline = time.monotonic() + timeout
    while not (new := [r for r in runs_of(env, deployment) if r["id"] not in before]):
        assert time.monotonic() < deadline, f"no {deployment} run triggered in {timeout} s"
        time.sleep(1)
    [run] = new
    return wait_for(env, run["id"], timeout)


@pytest.mark.slow
def test_deploy_all_then_a_worker_runs_the_demo_refresh_into_the_warehouse_and_analyses_it(
    worker, tmp_path
):
    db = tmp_path / "demo.duckdb"
    started = datetime.now(UTC)
    analyses_before = {r["id"] for r in runs_of(worker, "analyze")}

    run = wait_for(worker, run_deployment(worker, "refresh/refresh-demo", db=str(db)))
    analysis = wait_for_triggered(worker, "analyze", analyses_before, timeout=420)

    assert run["state"]["type"] == "COMPLETED", run["state"]
    # The chain ends analysed, on the warehouse the demo refresh wrote.
    assert analysis["state"]["type"] == "COMPLETED", analysis["state"]
    assert analysis["parameters"]["db"] == str(db)
    deployed = {d["name"]: d for d in api(worker, "POST", "/deployments/filter", {})}
    assert set(deployed) == {d["name"] for d in deployments()}
    assert deployed["pypi-downloads-pypistats"]["schedules"][0]["schedule"]["cron"] == "30 4 * * *"
    # The run started from the checkout the deploy ran in, not the worker's directory.
    assert deployed["refresh-demo"]["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
    ]
    with Warehouse.open(db, read_only=True) as warehouse:
        leaders = dict(
            warehouse.con.execute(
                "select segment, leader || ' since ' || strftime(leading_since, '%Y-%m') "
                "from marts.rivalry_leaders where rivalry = 'pytorch-vs-tensorflow'"
            ).fetchall()
        )
        loads = warehouse.con.execute(
            "select source, status, rows_loaded from meta.loads order by source"
        ).fetchall()
        finished = warehouse.con.execute("select min(finished_at) from meta.loads").fetchone()[0]
        headline = warehouse.con.execute(
            "select headline from marts.meta_analysis where is_headline and rule = 'main'"
        ).fetchall()
    assert len(headline) == 1 and headline[0][0].startswith("Of ")
    assert leaders["industry_downloads"] == "pytorch since 2024-03"
    assert leaders["research_mentions"] == "pytorch since 2019-06"
    assert loads == [
        ("conference_papers", "succeeded", 70),
        ("mining_corpus", "succeeded", 568_052),
        ("top_pypi", "succeeded", 3980),
    ]
    assert finished > started.replace(tzinfo=None) - timedelta(seconds=1)
    assert not worker["db"].exists()  # the db parameter won over the worker's UPTAKE_DB


@pytest.mark.slow
def test_a_completed_load_triggers_the_models_then_the_analysis(worker):
    mentions = ROOT / "src" / "uptake" / "data" / "conference_mentions.csv"
    builds_before = {r["id"] for r in runs_of(worker, "build-models")}
    analyses_before = {r["id"] for r in runs_of(worker, "analyze")}

    load = wait_for(
        worker,
        run_deployment(
            worker,
            "research-signals/research-signals-conference-papers",
            locations=[str(mentions)],
        ),
    )
    build = wait_for_triggered(worker, "build-models", builds_before)
    analysis = wait_for_triggered(worker, "analyze", analyses_before)

    assert [r["state"]["type"] for r in (load, build, analysis)] == ["COMPLETED"] * 3
    # no db parameter on the load: the triggered runs use the worker's warehouse too
    assert build["parameters"]["db"] is None and analysis["parameters"]["db"] is None
    with Warehouse.open(worker["db"], read_only=True) as warehouse:
        journal = warehouse.con.execute("select source, status from meta.loads").fetchall()
        research = warehouse.con.execute(
            "select leader from marts.rivalry_leaders "
            "where rivalry = 'pytorch-vs-tensorflow' and segment = 'research_mentions'"
        ).fetchall()
        settings = warehouse.con.execute("select count(*) from marts.analysis_settings").fetchone()
    assert journal == [("conference_papers", "succeeded")]
    assert research == [("pytorch",)]
    assert settings[0] >= 1
