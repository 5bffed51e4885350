"""File history through the GitHub API, against a fake GitHub on 127.0.0.1 (never the network)."""

import gzip
import json
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from github import Auth, Github

from tests.fakes import github_server as fake
from uptake.errors import RateLimitedError, SourceError
from uptake.sources.github_history import (
    TOP_PYPI_PATHS,
    TOP_PYPI_REPO,
    git_blob_sha,
    github_client,
    iter_file_history,
)

github_server = fake.github_server  # the fixture

PATH = "top-pypi-packages-30-days.json"
SNAPSHOT_DATES = ("2018-02-10", "2024-04-01", "2025-02-01")
T0 = 1_750_000_000.0  # the injected clock's "now"


class Sleeps(list):
    """An injected `sleep` that records instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def snapshots(shared_data) -> list[bytes]:
    """Three real snapshots as committed; the 2025 one pretty-printed to over 1 MB."""
    contents = []
    for day in SNAPSHOT_DATES:
        raw = gzip.decompress((shared_data / "top-pypi-packages" / f"{day}.json.gz").read_bytes())
        contents.append(raw)
    contents[2] = json.dumps(json.loads(contents[2]), indent=2).encode() + b"\n"
    assert len(contents[2]) > fake.CONTENTS_INLINE_LIMIT
    assert all(len(c) < fake.CONTENTS_INLINE_LIMIT for c in contents[:2])
    return contents


@pytest.fixture
def top_pypi(github_server, snapshots):
    """hugovk/top-pypi-packages: 3 snapshot commits among unrelated ones."""
    repo = github_server.add_repo(TOP_PYPI_REPO, stargazers_count=900)
    repo.commit({"README.md": "# top-pypi-packages\n"}, date="2018-01-09T11:23:16Z")
    first = repo.commit({PATH: snapshots[0]}, date="2018-02-10T09:22:39Z", message="Deploy")
    repo.commit({"generate.sh": "#!/bin/sh\n"}, date="2019-01-01T00:00:00Z")
    second = repo.commit({PATH: snapshots[1]}, date="2024-04-01T08:20:00Z", message="Deploy")
    third = repo.commit({PATH: snapshots[2]}, date="2025-02-01T07:40:00Z", message="Deploy")
    repo.commit({"README.md": "# top-pypi-packages\n\nMonthly.\n"}, date="2025-02-02T00:00:00Z")
    return [first.sha, second.sha, third.sha]


def history(server, paths=(PATH,), **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    kwargs.setdefault("clock", lambda: T0)
    return list(
        iter_file_history(
            TOP_PYPI_REPO,
            paths,
            base_url=server.base_url,
            seconds_between_requests=0,
            **kwargs,
        )
    )


def origin(sha: str, path: str = PATH) -> str:
    return f"github:{TOP_PYPI_REPO}@{sha}:{path}"


def test_every_version_oldest_first_with_the_blob_fallback_over_1_mb(
    github_server, top_pypi, snapshots
):
    got = history(github_server, per_page=2)

    assert [o for o, _ in got] == [origin(sha) for sha in top_pypi]
    assert [content for _, content in got] == snapshots
    # the commits listing was paged (3 commits, 2 a page) and filtered by path
    listings = github_server.requests_to(r"/commits$")
    assert [r.param("page") for r in listings] == [None, "2"]
    assert {r.param("path") for r in listings} == {PATH}
    # the contents API answered "none" for the big file only; its blob came from the blob API
    assert [r.param("ref") for r in github_server.requests_to(r"/contents/")] == top_pypi
    blobs = github_server.requests_to(r"/git/blobs/")
    assert [r.path.rsplit("/", 1)[-1] for r in blobs] == [git_blob_sha(snapshots[2])]
    # anonymous unless a token is given
    assert set(github_server.authorization_headers()) == {None}


def test_known_origins_are_skipped_without_reading_them(github_server, top_pypi, snapshots):
    known = frozenset({origin(top_pypi[0]), origin(top_pypi[1]), "github:other/repo@abc:x"})

    got = history(github_server, known_origins=known)

    assert got == [(origin(top_pypi[2]), snapshots[2])]
    assert [r.param("ref") for r in github_server.requests_to(r"/contents/")] == [top_pypi[2]]

    assert history(github_server, known_origins=known | {origin(top_pypi[2])}) == []


def test_renamed_files_are_followed_and_each_commit_yields_one_file(github_server, snapshots):
    """The real repository's eras: indented only, then also minified, then the new name."""
    indented, minified = snapshots[0], json.dumps(json.loads(snapshots[0])).encode()
    later = snapshots[1]
    repo = github_server.add_repo(TOP_PYPI_REPO)
    only_indented = repo.commit(
        {"top-pypi-packages-30-days.json": indented}, date="2018-02-07T13:16:01Z"
    )
    both = repo.commit(
        {
            "top-pypi-packages-30-days.json": indented,
            "top-pypi-packages-30-days.min.json": minified,
        },
        date="2018-02-12T09:37:46Z",
    )
    renamed = repo.commit(
        {
            "top-pypi-packages-30-days.min.json": None,  # deleted in favour of the new name
            "top-pypi-packages-30-days.json": None,
            "top-pypi-packages.json": later,
            "top-pypi-packages.min.json": later,
        },
        date="2025-03-01T20:46:56Z",
    )

    got = history(github_server, TOP_PYPI_PATHS)

    assert got == [
        (origin(only_indented.sha, "top-pypi-packages-30-days.json"), indented),
        (origin(both.sha, "top-pypi-packages-30-days.min.json"), minified),
        (origin(renamed.sha, "top-pypi-packages.min.json"), later),
    ]
    # the deletion commit was tried under its preferred (deleted) names first, then skipped
    # to the new name; the never-listed top-pypi-packages.json was not read at all
    refs = [
        (r.path.split("/contents/")[1], r.param("ref"))
        for r in github_server.requests_to("/contents/")
    ]
    assert refs[-3:] == [
        ("top-pypi-packages-30-days.min.json", renamed.sha),
        ("top-pypi-packages-30-days.json", renamed.sha),
        ("top-pypi-packages.min.json", renamed.sha),
    ]
    # a commit is known when any of its candidate files is known
    known = {origin(both.sha, "top-pypi-packages-30-days.json")}
    assert [o for o, _ in history(github_server, TOP_PYPI_PATHS, known_origins=known)] == [
        origin(only_indented.sha, "top-pypi-packages-30-days.json"),
        origin(renamed.sha, "top-pypi-packages.min.json"),
    ]


def test_a_secondary_rate_limit_waits_for_retry_after_then_succeeds(
    github_server, top_pypi, snapshots
):
    github_server.secondary_rate_limit(retry_after=2, match="/contents/")
    sleeps = Sleeps()

    got = history(github_server, sleep=sleeps)

    assert sleeps == [2]
    assert [content for _, content in got] == snapshots
    statuses = [r.status for r in github_server.requests_to("/contents/")]
    assert statuses == [403, 200, 200, 200]


def test_an_exhausted_primary_limit_waits_until_the_reset(github_server, top_pypi, snapshots):
    github_server.primary_rate_limit(reset_at=T0 + 30, match="/commits$")
    sleeps = Sleeps()

    got = history(github_server, sleep=sleeps)

    assert sleeps == [31]  # until the reset, plus a second of margin
    assert [content for _, content in got] == snapshots


def test_rate_limit_waits_beyond_the_cap_raise_naming_the_reset(github_server, top_pypi):
    reset = T0 + 7200
    github_server.primary_rate_limit(reset_at=reset, times=None)
    sleeps = Sleeps()

    with pytest.raises(RateLimitedError) as raised:
        history(github_server, sleep=sleeps, max_wait=3600)

    assert sleeps == []
    assert datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") in str(raised.value)
    assert TOP_PYPI_REPO in str(raised.value)


def test_the_wait_cap_counts_all_waits_of_a_run(github_server, top_pypi):
    github_server.secondary_rate_limit(retry_after=40, times=None, match="/contents/")
    sleeps = Sleeps()

    with pytest.raises(RateLimitedError):
        history(github_server, sleep=sleeps, max_wait=100)

    assert sleeps == [40, 40]


def test_the_token_is_sent_but_never_appears_in_an_error(github_server, top_pypi):
    token = "s3cret-value-not-shaped-like-a-github-token"
    # every listing fails, and the body even echoes the Authorization header back
    github_server.fail(500, match="/commits$", times=None, echo_authorization=True)
    sleeps = Sleeps()

    with pytest.raises(SourceError) as raised:
        history(github_server, token=token, sleep=sleeps)

    assert github_server.authorization_headers()[0] == f"token {token}"
    assert len(github_server.requests_to("/commits$")) == 4  # first try and 3 retries
    assert sleeps == [1, 2, 4]
    error = raised.value
    assert not isinstance(error, RateLimitedError)
    assert "HTTP 500" in str(error) and TOP_PYPI_REPO in str(error)
    for text in (str(error), repr(error), str(error.args)):
        assert token not in text
    assert error.__cause__ is None and error.__context__ is None


def test_a_token_from_the_environment_is_used_and_scrubbed(github_server, top_pypi, monkeypatch):
    token = "ghp_" + "A1b2C3d4" * 5
    monkeypatch.setenv("GITHUB_TOKEN", token)
    github_server.fail(502, "Bad gateway", match="/contents/", times=None, echo_authorization=True)

    with pytest.raises(SourceError) as raised:
        history(github_server, max_retries=0)

    assert set(github_server.authorization_headers()) == {f"token {token}"}
    assert token not in str(raised.value)
    assert "***" in str(raised.value)


def test_a_missing_repository_is_a_source_error(github_server):
    with pytest.raises(SourceError, match="not found"):
        history(github_server)


def test_a_client_error_is_not_retried(github_server, top_pypi):
    github_server.fail(403, "Resource not accessible", match="/contents/", times=None)
    sleeps = Sleeps()

    with pytest.raises(SourceError, match="HTTP 403: Resource not accessible"):
        history(github_server, sleep=sleeps)

    assert sleeps == []


def test_github_client_reads_the_token_from_the_environment_only_when_none_is_given(monkeypatch):
    assert github_client(base_url="http://127.0.0.1:9").requester.auth is None
    monkeypatch.setenv("GITHUB_TOKEN", "from-the-environment")
    assert (
        github_client(base_url="http://127.0.0.1:9").requester.auth.token == "from-the-environment"
    )
    assert (
        github_client("explicit", base_url="http://127.0.0.1:9").requester.auth.token == "explicit"
    )


# -- the fake itself, for the engineers who will reuse it ---------------------------------


def test_the_fake_speaks_what_pygithub_reads(github_server):
    repo_model = github_server.add_repo(
        "acme/models", stargazers_count=12, owner_type="Organization"
    )
    c1 = repo_model.commit({"src/train.py": "import torch\n", "README.md": "hi\n"},
                           date="2019-05-01T00:00:00Z")  # fmt: skip
    c2 = repo_model.commit({"src/train.py": "import tensorflow\n"}, date="2019-06-01T00:00:00Z")
    big = b"x" * (fake.CONTENTS_INLINE_LIMIT + 1)
    repo_model.commit({"data/big.bin": big, "README.md": None}, date="2019-07-01T00:00:00Z")
    gh = Github(auth=Auth.Token("t0ken"), base_url=github_server.base_url, retry=None,
                seconds_between_requests=0)  # fmt: skip
    try:
        repo = gh.get_repo("acme/models")
        assert (repo.full_name, repo.stargazers_count, repo.owner.type) == (
            "acme/models",
            12,
            "Organization",
        )
        assert repo.default_branch == "main"
        # month-end commit: the last commit before a date
        last_may = repo.get_commits(sha="main", until=datetime(2019, 5, 31, tzinfo=UTC)).get_page(0)
        assert [c.sha for c in last_may] == [c1.sha]
        assert [c.sha for c in repo.get_commits(path="src/train.py")] == [c2.sha, c1.sha]
        assert repo.get_commit(c2.sha).files[0].filename == "src/train.py"
        tree = repo.get_git_tree(c2.sha, recursive=True)
        assert not tree.raw_data["truncated"]
        assert {(e.path, e.type) for e in tree.tree} == {
            ("README.md", "blob"), ("src", "tree"), ("src/train.py", "blob")
        }  # fmt: skip
        blob_sha = next(e.sha for e in tree.tree if e.path == "src/train.py")
        assert blob_sha == git_blob_sha(b"import tensorflow\n")
        assert repo.get_contents("src/train.py", ref=c1.sha).decoded_content == b"import torch\n"
        assert repo.get_contents("data/big.bin").encoding == "none"
        assert [c.path for c in repo.get_contents("", ref=c1.sha)] == ["README.md", "src"]
        core = gh.get_rate_limit().resources.core
        assert core.limit == 5000 and core.remaining < 5000
    finally:
        gh.close()
    assert {r.authorization for r in github_server.requests} == {"token t0ken"}
    assert all("X-RateLimit-Remaining" not in r.headers for r in github_server.requests)


def test_the_fake_truncates_big_trees_and_counts_anonymous_requests(github_server):
    repo = github_server.add_repo("acme/wide")
    commit = repo.commit({f"pkg/m{i}.py": f"# {i}\n" for i in range(10)})
    github_server.tree_entry_limit = 5
    gh = github_client(base_url=github_server.base_url, seconds_between_requests=0)
    try:
        tree = gh.get_repo("acme/wide").get_git_tree(commit.sha, recursive=True)
        assert tree.raw_data["truncated"] is True and len(tree.tree) == 5
        assert gh.rate_limiting == (58, 60)  # two requests of the anonymous 60 an hour
    finally:
        gh.close()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_fake_computes_the_shas_git_computes(github_server, tmp_path):
    files = {"setup.py": b"from setuptools import setup\n", "pkg/__init__.py": b"import numpy\n"}
    repo = github_server.add_repo("acme/real")
    first = repo.commit(files, date="2020-01-02T03:04:05Z", message="first")
    second = repo.commit({"pkg/__init__.py": None, "pkg/core.py": b"x = 1\n"},
                         date="2020-02-02T03:04:05Z", message="second")  # fmt: skip

    env = {
        "GIT_AUTHOR_NAME": first.author_name,
        "GIT_AUTHOR_EMAIL": first.author_email,
        "GIT_COMMITTER_NAME": first.author_name,
        "GIT_COMMITTER_EMAIL": first.author_email,
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": "/usr/bin:/bin",
    }

    def git(*args, date=None):
        extra = (
            {"GIT_AUTHOR_DATE": f"{date} +0000", "GIT_COMMITTER_DATE": f"{date} +0000"}
            if date
            else {}
        )
        return subprocess.run(["git", *args], cwd=tmp_path, env=env | extra, check=True,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip

    git("init", "-q", "-b", "main")
    for path, content in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    git("add", "-A")
    git("commit", "-q", "-m", "first", date="2020-01-02T03:04:05")
    (tmp_path / "pkg" / "__init__.py").unlink()
    (tmp_path / "pkg" / "core.py").write_bytes(b"x = 1\n")
    git("add", "-A")
    git("commit", "-q", "-m", "second", date="2020-02-02T03:04:05")

    assert git("rev-list", "HEAD").split() == [second.sha, first.sha]
    assert git("rev-parse", "HEAD^{tree}") == second.tree_sha
