"""Mining through the GitHub API, against a fake GitHub on 127.0.0.1 serving a real git
repository's history: the rows must equal the local miner's, request for request cheaper."""

import logging
import subprocess
from datetime import UTC, date, datetime

import pytest

from tests import test_history_miner
from tests.conftest import count
from tests.fakes import github_server as fake
from tests.git_repos import RepoBuilder, notebook
from uptake.errors import RateLimitedError
from uptake.mining.github_discovery import github_repo_name
from uptake.mining.github_miner import (
    load_repository_metadata,
    mine_github_repositories,
    paper_code_repositories,
    search_repositories,
)
from uptake.mining.history_miner import mine_repositories
from uptake.warehouse import Warehouse

github_server = fake.github_server  # the fixture
history_repo = test_history_miner.history_repo  # the very repository the local miner is tested on

REPO = "owner/project"
UNTIL = date(2020, 7, 1)
T0 = 1_750_000_000.0


class Clock:
    """An injected clock and sleep: sleeping moves the clock, and is recorded."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def mine(server, warehouse, names=(REPO,), clock=None, **kwargs):
    clock = clock or Clock()
    kwargs.setdefault("until", UNTIL)
    return mine_github_repositories(
        warehouse,
        list(names),
        base_url=server.base_url,
        sleep=clock.sleep,
        clock=clock,
        seconds_between_requests=0,
        **kwargs,
    )


def rows(warehouse, repo: str = REPO) -> dict:
    """What a mining run leaves for one repository, minus who loaded it and when."""
    query = warehouse.con.execute
    return {
        "snapshots": query(
            "select repo, month, commit_sha, committed_at, python_files, notebook_files,"
            " fallback_files, skipped_files from raw.repo_snapshots where repo = ? order by month",
            [repo],
        ).fetchall(),
        "snapshot_blobs": query(
            "select * from raw.repo_snapshot_blobs where repo = ? order by month, blob_sha", [repo]
        ).fetchall(),
        "blob_imports": query(
            "select * exclude (parsed_at) from raw.blob_imports where blob_sha in"
            " (select blob_sha from raw.repo_snapshot_blobs where repo = ?) order by blob_sha",
            [repo],
        ).fetchall(),
    }


def local_rows(path, tmp_path, repo: str = REPO, until: date = UNTIL) -> dict:
    with Warehouse.open(tmp_path / f"local-{repo.replace('/', '-')}.duckdb") as warehouse:
        mine_repositories(warehouse, [(repo, path)], until=until, workers=1)
        return rows(warehouse, repo)


def blob_requests(server) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in server.requests_to(r"/git/blobs/")]


def paths_requested(server) -> list[str]:
    return [r.path.removeprefix(f"/repos/{REPO}") for r in server.requests]


@pytest.fixture(scope="module")
def expected(history_repo, tmp_path_factory) -> dict:
    return local_rows(history_repo, tmp_path_factory.mktemp("local"))


@pytest.fixture(scope="module")
def served_history(history_repo) -> fake.FakeRepo:
    repo = fake.FakeRepo(REPO, created_at="2020-01-15T10:00:00Z", stargazers_count=42,
                         topics=["deep-learning"], owner_type="Organization")  # fmt: skip
    repo.load_git(history_repo)
    return repo


@pytest.fixture
def server(github_server, served_history):
    github_server.repos[REPO] = served_history
    return github_server


def git(path, *args) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


# -- remote rows equal local rows --------------------------------------------------------


def test_remote_mining_gives_the_local_rows_fetching_each_needed_blob_once(
    server, warehouse, expected, history_repo
):
    head_tree = server.repos[REPO].trees[server.repos[REPO].head.tree_sha]
    assert {("link.py", "120000"), ("vendored", "160000")} <= {(e.name, e.mode) for e in head_tree}

    summary = mine(server, warehouse)

    assert len(expected["snapshots"]) == 6 and len(expected["blob_imports"]) == 9
    assert rows(warehouse) == expected
    assert {
        s for (s,) in warehouse.con.execute("select source from raw.repo_snapshots").fetchall()
    } == {"api"}
    # every distinct blob once, except the 54 MB one: skipped by the tree's size, never fetched
    big = git(history_repo, "rev-parse", "HEAD:big.py")
    needed = {sha for _, _, sha, _ in expected["snapshot_blobs"]} - {big}
    assert sorted(blob_requests(server)) == sorted(needed)
    # one tree per distinct month-end commit; one page of commits; head from the branch
    month_end_commits = {commit for _, _, commit, *_ in expected["snapshots"]}
    assert len(server.requests_to(r"/git/trees/")) == len(month_end_commits) == 4
    assert paths_requested(server)[:3] == ["", "/branches/main", "/commits"]
    assert len(server.requests) == 3 + 4 + 8 == summary["requests"]  # measured: 15 requests
    assert (summary["months"], summary["blobs_fetched"], summary["blobs_oversized"]) == (6, 8, 1)


def test_blobs_cached_by_a_local_run_are_not_fetched_again(
    server, warehouse, expected, history_repo
):
    mine_repositories(warehouse, [(REPO, history_repo)], until=UNTIL, workers=1)
    cached = count(warehouse, "select count(*) from raw.blob_imports")
    c_py = git(history_repo, "rev-parse", "HEAD:c.py")
    warehouse.con.execute("delete from raw.repo_snapshots")
    warehouse.con.execute("delete from raw.repo_snapshot_blobs")
    warehouse.con.execute("delete from raw.blob_imports where blob_sha = ?", [c_py])

    summary = mine(server, warehouse)

    assert rows(warehouse) == expected
    assert blob_requests(server) == [c_py]  # the one blob the cache lost, nothing else
    assert count(warehouse, "select count(*) from raw.blob_imports") == cached
    assert (summary["blobs_cached"], summary["blobs_fetched"]) == (8, 1)


def test_a_rerun_mines_only_new_months_and_fetches_no_blob(server, warehouse, expected):
    mine(server, warehouse, until=date(2020, 6, 1))
    first = len(server.requests)

    again = mine(server, warehouse, until=date(2020, 6, 1))
    after_again = len(server.requests)
    later = mine(server, warehouse, until=UNTIL)

    assert (again["months"], again["requests"]) == (0, 3)  # repository, branch, commits
    assert after_again - first == 3
    # June's month-end commit is May's: its tree is read again, its blobs are cached
    assert (later["months"], later.get("blobs_fetched", 0), later["requests"]) == (1, 0, 4)
    assert rows(warehouse) == expected


def test_month_ends_follow_the_first_parent_chain_not_the_date_ordered_listing(
    server, warehouse, history_repo
):
    mine(server, warehouse)

    march = warehouse.con.execute(
        "select commit_sha from raw.repo_snapshots where month = '2020-03-01'"
    ).fetchone()[0]
    first_parent = git(
        history_repo, "rev-list", "--first-parent", "-1", "--before=2020-04-01", "HEAD"
    )
    on_the_branch = git(history_repo, "rev-list", "-1", "--before=2020-04-01", "HEAD")
    assert march == first_parent != on_the_branch  # the merged branch's commit is later
    # ... which is what GitHub's `until` listing would have answered
    listing = server.handle(
        "GET", f"/repos/{REPO}/commits?sha=main&until=2020-03-31T23:59:59Z&per_page=1", {}
    )
    assert on_the_branch.encode() in listing[2]


def test_commits_are_listed_in_pages_pinned_to_the_head(github_server, warehouse):
    repo = github_server.add_repo("acme/long")
    made = [
        repo.commit(
            {"m.py": f"import mod{i}\n"}, date=datetime.fromtimestamp(1546300800 + i * 120_000, UTC)
        )
        for i in range(250)
    ]  # 250 commits from 2019-01-01 to 2019-12-10, about 21 a month

    summary = mine(github_server, warehouse, ["acme/long"], until=date(2020, 1, 1))

    listings = github_server.requests_to("/commits$")
    assert [r.param("page") for r in listings] == [None, "2", "3"]
    assert {r.param("sha") for r in listings} == {made[-1].sha}
    last_of_month = {}
    for commit in made:
        last_of_month[commit.date.date().replace(day=1)] = commit.sha
    mined = dict(warehouse.con.execute(
        "select month, commit_sha from raw.repo_snapshots where repo = 'acme/long'"
    ).fetchall())  # fmt: skip
    assert mined == last_of_month and summary["months"] == 12


def test_a_truncated_tree_is_walked_through_its_sub_trees(github_server, warehouse, tmp_path):
    builder = RepoBuilder(tmp_path / "nested")
    builder.commit("2021-01-05T00:00:00Z", {
        "setup.py": "import setuptools\n",
        "pkg/__init__.py": "from .models import net\n",
        "pkg/models/net.py": "import torch\n",
        "pkg/models/same.py": "import torch\n",  # the same blob under two paths
        "pkg/models/deep/x.ipynb": notebook("import jax"),
        "scripts/run.py": "import tensorflow\n",
        "scripts/README.md": "not python\n",
    })  # fmt: skip
    builder.commit(
        "2021-02-05T00:00:00Z", {"scripts/run.py": None, "pkg/models/more.py": "import numpy\n"}
    )
    expected = local_rows(builder.path, tmp_path, "acme/nested", until=date(2021, 3, 1))
    github_server.add_git_repo("acme/nested", builder.path)
    github_server.tree_entry_limit = 4  # a tree listing over 4 entries comes back truncated

    mine(github_server, warehouse, ["acme/nested"], until=date(2021, 3, 1))

    assert rows(warehouse, "acme/nested") == expected
    assert len(expected["snapshots"]) == 2
    recursive = [r.param("recursive") for r in github_server.requests_to("/git/trees/")]
    assert recursive == [
        # January: root (11 entries: truncated), its 3 entries, pkg (6: truncated), its 2
        # entries, pkg/models (4), scripts (2)
        "1", None, "1", None, "1", "1",
        # February: pkg/models has 5 entries now: truncated, walked, deep (1)
        "1", None, "1", None, "1", None, "1", "1",
    ]  # fmt: skip


def test_a_secondary_rate_limit_is_slept_through(server, warehouse, expected):
    server.secondary_rate_limit(retry_after=7, match="/git/trees/")
    clock = Clock()

    mine(server, warehouse, clock=clock)

    assert clock.sleeps == [7]
    assert [r.status for r in server.requests_to("/git/trees/")][:2] == [403, 200]
    assert rows(warehouse) == expected


def test_a_refused_request_for_an_exhausted_primary_limit_waits_until_the_reset(
    server, warehouse, expected
):
    server.primary_rate_limit(reset_at=T0 + 30, match="/commits$")
    clock = Clock()

    mine(server, warehouse, clock=clock)

    assert clock.sleeps == [31]  # until the reset, plus a second of margin
    assert rows(warehouse) == expected


def test_a_primary_limit_running_out_is_waited_out_before_it_refuses(
    served_history, warehouse, expected
):
    clock = Clock()
    with fake.FakeGitHub(clock=clock) as server:
        server.repos[REPO] = served_history
        server.enforce_rate_limit = True
        server.authenticated_limit = 5  # GitHub's 5,000 an hour, scaled down

        summary = mine(server, warehouse, clock=clock, token="t0ken-for-the-limit")

    assert rows(warehouse) == expected
    assert {r.status for r in server.requests} == {200}  # never refused: waited before
    assert clock.sleeps == [3601, 3601]  # 15 requests, 5 an hour: two waits of an hour
    assert summary["requests"] == 15


def test_a_wait_beyond_the_cap_stops_the_run_and_the_next_run_resumes(
    served_history, warehouse, expected
):
    clock = Clock()
    with fake.FakeGitHub(clock=clock) as server:
        server.repos[REPO] = served_history
        server.add_repo("owner/later")
        server.enforce_rate_limit = True
        server.anonymous_limit = 10

        stopped = mine(server, warehouse, [REPO, "owner/later"], clock=clock, max_wait=600)
        kept = count(warehouse, "select count(*) from raw.blob_imports")
        first_run = [r.path for r in server.requests]
        server.anonymous_limit = 5000  # from the next hour on
        resumed = mine(server, warehouse, [REPO, "owner/later"], clock=clock)

    assert stopped["rejected"] == 1 and stopped["not_attempted"] == 1
    assert len(first_run) == 10 and not [p for p in first_run if "owner/later" in p]
    assert kept == 3  # of the 10 requests, 3 read blobs: parsed and kept
    assert "rate limit" in stopped["stopped"] and "resets at" in stopped["stopped"]
    assert clock.sleeps == [3601]  # the second run waited for the reset, then finished
    assert resumed["rejected"] == 0 and resumed["repositories"] == 2
    assert rows(warehouse) == expected
    # the blobs parsed before the stop were kept: the resumed run did not fetch them again
    fetched = [r.path for r in server.requests_to("/git/blobs/") if r.status == 200]
    assert len(fetched) == len(set(fetched)) == 8


# -- discovery and metadata --------------------------------------------------------------


def test_search_splits_a_date_range_over_the_1000_result_cap_within_its_rate_limit():
    clock = Clock()
    with fake.FakeGitHub(clock=clock) as server:
        for i in range(1500):  # 1,500 matches in May 2019, about 48 a day
            day = 1 + i * 31 // 1500
            server.add_repo(f"user{i}/repo", created_at=f"2019-05-{day:02d}T12:00:00Z",
                            stargazers_count=10 + i % 7)  # fmt: skip
        server.add_repo("late/repo", created_at="2019-06-01T00:00:00Z", stargazers_count=99)
        server.add_repo("js/repo", created_at="2019-05-02T00:00:00Z", stargazers_count=99,
                        language="JavaScript")  # fmt: skip
        server.add_repo("few/stars", created_at="2019-05-02T00:00:00Z", stargazers_count=9)
        server.add_repo("a/fork", created_at="2019-05-02T00:00:00Z", stargazers_count=99, fork=True)

        names = search_repositories(
            created=(date(2019, 5, 1), date(2019, 5, 31)), language="Python", min_stars=10,
            base_url=server.base_url, seconds_between_requests=0, sleep=clock.sleep, clock=clock,
        )  # fmt: skip

    assert sorted(names) == sorted(f"user{i}/repo" for i in range(1500))
    queries = [r.param("q") for r in server.requests if r.param("page") is None]
    assert queries == [
        "language:Python stars:>=10 created:2019-05-01..2019-05-31",  # 1,500: over the cap
        "language:Python stars:>=10 created:2019-05-01..2019-05-16",  # 775
        "language:Python stars:>=10 created:2019-05-17..2019-05-31",  # 725
    ]
    assert {r.status for r in server.requests} == {200}  # never past the cap, never refused
    assert len(server.requests) == 1 + 8 + 8  # the split query's first page is the only waste
    assert clock.sleeps == [61]  # search allows 10 anonymous requests a minute


def test_search_by_topic(github_server):
    github_server.add_repo("a/tagged", created_at="2020-02-02T00:00:00Z", topics=["pytorch", "nlp"])
    github_server.add_repo("b/other", created_at="2020-02-02T00:00:00Z", topics=["nlp"])

    names = search_repositories(created=(date(2020, 2, 1), date(2020, 2, 29)), topics=["pytorch", "nlp"],
                                base_url=github_server.base_url, seconds_between_requests=0)  # fmt: skip

    assert names == ["a/tagged"]


def test_metadata_rows_are_exact_and_paper_links_are_kept(github_server, warehouse):
    github_server.add_repo(
        "Acme/Models", created_at="2019-05-01T08:00:00Z", pushed_at="2024-02-03T04:05:06Z",
        stargazers_count=1234, fork=False, archived=True, owner_type="Organization",
        language="Python", topics=["pytorch", "vision"], default_branch="trunk",
    )  # fmt: skip
    github_server.add_repo(
        "someone/fork", created_at="2021-01-01T00:00:00Z", fork=True, language=None
    )
    options = {"base_url": github_server.base_url, "seconds_between_requests": 0}

    first = load_repository_metadata(
        warehouse, ["acme/models", "nobody/here"], discovered_by="paper_links", **options
    )
    load_repository_metadata(
        warehouse, ["acme/models", "someone/fork"], discovered_by="search", **options
    )

    assert first["rows"] == 1 and first["rejects"][0][0] == "nobody/here"
    assert "not found" in first["rejects"][0][1]
    got = warehouse.con.execute(
        "select * exclude (load_id, loaded_at) from raw.github_repos order by repo"
    ).fetchall()
    assert got == [
        ("Acme/Models", datetime(2019, 5, 1, 8), datetime(2024, 2, 3, 4, 5, 6), 1234, False, True,
         "Organization", "Python", ["pytorch", "vision"], "trunk", "paper_links"),
        ("someone/fork", datetime(2021, 1, 1), datetime(2021, 1, 1), 0, True, False,
         "User", None, [], "main", "search"),
    ]  # fmt: skip
    rejects = warehouse.con.execute("select source, item from meta.rejects").fetchall()
    assert rejects == [("github_repos", "nobody/here")]


def test_mining_records_metadata_and_rejects_missing_repositories(server, warehouse):
    server.add_repo("owner/empty")  # no commits yet

    summary = mine(server, warehouse, [REPO, "owner/missing", "owner/empty"])

    assert (summary["repositories"], summary["rejected"], summary["months"]) == (3, 1, 6)
    assert summary["rejects"][0][0] == "owner/missing" and "not found" in summary["rejects"][0][1]
    metadata = dict(warehouse.con.execute("select repo, stars from raw.github_repos").fetchall())
    assert metadata == {REPO: 42, "owner/empty": 0}
    loads = warehouse.con.execute(
        "select status, items_rejected from meta.loads where source = 'mining_api' order by started_at"
    ).fetchall()
    assert loads == [("succeeded", 0), ("succeeded", 1), ("succeeded", 0)]


def test_paper_code_repositories_reads_the_staging_views_when_they_exist(warehouse):
    assert paper_code_repositories(warehouse.con) == []

    warehouse.con.execute("create schema if not exists staging")
    warehouse.con.execute("""
        create or replace view staging.stg_pwc__code_links as
        select * from (values ('https://github.com/facebookresearch/detectron2', true),
                              ('https://github.com/FacebookResearch/Detectron2.git', true),
                              ('https://gitlab.com/a/b', false),
                              ('https://github.com/orgs/x', true)) as t(repo_url, is_github)
    """)  # fmt: skip
    warehouse.con.execute("""
        create or replace view staging.stg_conference__papers as
        select * from (values ('https://github.com/google/jax/tree/main/examples'), (null),
                              ('http://www.github.com/huggingface/transformers#readme')) as t(code_url)
    """)  # fmt: skip

    assert paper_code_repositories(warehouse.con) == [
        "facebookresearch/detectron2", "google/jax", "huggingface/transformers",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/pytorch/pytorch", "pytorch/pytorch"),
        ("git@github.com:pytorch/vision.git", "pytorch/vision"),
        ("github.com/a-b/c.d/blob/main/x.py", "a-b/c.d"),
        ("owner/name", "owner/name"),
        ("https://github.com/pytorch", None),
        ("https://example.org/a/b", None),
        ("", None),
    ],
)
def test_github_repo_name(url, name):
    assert github_repo_name(url) == name


# -- the token ---------------------------------------------------------------------------


def test_the_token_appears_in_no_error_log_or_table(server, warehouse, caplog):
    token = "s3cret-token-value-not-shaped-like-one"
    broken = server.add_repo("owner/broken")
    broken.commit({"x.py": "import os\n"}, date="2020-01-02T00:00:00Z")
    # the broken repository's listing always fails, echoing the Authorization header back
    server.fail(500, match="/owner/broken/commits$", times=None, echo_authorization=True)
    server.secondary_rate_limit(retry_after=3, match="/git/blobs/")  # a warning in the log
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")  # PyGithub logs each request and answer

    summary = mine(server, warehouse, ["owner/broken", REPO], token=token)

    assert set(server.authorization_headers()) == {f"token {token}"}
    assert summary["rejected"] == 1 and "HTTP 500" in summary["rejects"][0][1]
    assert summary["months"] == 6  # the other repository went on
    assert any("rate limit" in r.getMessage() for r in caplog.records)
    assert any("request had Authorization" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert token not in record.getMessage()
    tables = warehouse.con.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
        " where table_schema in ('meta', 'raw')"
    ).fetchall()
    assert len(tables) > 5
    for (table,) in tables:
        dump = str(warehouse.con.execute(f"select * from {table}").fetchall())
        assert token not in dump, table


def test_the_token_is_read_from_the_environment(server, warehouse, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "from-the-environment")

    mine(server, warehouse)

    assert set(server.authorization_headers()) == {"token from-the-environment"}


def test_a_rate_limit_error_names_no_token(server, warehouse):
    token = "another-s3cret-token"
    server.primary_rate_limit(reset_at=T0 + 7200, times=None)

    summary = mine(server, warehouse, token=token, max_wait=60)
    with pytest.raises(RateLimitedError) as raised:
        search_repositories(created=(date(2020, 1, 1), date(2020, 1, 31)), token=token,
                            base_url=server.base_url, clock=lambda: T0, max_wait=60)  # fmt: skip

    assert summary["stopped"].startswith("GitHub rate limit while opening GitHub repository")
    assert token not in str(summary)
    assert "resets at" in str(raised.value) and token not in str(raised.value)
