"""`uptake status` as a freshness monitor: journals written with known timestamps."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from uptake.cli import cli
from uptake.status import format_age, problems, source_status
from uptake.warehouse import Warehouse

NOW = datetime(2026, 6, 15, 12, 0, 0)


def journal(warehouse, source, finished_at, status="succeeded"):
    warehouse.con.execute(
        "insert into meta.loads values (?, ?, '{}', 1, 0, 0, ?, ?, ?, ?, 1.0)",
        [
            uuid.uuid4().hex,
            source,
            status,
            "RuntimeError: boom" if status == "failed" else None,
            finished_at - timedelta(seconds=1),
            finished_at,
        ],
    )


def states(report):
    return {row["source"]: (row["expected"], row["age"], row["state"]) for row in report}


@pytest.fixture
def monitored(warehouse):
    """One source in each state, ages relative to NOW."""
    journal(warehouse, "pypistats", NOW - timedelta(hours=20))  # daily: fresh until 36 h
    journal(warehouse, "top_pypi", NOW - timedelta(days=11))  # weekly: stale after 10.5 d
    journal(warehouse, "bigquery_pypi", NOW - timedelta(days=2))
    journal(warehouse, "bigquery_pypi", NOW - timedelta(days=1), status="failed")
    journal(warehouse, "mining_api", NOW - timedelta(days=400))  # no schedule
    return warehouse


def test_each_source_gets_its_state_against_its_schedule(monitored):
    report = source_status(monitored.con, now=NOW)

    assert states(report) == {
        "bigquery_pypi": ("weekly", "2d 0h", "failed"),
        "conference_papers": ("monthly", "never", "never loaded"),
        "github_ranking": ("monthly", "never", "never loaded"),
        "github_repos": ("", "never", "never loaded"),
        "huggingface_hub": ("monthly", "never", "never loaded"),
        "mining_api": ("", "400d 0h", "unscheduled"),
        "mining_bigquery": ("", "never", "never loaded"),
        "mining_corpus": ("", "never", "never loaded"),
        "mining_local": ("weekly", "never", "never loaded"),
        "paper_lists": ("monthly", "never", "never loaded"),
        "papers_with_code": ("monthly", "never", "never loaded"),
        "pypistats": ("daily", "20h 0m", "fresh"),
        "top_pypi": ("weekly", "11d 0h", "stale"),
    }
    assert problems(report) == {"failed": ["bigquery_pypi"], "stale": ["top_pypi"]}


@pytest.mark.parametrize(
    ("source", "grace"),
    [
        ("pypistats", timedelta(hours=36)),
        ("top_pypi", timedelta(days=10, hours=12)),
        ("huggingface_hub", timedelta(days=46, hours=12)),
    ],
)
def test_a_source_turns_stale_once_past_one_and_a_half_intervals(warehouse, source, grace):
    journal(warehouse, source, NOW - grace)

    at_the_limit = states(source_status(warehouse.con, now=NOW, sources=[source]))
    a_minute_later = states(
        source_status(warehouse.con, now=NOW + timedelta(minutes=1), sources=[source])
    )

    assert at_the_limit[source][2] == "fresh"
    assert a_minute_later[source][2] == "stale"


def test_a_success_after_a_failure_clears_it(warehouse):
    journal(warehouse, "pypistats", NOW - timedelta(hours=3), status="failed")
    journal(warehouse, "pypistats", NOW - timedelta(hours=2))

    assert states(source_status(warehouse.con, now=NOW, sources=["pypistats"])) == {
        "pypistats": ("daily", "2h 0m", "fresh")
    }


def test_a_source_that_only_ever_failed_is_failed_not_never_loaded(warehouse):
    journal(warehouse, "huggingface_hub", NOW - timedelta(days=1), status="failed")

    report = source_status(warehouse.con, now=NOW, sources=["huggingface_hub"])

    assert states(report) == {"huggingface_hub": ("monthly", "never", "failed")}
    assert problems(report) == {"failed": ["huggingface_hub"]}


def test_never_loaded_is_a_problem_only_for_a_required_source(warehouse):
    report = source_status(warehouse.con, now=NOW, sources=["pypistats"])

    assert problems(report) == {}
    assert problems(report, required=["pypistats"]) == {"never loaded": ["pypistats"]}


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (None, "never"),
        (timedelta(seconds=59), "<1m"),
        (timedelta(minutes=45, seconds=30), "45m"),
        (timedelta(hours=3, minutes=12), "3h 12m"),
        (timedelta(days=2, hours=4, minutes=59), "2d 4h"),
        (timedelta(seconds=-5), "<1m"),  # a clock slightly behind the writer's
    ],
)
def test_ages_read_at_a_glance(age, text):
    assert format_age(age) == text


# The command, against the real clock: journals are written relative to now.


@pytest.fixture
def db(tmp_path):
    return tmp_path / "w.duckdb"


def write_journal(db, *entries):
    now = datetime.now(UTC).replace(tzinfo=None)
    with Warehouse.open(db) as warehouse:
        for source, age, status in entries:
            journal(warehouse, source, now - age, status)


def status(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), "status", *args])


def test_fresh_and_never_loaded_sources_exit_zero(db):
    write_journal(db, ("pypistats", timedelta(hours=5), "succeeded"))

    result = status(db)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[-3:] == ["expected", "age", "state"]
    assert [line.split()[-1] for line in lines if line.startswith("pypistats")] == ["fresh"]
    assert [line.split()[-2:] for line in lines if line.startswith("bigquery_pypi")] == [
        ["never", "loaded"]
    ]


def test_stale_and_failed_sources_exit_one_with_one_line_naming_them(db):
    write_journal(
        db,
        ("pypistats", timedelta(hours=5), "succeeded"),
        ("top_pypi", timedelta(days=11, minutes=30), "succeeded"),
        ("huggingface_hub", timedelta(days=60, minutes=30), "succeeded"),
        ("bigquery_pypi", timedelta(hours=1), "failed"),
    )

    result = status(db)

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: latest load failed for: bigquery_pypi (see meta.loads.error); "
        "stale: huggingface_hub (last success 60d 0h ago, expected monthly), "
        "top_pypi (last success 11d 0h ago, expected weekly)\n"
    )


def test_only_the_named_sources_are_checked_and_they_must_have_loaded(db):
    write_journal(
        db,
        ("pypistats", timedelta(hours=5), "succeeded"),
        ("top_pypi", timedelta(days=11), "succeeded"),
    )

    named_fresh = status(db, "--source", "pypistats")
    named_never = status(db, "--source", "pypistats", "--source", "conference_papers")

    assert named_fresh.exit_code == 0, named_fresh.output
    assert [line.split()[0] for line in named_fresh.stdout.splitlines()[2:]] == ["pypistats"]
    assert named_never.exit_code == 1
    assert named_never.stderr == "Error: never loaded: conference_papers\n"


def test_an_unknown_source_is_a_usage_error_listing_the_known_ones(db):
    write_journal(db)

    result = status(db, "--source", "pypi_stats")

    assert result.exit_code == 2
    assert "unknown source pypi_stats: choose from bigquery_pypi, conference_papers," in (
        result.stderr
    )
