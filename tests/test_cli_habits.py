"""The command line keeps the ecosystem's habits: options where users type them, stdin,
bound parameters, machine-readable status, English counts, one-line errors."""

import json

import pytest
from click.testing import CliRunner

from tests.git_repos import RepoBuilder
from tests.test_cli import built_db  # noqa: F401 (fixture)
from uptake import progress
from uptake.cli import cli
from uptake.progress import listening
from uptake.wording import counted


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_warehouse_options_work_after_the_command_too(built_db):  # noqa: F811
    after = run("sql", "--db", str(built_db), "select count(*) as n from marts.downloads_monthly")
    before = run("--db", str(built_db), "sql", "select count(*) as n from marts.downloads_monthly")

    assert after.exit_code == 0, after.output
    assert after.stdout == before.stdout
    assert int(after.stdout.splitlines()[2]) > 1000
    # the option after the command wins over the one before it
    both = run("--db", "/nonexistent/x.duckdb", "sql", "--db", str(built_db), "select 1 as x")
    assert both.stdout == "x\n-\n1\n"


def test_sql_reads_the_statement_from_stdin_and_binds_parameters(built_db):  # noqa: F811
    query = "select project, count(*) as months from marts.downloads_monthly where project = $p group by project"

    result = run(
        "sql", "--db", str(built_db), "-", "--param", "p=torch", "--format", "csv", input=query
    )

    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    assert header == "project,months"
    assert row.startswith("torch,") and int(row.split(",")[1]) > 50


def test_a_parameter_is_bound_as_data_never_spliced(built_db):  # noqa: F811
    hostile = "torch' or 1=1 --"
    result = run(
        "sql", "--db", str(built_db), "select count(*) as n from marts.downloads_monthly where project = $p",
        "--param", f"p={hostile}", "--format", "json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"n": 0}]


@pytest.mark.parametrize(
    ("param", "message"),
    [
        (
            "novalue",
            "Invalid value for --param: 'novalue' is not NAME=VALUE with NAME a parameter name",
        ),
        ("1x=2", "Invalid value for --param: '1x=2' is not NAME=VALUE with NAME a parameter name"),
    ],
)
def test_a_malformed_parameter_is_a_usage_error(built_db, param, message):  # noqa: F811
    result = run("sql", "--db", str(built_db), "select 1", "--param", param)

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"


def test_a_missing_parameter_is_one_line(built_db):  # noqa: F811
    result = run("sql", "--db", str(built_db), "select $absent as a")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: query failed: Invalid Input Error: Values were not provided for the "
        "following parameters: absent\n"
    )


def test_status_as_json_gives_timestamps_and_seconds(built_db):  # noqa: F811
    result = run("status", "--db", str(built_db), "--format", "json")

    rows = {row["source"]: row for row in json.loads(result.stdout)}
    top = rows["top_pypi"]
    assert top["last_load"] == "succeeded" and top["rows"] > 100_000
    assert top["last_success_at"].startswith("20") and "T" in top["last_success_at"]
    assert isinstance(top["age_seconds"], int) and top["age_seconds"] >= 0
    assert rows["pypistats"]["last_success_at"] is None
    assert rows["pypistats"]["state"] == "never loaded"


def test_the_report_folder_has_one_name_in_demo_and_report():
    demo = run("demo", "--help").stdout
    report = run("report", "--help").stdout

    assert "--report-dir DIRECTORY" in demo and "--report-dir DIRECTORY" in report
    assert "--output" not in report


def test_mine_bigquery_without_a_snapshot_date_is_a_usage_error(tmp_path):
    result = run("--db", str(tmp_path / "w.duckdb"), "mine", "--mode", "bigquery", "owner/name")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: --mode bigquery needs --snapshot-date YYYY-MM-DD: when github_repos was last refreshed"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--snapshot-date", "2024-13-01"], "Invalid value for '--snapshot-date': '2024-13-01' does not match the format '%Y-%m-%d'."),
        (["--until", "March"], "Invalid value for '--until': 'March' is not a month like 2024-03"),
        (["--workers", "0"], "Invalid value for '--workers': 0 is not in the range x>=1."),
    ],
)  # fmt: skip
def test_dates_and_counts_are_checked_before_anything_runs(tmp_path, args, message):
    result = run("--db", str(tmp_path / "w.duckdb"), "mine", "owner/name", *args)

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert not (tmp_path / "w.duckdb").exists()


def test_a_flow_given_parameters_that_do_not_fit_raises_uptakes_own_error(tmp_path):
    from uptake.errors import ParameterError, UptakeError
    from uptake.flow_loader import load_flow

    refresh = load_flow("refresh", "refresh")
    with pytest.raises(ParameterError, match="^unknown source nope: choose from ") as raised:
        refresh.fn(sources=["nope"], db=str(tmp_path / "w.duckdb"))
    assert isinstance(raised.value, UptakeError)


@pytest.mark.usefixtures("prefect_harness")
def test_mine_builds_the_marts_and_counts_in_english(tmp_path):
    repo = RepoBuilder(tmp_path / "src")
    repo.commit("2023-01-10T12:00:00", {"train.py": "import torch\n"})
    db = tmp_path / "w.duckdb"
    seen = []

    with listening(lambda what, done, total: seen.append((what, done, total))):
        result = run("--db", str(db), "mine", f"acme/model={repo.path}", "--until", "2023-03")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("mined: ")
    assert "repositories 1" in result.stdout
    assert "built " in result.stdout and " models; " in result.stdout
    assert "Mining 1 repository (local)" in result.stderr
    assert seen[-1] == ("repositories mined", 1, 1)
    rows = run(
        "--db", str(db), "sql", "select repo, technology from marts.repo_imports_monthly limit 1"
    )
    assert rows.stdout.splitlines()[2].split() == ["acme/model", "pytorch"]

    skipped = run(
        "--db", str(tmp_path / "other.duckdb"), "mine", f"acme/model={repo.path}", "--no-build"
    )
    assert "built " not in skipped.stdout


@pytest.mark.parametrize(
    ("number", "noun", "text"),
    [
        (1, "repository", "1 repository"),
        (2, "repository", "2 repositories"),
        (0, "new month", "0 new months"),
        (1, "new month", "1 new month"),
        (1204, "data test", "1,204 data tests"),
    ],
)
def test_counts_read_as_english(number, noun, text):
    assert counted(number, noun) == text


def test_progress_reaches_every_listener_and_stops_when_left():
    heard = []
    progress.advance("before", 0, 1)
    with listening(lambda *event: heard.append(event)):
        progress.advance("repositories mined", 3, 10)
    progress.advance("after", 1, 1)

    assert heard == [("repositories mined", 3, 10)]
