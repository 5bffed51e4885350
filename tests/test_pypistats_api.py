"""The pypistats.org loader against a fake pypistats.org on 127.0.0.1 (never the network)."""

import socket
from datetime import date
from urllib.parse import quote

import pytest

from tests.fakes import pypistats_server as fake
from uptake.errors import RateLimitedError, SourceError
from uptake.sources.pypistats_api import load_pypistats_downloads, overall_downloads

pypistats_server = fake.pypistats_server  # the fixture
Reply = fake.Reply

ALPHA = {date(2024, 5, 1): 10, date(2024, 5, 2): 12, date(2024, 5, 3): 0}
BETA = {date(2024, 5, 1): 7, date(2024, 5, 2): 8, date(2024, 5, 3): 9, date(2024, 5, 4): 11}


def table(warehouse) -> list[tuple]:
    return warehouse.con.execute(
        "select day, project, category, downloads from raw.pypistats_downloads"
        " order by project, day"
    ).fetchall()


def rejects(warehouse) -> list[tuple]:
    return warehouse.con.execute(
        "select source, item, reason from meta.rejects order by item"
    ).fetchall()


def last_load(warehouse) -> tuple:
    return warehouse.con.execute(
        "select status, rows_loaded, items_rejected from meta.loads order by started_at desc"
    ).fetchone()


def expected_rows(project: str, downloads: dict) -> list[tuple]:
    return [(day, project, "without_mirrors", n) for day, n in sorted(downloads.items())]


def test_loads_exact_daily_rows_for_two_projects(warehouse, pypistats_server):
    pypistats_server.add_project("alpha", ALPHA)
    pypistats_server.add_project("beta", BETA)

    result = load_pypistats_downloads(
        warehouse, ["alpha", "beta"], base_url=pypistats_server.base_url, sleep=[].append
    )

    assert table(warehouse) == expected_rows("alpha", ALPHA) + expected_rows("beta", BETA)
    assert result["rows_loaded"] == 7
    assert result["projects_loaded"] == ["alpha", "beta"]
    assert last_load(warehouse) == ("succeeded", 7, 0)
    assert pypistats_server.paths == [
        "/api/packages/alpha/overall?mirrors=false",
        "/api/packages/beta/overall?mirrors=false",
    ]


def test_overall_downloads_keeps_only_without_mirrors_and_reads_base_url_from_env(
    pypistats_server,
):
    pypistats_server.add_project("beta", dict(reversed(BETA.items())))

    rows = overall_downloads("beta", sleep=[].append)  # the fixture sets UPTAKE_PYPISTATS_URL

    assert rows == sorted(BETA.items())


def test_429_then_500_then_ok_sleeps_the_backoff_list(warehouse, pypistats_server):
    pypistats_server.add_project("alpha", ALPHA)
    pypistats_server.script("alpha", Reply.rate_limited(), Reply.error(500))
    sleeps = []

    load_pypistats_downloads(
        warehouse,
        ["alpha"],
        base_url=pypistats_server.base_url,
        retry_delays=(0.5, 1.5, 3),
        sleep=sleeps.append,
    )

    assert sleeps == [0.5, 1.5]
    assert len(pypistats_server.paths) == 3
    assert table(warehouse) == expected_rows("alpha", ALPHA)
    assert rejects(warehouse) == []


@pytest.mark.parametrize(
    ("retry_after", "first_sleep"),
    [("7", 7), ("0", 0), ("3600", 120), ("Wed, 21 Oct 2015 07:28:00 GMT", 1)],
)
def test_retry_after_is_honoured_and_capped(warehouse, pypistats_server, retry_after, first_sleep):
    pypistats_server.add_project("alpha", ALPHA)
    pypistats_server.script("alpha", Reply.rate_limited(retry_after), Reply.error(503))
    sleeps = []

    load_pypistats_downloads(
        warehouse, ["alpha"], base_url=pypistats_server.base_url, sleep=sleeps.append
    )

    assert sleeps == [first_sleep, 2]
    assert table(warehouse) == expected_rows("alpha", ALPHA)


def test_rate_limited_forever_is_a_reject_and_other_projects_load(warehouse, pypistats_server):
    pypistats_server.add_project("alpha", ALPHA)
    pypistats_server.add_project("beta", BETA)
    pypistats_server.always("alpha", Reply.rate_limited())
    sleeps = []

    result = load_pypistats_downloads(
        warehouse, ["alpha", "beta"], base_url=pypistats_server.base_url, sleep=sleeps.append
    )

    assert sleeps == [1, 2, 4, 8]
    assert len(pypistats_server.requests_for("alpha")) == 5
    [(source, item, reason)] = rejects(warehouse)
    assert (source, item) == ("pypistats", "alpha")
    assert "rate limited" in reason
    assert "HTTP 429" in reason
    assert table(warehouse) == expected_rows("beta", BETA)
    assert result["projects_loaded"] == ["beta"]
    assert last_load(warehouse) == ("succeeded", 4, 1)


def test_unknown_project_404_is_a_reject(warehouse, pypistats_server):
    pypistats_server.add_project("beta", BETA)

    load_pypistats_downloads(
        warehouse, ["nosuch", "beta"], base_url=pypistats_server.base_url, sleep=[].append
    )

    [(_, item, reason)] = rejects(warehouse)
    assert item == "nosuch"
    assert "no such project on pypistats.org" in reason
    assert len(pypistats_server.requests_for("nosuch")) == 1  # a 404 is not retried
    assert table(warehouse) == expected_rows("beta", BETA)


def overall_reply(*rows: dict) -> fake.Reply:
    return Reply.json({"data": list(rows), "package": "alpha", "type": "overall_downloads"})


def day_row(day="2024-05-01", downloads=1, category="without_mirrors") -> dict:
    return {"category": category, "date": day, "downloads": downloads}


@pytest.mark.parametrize(
    ("reply", "expected_reason"),
    [
        (Reply.malformed(), "bad JSON"),
        (Reply(200, b"\xff\xfe not utf-8"), "bad JSON"),
        (Reply.json({"message": "no data key"}), "unexpected JSON"),
        (Reply.json({"data": {"last_day": 1}}), "unexpected JSON"),
        (overall_reply(day_row(), "not an object"), "unexpected JSON"),
        (overall_reply(day_row(day="x")), "unexpected JSON"),
        (overall_reply(day_row(downloads="1")), "unexpected JSON"),
        (overall_reply(day_row(downloads=-1)), "unexpected JSON"),
        (overall_reply(day_row(), day_row(downloads=2)), "2024-05-01 twice"),
    ],
)
def test_malformed_answer_is_a_reject(warehouse, pypistats_server, reply, expected_reason):
    pypistats_server.add_project("alpha", ALPHA)
    pypistats_server.add_project("beta", BETA)
    pypistats_server.always("alpha", reply)

    load_pypistats_downloads(
        warehouse, ["alpha", "beta"], base_url=pypistats_server.base_url, sleep=[].append
    )

    [(_, item, reason)] = rejects(warehouse)
    assert item == "alpha"
    assert expected_reason in reason
    assert pypistats_server.base_url in reason
    assert "\n" not in reason
    assert table(warehouse) == expected_rows("beta", BETA)


def test_hostile_project_name_is_quoted_in_the_path_and_stored_verbatim(
    warehouse, pypistats_server
):
    name = "x'); drop table raw.pypistats_downloads; --/../../beta?mirrors=true#\"%2F"
    pypistats_server.add_project(name, ALPHA)

    load_pypistats_downloads(warehouse, [name], base_url=pypistats_server.base_url, sleep=[].append)

    [path] = pypistats_server.paths
    assert path == f"/api/packages/{quote(name, safe='')}/overall?mirrors=false"
    assert path.count("/") == 4 and path.count("?") == 1 and "#" not in path
    assert table(warehouse) == expected_rows(name, ALPHA)


def test_loading_twice_gives_identical_table_contents(warehouse, pypistats_server):
    pypistats_server.add_project("alpha", ALPHA)
    pypistats_server.add_project("beta", BETA)
    load = lambda: load_pypistats_downloads(  # noqa: E731
        warehouse, ["alpha", "beta"], base_url=pypistats_server.base_url, sleep=[].append
    )
    first = load()
    before = table(warehouse)

    second = load()

    assert table(warehouse) == before
    assert second["rows_loaded"] == first["rows_loaded"] == 7
    load_ids = warehouse.con.execute(
        "select distinct load_id from raw.pypistats_downloads"
    ).fetchall()
    assert load_ids == [(second["load_id"],)]


def test_reload_replaces_fetched_days_and_keeps_older_ones(warehouse, pypistats_server):
    pypistats_server.add_project("alpha", ALPHA)
    load_pypistats_downloads(
        warehouse, ["alpha"], base_url=pypistats_server.base_url, sleep=[].append
    )
    later = {date(2024, 5, 3): 5, date(2024, 5, 4): 6}  # the window moved, May 3 revised
    pypistats_server.add_project("alpha", later)

    load_pypistats_downloads(
        warehouse, ["alpha"], base_url=pypistats_server.base_url, sleep=[].append
    )

    assert table(warehouse) == expected_rows("alpha", {**ALPHA, **later})


def test_unreachable_server_is_retried_then_rejected(warehouse):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/api/"
    sleeps = []

    load_pypistats_downloads(warehouse, ["alpha"], base_url=base_url, sleep=sleeps.append)

    [(_, item, reason)] = rejects(warehouse)
    assert item == "alpha"
    assert f"{base_url}packages/alpha/overall" in reason
    assert "network error" in reason
    assert sleeps == [1, 2, 4, 8]


def test_overall_downloads_raises_typed_one_line_errors(pypistats_server):
    pypistats_server.always("limited", Reply.rate_limited(retry_after=1))
    pypistats_server.always("broken", Reply.error(503))

    with pytest.raises(RateLimitedError, match=r"HTTP 429 on all 3 attempts") as limited:
        overall_downloads("limited", retry_delays=(1, 1), sleep=[].append)
    with pytest.raises(SourceError, match=r"/packages/broken/overall.*HTTP 503") as broken:
        overall_downloads("broken", retry_delays=(1,), sleep=[].append)

    assert not isinstance(broken.value, RateLimitedError)
    assert "\n" not in str(limited.value) + str(broken.value)


def test_base_url_must_be_http(monkeypatch):
    monkeypatch.setenv("UPTAKE_PYPISTATS_URL", "file:///etc/")

    with pytest.raises(SourceError, match="must be http"):
        overall_downloads("alpha", sleep=[].append)
