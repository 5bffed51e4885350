"""The exit statuses every command shares (uptake.cli.exit_status): 0 done, 1 failed,
2 usage, 3 partial. A scheduler reads nothing else, so each is asserted end to end."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.git_repos import RepoBuilder
from tests.test_top_pypi import snapshot
from uptake.cli import cli
from uptake.cli.exit_status import DONE, FAILED, PARTIAL, USAGE, exit_status


@pytest.mark.parametrize(
    ("done", "rejected", "status"),
    [(5, 0, DONE), (0, 0, DONE), (5, 1, PARTIAL), (0, 3, FAILED)],
)
def test_the_rule(done, rejected, status):
    assert exit_status(done, rejected) == status


@pytest.fixture
def snapshots(tmp_path):
    folder = tmp_path / "snapshots"
    folder.mkdir()
    (folder / "good.json").write_bytes(snapshot("2024-04-01 08:00:00", [("torch", 3)]))
    (folder / "negative.json").write_bytes(
        b'{"last_update": "2024-05-01 08:00:00", "rows": [{"project": "torch", "download_count": -1}]}'
    )
    (folder / "broken.json").write_bytes(b"{not json")
    return folder


def refresh(db, *paths):
    spec = "top_pypi=" + ",".join(str(p) for p in paths)
    return CliRunner().invoke(cli, ["--db", str(db), "refresh", "-q", "--source", spec])


@pytest.mark.usefixtures("prefect_harness")
def test_refresh_exits_0_when_all_loaded_3_with_rejects_1_when_all_rejected(tmp_path, snapshots):
    clean = refresh(tmp_path / "a.duckdb", snapshots / "good.json")
    partial = refresh(tmp_path / "b.duckdb", snapshots)
    nothing = refresh(tmp_path / "c.duckdb", snapshots / "negative.json", snapshots / "broken.json")

    assert clean.exit_code == DONE, clean.output
    assert partial.exit_code == PARTIAL, partial.output
    assert partial.stderr.splitlines()[-1] == (
        "partial: 2 rejected (reasons above and in meta.rejects); exit status 3"
    )
    assert nothing.exit_code == FAILED, nothing.output
    assert nothing.stderr.splitlines()[-1] == (
        "Error: nothing loaded: all 2 rejected; see the reasons above and `uptake status`"
    )


@pytest.mark.usefixtures("prefect_harness")
def test_a_second_refresh_of_the_same_files_is_done_not_partial(tmp_path, snapshots):
    db = tmp_path / "w.duckdb"
    refresh(db, snapshots / "good.json")

    again = refresh(db, snapshots / "good.json")

    assert again.exit_code == DONE, again.output  # skipped as already loaded is done


@pytest.mark.usefixtures("prefect_harness")
def test_mine_exits_1_when_every_repository_was_rejected_and_3_when_some_were(tmp_path):
    repo = RepoBuilder(tmp_path / "good")
    repo.commit("2019-03-05T10:00:00", {"a.py": "import torch\n"})
    not_a_repo = tmp_path / "plain-folder"
    not_a_repo.mkdir()

    def mine(db, *names):
        args = ["--db", str(tmp_path / db), "mine", "-q", "--until", "2019-06", *names]
        return CliRunner().invoke(cli, args)

    # A folder given as a file:// URL is refused at once, in one line (it took 80 s of
    # retries and printed a traceback).
    all_refused = mine("a.duckdb", f"file://{not_a_repo}", "x/missing=/nonexistent/path")
    some_refused = mine("b.duckdb", f"x/good={repo.path}", f"x/plain={not_a_repo}")
    none_refused = mine("c.duckdb", f"x/good={repo.path}")

    assert all_refused.exit_code == FAILED, all_refused.output
    assert "nothing mined: all 2 rejected" in all_refused.output
    assert "Traceback" not in all_refused.output
    assert "local/plain-folder: git could not fetch file://" in all_refused.output
    assert some_refused.exit_code == PARTIAL, some_refused.output
    assert none_refused.exit_code == DONE, none_refused.output


def test_a_wrong_command_line_is_2(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "w.duckdb"), "refresh", "--nope"])

    assert result.exit_code == USAGE
