import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.test_top_pypi import load_paths
from tests.test_warehouse import hold_lock
from uptake.cli import cli
from uptake.reference import SECTIONS, command_reference, render
from uptake.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def built_db(tmp_path, shared_data):
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as warehouse:
        load_paths(warehouse, [shared_data / "top-pypi-packages"])
    result = run("--db", str(db), "build")
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.usefixtures("prefect_harness")
def test_demo_prints_who_leads_each_rivalry_and_ends_with_the_report(tmp_path):
    result = run("--db", str(tmp_path / "demo.duckdb"), "demo", "--report-dir", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(f"\nReport: {tmp_path / 'index.html'}\n")
    assert (tmp_path / "index.html").stat().st_size > 100_000
    assert (
        "\npytorch-vs-tensorflow: supported: research_mentions crossed to pytorch in 2019-06 "
        "and industry_downloads in 2024-03, 57 months later (95% CI 54 to 59 months)\n"
    ) in result.stdout
    assert (
        "  pytorch-vs-tensorflow     PyTorch leads since 2024-03 (79.4% in 2026-03)\n"
        in result.stdout
    )
    assert (
        "  pandas-vs-polars          pandas has led throughout, since 2018-01 (92.9% in 2026-03)\n"
        in result.stdout
    )
    assert "demo (pypi): 3,980 rows loaded, 0 skipped, 0 rejected" in result.stderr
    # 70 conference mention counts and the 568,052 rows of the mined corpus
    assert "demo (research): 568,122 rows loaded, 0 skipped, 0 rejected" in result.stderr
    assert (
        "\npytorch-vs-tensorflow: supported: oss_imports crossed to pytorch in 2018-08 and "
        "industry_downloads in 2024-03, 67 months later (95% CI 46 to 76 months)\n"
    ) in result.stdout
    assert (
        "Conference papers mentioning each framework (research): who leads each rivalry, and since when\n"
        "  pytorch-vs-tensorflow  PyTorch leads since 2019-06 (84.0% in 2022-05)\n"
    ) in result.stdout
    assert (
        "\nAcross 18 rivalries: Of 8 rivalries decided from research_code to "
        "industry_downloads, the research favourite became the industry favourite in 3 and "
        "went the other way in 5 (38%, 95% CI 9% to 76%; sign test p = 0.73: not "
        "distinguishable from chance); 4 still open; median lag 33 months (95% CI 4 to 53).\n"
    ) in result.stdout


def test_build_reports_models_and_tests(built_db):
    from uptake.models import discover_models

    models = discover_models()
    n_tests = sum(1 for m in models if m.kind == "test")

    result = run("--db", str(built_db), "build")

    assert result.exit_code == 0
    assert result.stdout == f"built {len(models) - n_tests} models; {n_tests} data tests passed\n"


def test_sql_as_csv_gives_exact_rows(built_db):
    result = run(
        "--db",
        str(built_db),
        "sql",
        "--format",
        "csv",
        "select month, technology, round(share, 4) as share from marts.rivalry_shares "
        "where rivalry = 'pytorch-vs-tensorflow' and month in ('2024-02-01', '2024-03-01') order by month, technology",
    )

    assert result.exit_code == 0
    assert result.stdout == (
        "month,technology,share\n"
        "2024-02-01,pytorch,0.4915\n"
        "2024-02-01,tensorflow,0.5085\n"
        "2024-03-01,pytorch,0.5065\n"
        "2024-03-01,tensorflow,0.4935\n"
    )


def test_sql_as_json_and_as_a_table(built_db):
    query = "select project, downloads from marts.downloads_monthly where project = 'torch' and month = '2024-03-01'"

    as_json = run("--db", str(built_db), "sql", "--format", "json", query)
    as_table = run("--db", str(built_db), "sql", query)

    assert json.loads(as_json.stdout) == [{"project": "torch", "downloads": 23190107.0}]
    assert as_table.stdout == "project   downloads\n-------  ----------\ntorch    23,190,107\n"


def test_a_bad_query_is_one_line_not_a_traceback(built_db):
    result = run("--db", str(built_db), "sql", "select * from marts.nope")

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: query failed: Catalog Error: Table with name nope does not exist!"
    )
    assert "Traceback" not in result.output


def test_sql_cannot_write(built_db):
    result = run("--db", str(built_db), "sql", "drop table marts.rivalry_shares")

    assert result.exit_code == 1
    assert "read-only" in result.stderr


def test_status_lists_each_source(built_db):
    result = run("--db", str(built_db), "status")

    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert lines[0].split() == [
        "source",
        "rows",
        "last_success",
        "last_load",
        "rejects_last_load",
        "rejects_total",
        "expected",
        "age",
        "state",
    ]
    top_pypi = next(line for line in lines if line.startswith("top_pypi"))
    assert re.match(
        r"top_pypi\s+971000\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+succeeded\s+0\s+0\s+weekly\s+\S+\s+fresh$",
        top_pypi,
    )
    assert re.match(
        r"pypistats\s+0\s+never\s+never\s+0\s+0\s+daily\s+never\s+never loaded$",
        next(line for line in lines if line.startswith("pypistats")),
    )


def test_status_exits_non_zero_when_the_latest_load_failed(built_db):
    with (
        Warehouse.open(built_db) as warehouse,
        pytest.raises(RuntimeError),
        warehouse.load("pypistats", {}),
    ):
        raise RuntimeError("boom")

    result = run("--db", str(built_db), "status")

    assert result.exit_code == 1
    assert "latest load failed for: pypistats" in result.stderr


def test_a_locked_warehouse_gets_a_clear_message(built_db):
    holder = hold_lock(built_db)
    try:
        result = run("--db", str(built_db), "build")
    finally:
        holder.kill()
        holder.wait()

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the warehouse {built_db} is locked by process {holder.pid} ({Path(holder.args[0]).name} -c); "
        "wait for it to finish, pass --wait SECONDS, or use another --db\n"
    )


def test_a_study_with_a_typo_is_one_line(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text('[technologies.torch]\npypi_project = ["torch"]\n')

    result = run("--db", str(tmp_path / "w.duckdb"), "--study", str(study), "build")

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {study}:2: unknown key 'pypi_project' in [technologies.torch] (did you mean 'pypi_projects'?)\n"
    )


def test_refresh_top_pypi_without_locations_says_what_to_pass(tmp_path):
    result = run("--db", str(tmp_path / "w.duckdb"), "refresh", "--source", "top_pypi")

    assert result.exit_code == 2
    assert "--source top_pypi needs files, folders or URLs: --source top_pypi=PATH" in result.stderr


def test_refresh_refuses_an_unknown_source_and_ambiguous_locations(tmp_path):
    unknown = run("--db", str(tmp_path / "w.duckdb"), "refresh", "--source", "pypi")
    ambiguous = run(
        "--db",
        str(tmp_path / "w.duckdb"),
        "refresh",
        "--source",
        "top_pypi",
        "--source",
        "pwc_links",
        "x.json",
    )

    assert unknown.exit_code == 2 and "unknown source 'pypi'" in unknown.stderr
    assert ambiguous.exit_code == 2
    assert "LOCATIONS belong to exactly one file-based source" in ambiguous.stderr


def test_every_command_has_an_example_in_its_help():
    for name in cli.commands:
        result = run(name, "--help")
        heading = "Examples:" if "Examples:" in result.stdout else "Example:"
        assert heading in result.stdout, name
        example = result.stdout.split(heading)[1].strip().splitlines()[0].strip()
        assert example.startswith(f"uptake {name}"), (name, example)


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_the_docs_generated_pages_are_current(section):
    page = SECTIONS[section][0]
    text = page.read_text(encoding="utf-8")

    assert render(section, text) == text, f"{page} is stale: run `python -m uptake.reference`"
    if section == "commands":
        for name in cli.commands:
            assert f"#### `uptake {name}`" in command_reference()
            assert f"#### `uptake {name}`" in text
