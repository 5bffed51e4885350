"""The download rules (`uptake.sources.download_rules`) at load, for every download source.

Each class of bad figure (a negative count, a count given as a string or a fraction, a
project listed twice, a date in the future) must be refused at load with its reason in
meta.rejects and never reach a raw table, while the good figures of the same run load.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pyarrow as pa
import pytest
from click.testing import CliRunner

from tests.conftest import count
from tests.fakes import pypistats_server as fake_pypistats
from tests.test_bigquery_pypi import FakeJob, FakeRows
from tests.test_top_pypi import load_paths, snapshot
from uptake.cli import cli
from uptake.sources.bigquery_pypi import SCHEMA, load_bigquery_downloads
from uptake.sources.download_rules import count_problem, future_problem, latest_allowed_day
from uptake.sources.pypistats_api import load_pypistats_downloads

pypistats_server = fake_pypistats.pypistats_server  # the fixture

FAR_FUTURE = "2099-01-01 06:00:00"


def rejects(warehouse, source: str) -> dict[str, str]:
    return dict(
        warehouse.con.execute(
            "select item, reason from meta.rejects where source = ?", [source]
        ).fetchall()
    )


# -- top-PyPI snapshots --------------------------------------------------------------------


def raw_snapshot(last_update: str, rows: list[dict]) -> bytes:
    return json.dumps({"last_update": last_update, "rows": rows}).encode()


TOP_PYPI_CASES = {
    "negative count": (
        raw_snapshot("2024-05-01 08:00:00", [{"project": "torch", "download_count": -5}]),
        "row 1 (torch): download count -5 is negative",
    ),
    "count as a string": (
        raw_snapshot(
            "2024-05-01 08:00:00",
            [
                {"project": "tensorflow", "download_count": 7},
                {"project": "torch", "download_count": "123"},
            ],
        ),
        'row 2 (torch): download count "123" is not an integer',
    ),
    "fractional count": (
        raw_snapshot("2024-05-01 08:00:00", [{"project": "torch", "download_count": 1.5}]),
        "row 1 (torch): download count 1.5 is not an integer",
    ),
    "project twice": (
        snapshot("2024-05-01 08:00:00", [("torch", 900), ("tensorflow", 800), ("torch", 10)]),
        "row 1 (torch): the project is listed twice in one snapshot",
    ),
    "project twice, spelt two ways": (
        snapshot("2024-05-01 08:00:00", [("scikit-learn", 900), ("Scikit_Learn", 10)]),
        "listed twice in one snapshot",
    ),
    "snapshot from the future": (
        snapshot(FAR_FUTURE, [("torch", 900)]),
        "dated 2099-01-01, after",
    ),
}


@pytest.mark.parametrize("case", list(TOP_PYPI_CASES))
def test_a_top_pypi_snapshot_breaking_a_rule_is_refused_whole_and_good_ones_load(
    case, warehouse, tmp_path
):
    content, reason = TOP_PYPI_CASES[case]
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    good = tmp_path / "good.json"
    good.write_bytes(snapshot("2024-04-01 08:00:00", [("torch", 30), ("tensorflow", 20)]))

    summary = load_paths(warehouse, [bad, good])

    assert summary["rows"] == 2
    found = rejects(warehouse, "top_pypi")
    assert list(found) == [str(bad)]
    assert reason in found[str(bad)]
    assert warehouse.con.execute(
        "select snapshot_at::date, project, download_count from raw.top_pypi_downloads order by all"
    ).fetchall() == [(date(2024, 4, 1), "tensorflow", 20), (date(2024, 4, 1), "torch", 30)]


def test_a_refused_snapshot_never_blocks_later_loads_or_builds(tmp_path):
    """The issue's trial: a negative count used to load, then fail every later build."""
    db = tmp_path / "w.duckdb"
    (tmp_path / "bad.json").write_bytes(
        raw_snapshot("2024-05-01 08:00:00", [{"project": "torch", "download_count": -1}])
    )
    (tmp_path / "good.json").write_bytes(snapshot("2024-04-01 08:00:00", [("torch", 30)]))
    runner = CliRunner()

    first = runner.invoke(cli, ["--db", str(db), "refresh", "--source", f"top_pypi={tmp_path}"])
    build = runner.invoke(cli, ["--db", str(db), "build"])

    assert "1 rejected" in first.output, first.output
    assert build.exit_code == 0, build.output


# -- BigQuery's answers --------------------------------------------------------------------


class AnswerClient:
    """A BigQuery client whose every query answers with the given rows."""

    def __init__(self, rows: list[dict], schema: pa.Schema = SCHEMA):
        self.table = pa.Table.from_pylist(rows, schema=schema)

    def query(self, sql, job_config=None):
        return FakeJob(10, None if job_config.dry_run else FakeRows(self.table))


def bq_row(month: date, project="torch", installer="pip", is_ci=False, downloads=10) -> dict:
    return {
        "month": month,
        "project": project,
        "installer": installer,
        "is_ci": is_ci,
        "downloads": downloads,
        "days_covered": 3,
    }


JAN, FEB = date(2024, 1, 1), date(2024, 2, 1)
BIGQUERY_CASES = {
    "negative count": ([bq_row(FEB, downloads=-3)], "torch 2024-02", "row 3: download count -3"),
    "key twice": (
        [bq_row(FEB, downloads=5), bq_row(FEB, downloads=9)],
        "torch 2024-02",
        "installer 'pip', ci False listed twice",
    ),
    "month in the future": (
        [bq_row(date(2099, 1, 1))],
        "torch 2099-01",
        "month 2099-01 is outside the months asked for",
    ),
}


@pytest.mark.parametrize("case", list(BIGQUERY_CASES))
def test_a_bigquery_row_breaking_a_rule_takes_out_its_project_month_only(case, warehouse):
    bad_rows, item, reason = BIGQUERY_CASES[case]
    good = [bq_row(JAN), bq_row(JAN, project="tensorflow")]
    client = AnswerClient([*good, *bad_rows])

    summary = load_bigquery_downloads(
        warehouse, client, ["torch", "tensorflow"], today=date(2024, 2, 15), earliest=JAN
    )

    found = rejects(warehouse, "bigquery_pypi")
    assert list(found) == [item] and reason in found[item], found
    assert summary["rows_loaded"] == 2
    assert warehouse.con.execute(
        "select month, project, downloads from raw.bigquery_pypi_downloads order by all"
    ).fetchall() == [(JAN, "tensorflow", 10), (JAN, "torch", 10)]


def test_a_count_bigquery_gives_as_a_string_is_refused_not_coerced(warehouse):
    schema = SCHEMA.set(SCHEMA.get_field_index("downloads"), pa.field("downloads", pa.string()))
    client = AnswerClient([{**bq_row(JAN), "downloads": "123"}], schema=schema)

    load_bigquery_downloads(warehouse, client, ["torch"], today=date(2024, 2, 15), earliest=JAN)

    assert rejects(warehouse, "bigquery_pypi") == {
        "torch 2024-01": "row 1: download count '123' is not an integer"
    }
    assert count(warehouse, "select count(*) from raw.bigquery_pypi_downloads") == 0


def test_a_refused_bigquery_month_is_asked_for_again(warehouse):
    client = AnswerClient([bq_row(JAN, downloads=-1)])
    load_bigquery_downloads(warehouse, client, ["torch"], today=date(2024, 4, 15), earliest=JAN)

    fixed = AnswerClient([bq_row(JAN, downloads=4)])
    second = load_bigquery_downloads(
        warehouse, fixed, ["torch"], today=date(2024, 4, 15), earliest=JAN
    )

    assert second["first_month"] == JAN  # January was refused, so it is not final
    assert warehouse.con.execute(
        "select month, downloads from raw.bigquery_pypi_downloads"
    ).fetchall() == [(JAN, 4)]


# -- pypistats.org's answers ---------------------------------------------------------------


def future_day() -> str:
    return (latest_allowed_day() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("downloads", "day", "reason"),
    [
        (-1, "2024-05-01", "2024-05-01: download count -1 is negative"),
        ("12", "2024-05-01", "2024-05-01: download count '12' is not an integer"),
        (2.0, "2024-05-01", "2024-05-01: download count 2.0 is not an integer"),
        (True, "2024-05-01", "download count True is not an integer"),
        (5, None, "(tomorrow, UTC)"),
    ],
)
def test_a_pypistats_day_breaking_a_rule_refuses_that_project_only(
    downloads, day, reason, warehouse, pypistats_server
):
    day = day or future_day()
    pypistats_server.add_project("beta", {date(2024, 5, 1): 7})
    pypistats_server.always(
        "alpha",
        fake_pypistats.Reply.json(
            {"data": [{"category": "without_mirrors", "date": day, "downloads": downloads}]}
        ),
    )

    load_pypistats_downloads(
        warehouse, ["alpha", "beta"], base_url=pypistats_server.base_url, sleep=[].append
    )

    found = rejects(warehouse, "pypistats")
    assert list(found) == ["alpha"] and reason in found["alpha"], found
    assert warehouse.con.execute(
        "select project, downloads from raw.pypistats_downloads"
    ).fetchall() == [("beta", 7)]


# -- the rules themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0, None),
        (10**12, None),
        (-1, "download count -1 is negative"),
        (False, "download count False is not an integer"),
        (None, "download count None is not an integer"),
        ("7", "download count '7' is not an integer"),
    ],
)
def test_count_problem(value, problem):
    assert count_problem(value) == problem


def test_tomorrow_is_allowed_and_the_day_after_is_not():
    assert latest_allowed_day() > date.today() - timedelta(days=1)
    assert future_problem(latest_allowed_day()) is None
    assert future_problem(latest_allowed_day() + timedelta(days=1)).startswith("dated ")
