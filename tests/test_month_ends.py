"""uptake.Repository: one clone's month-end imports in memory, as the warehouse has them."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import date, datetime
from unittest import mock

import pytest

import uptake
from tests.git_repos import RepoBuilder, notebook
from uptake.errors import ParameterError, SourceError
from uptake.mining import month_ends, reading_helpers
from uptake.mining.history_miner import mine_repositories
from uptake.warehouse import Warehouse


@pytest.fixture
def switching_project(tmp_path):
    """torch in January, tensorflow from March, a notebook in April, nothing after."""
    repo = RepoBuilder(tmp_path / "project")
    first = repo.commit("2020-01-10T12:00:00+00:00", {"train.py": "import torch\n"})
    switch = repo.commit(
        "2020-03-05T12:00:00+00:00",
        {"train.py": "import tensorflow as tf\nfrom .models import net\n", "README.md": "x"},
    )
    last = repo.commit(
        "2020-04-30T23:59:00+00:00",
        {"explore.ipynb": notebook("import pandas as pd"), "util/io.py": "import os, json\n"},
    )
    return repo, (first, switch, last)


def test_month_ends_walk_each_month_as_its_last_commit_left_the_tree(switching_project):
    repo, (first, switch, last) = switching_project

    months = list(uptake.Repository(repo.path, until="2020-06").month_ends())

    assert [(m.month, m.commit, sorted(m.imports)) for m in months] == [
        (date(2020, 1, 1), first, ["torch"]),
        (date(2020, 2, 1), first, ["torch"]),  # no commit: January's tree stands
        (date(2020, 3, 1), switch, ["tensorflow"]),  # the relative import is no module
        (date(2020, 4, 1), last, ["json", "os", "pandas", "tensorflow"]),
        (date(2020, 5, 1), last, ["json", "os", "pandas", "tensorflow"]),
    ]
    april = months[3]
    assert (april.python_files, april.notebook_files, april.unread_files) == (2, 1, 0)
    assert april.committed_at == datetime(2020, 4, 30, 23, 59)


def test_month_ends_agree_with_what_mining_writes_to_the_warehouse(switching_project, tmp_path):
    repo, _ = switching_project
    side = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "side", side)
    repo.commit("2020-05-02T10:00:00+00:00", {"side.py": "import numpy\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("2020-05-03T10:00:00+00:00", {"train.py": "import jax\n"})
    repo.git("merge", "-q", "--no-edit", "side", date="2020-06-01T09:00:00+00:00")

    in_memory = {
        m.month: m.imports for m in uptake.Repository(repo.path, until="2020-08").month_ends()
    }
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        mine_repositories(warehouse, [("me/project", repo.path)], until=date(2020, 8, 1))
        rows = warehouse.con.execute(
            """select s.month, list_distinct(flatten(list(b.import_roots)))
            from raw.repo_snapshot_blobs s join raw.blob_imports b using (blob_sha)
            group by s.month"""
        ).fetchall()

    assert in_memory == {month: frozenset(roots) for month, roots in rows}
    assert in_memory[date(2020, 6, 1)] == {"jax", "numpy", "os", "json", "pandas"}


def test_a_large_tree_parsed_by_worker_processes_gives_what_one_process_gives(tmp_path):
    repo = RepoBuilder(tmp_path / "big")
    files = {f"pkg/m{i}.py": f"import mod{i % 7}\nfrom pkg import m{i}\n" for i in range(450)}
    repo.commit("2021-02-01T00:00:00+00:00", files)

    alone = list(uptake.Repository(repo.path, until="2021-03", workers=1).month_ends())
    spread = list(uptake.Repository(repo.path, until="2021-03", workers=2).month_ends())

    assert alone == spread
    assert alone[0].imports == {f"mod{i}" for i in range(7)} | {"pkg"}
    assert alone[0].python_files == 450


def test_an_empty_repository_has_no_month_ends(tmp_path):
    repo = RepoBuilder(tmp_path / "empty")

    assert list(uptake.Repository(repo.path).month_ends()) == []


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"until": "2020/06"}, ParameterError, "until must be a date or 'YYYY-MM', got '2020/06'"),
        ({"until": 2020}, ParameterError, "got 2020"),
        ({"workers": 0}, ParameterError, "workers must be at least 1, got 0"),
        ({"workers": "2"}, ParameterError, "workers must be a whole number, got '2'"),
    ],
)
def test_bad_settings_are_refused_where_given(switching_project, arguments, error, message):
    repo, _ = switching_project

    with pytest.raises(error) as refused:
        uptake.Repository(repo.path, **arguments)

    assert message in str(refused.value)


def test_a_folder_that_is_no_repository_is_named_in_the_error(tmp_path):
    with pytest.raises(SourceError, match=f"{tmp_path} is not a git repository"):
        uptake.Repository(tmp_path)


@pytest.fixture
def medium_project(tmp_path):
    """60 files and a notebook in one commit: a history worth sharing with a helper."""
    repo = RepoBuilder(tmp_path / "medium")
    files = {f"pkg/m{i}.py": f"import mod{i % 5}\nNUMBER = {i}\n" for i in range(60)}
    files["explore.ipynb"] = notebook("import pandas as pd")
    repo.commit("2021-02-01T00:00:00+00:00", files)
    return repo


MEDIUM_IMPORTS = {f"mod{i}" for i in range(5)} | {"pandas"}


def read(path, workers):
    return list(uptake.Repository(path, until="2021-03", workers=workers).month_ends())


def test_a_history_is_shared_with_a_ready_helper_process(medium_project):
    alone = read(medium_project.path, workers=1)
    uptake.Repository.start_helpers(2)

    with mock.patch.object(
        reading_helpers.Helper, "send", autospec=True, side_effect=reading_helpers.Helper.send
    ) as send:
        shared = read(medium_project.path, workers=2)

    assert shared == alone
    assert alone[0].imports == MEDIUM_IMPORTS
    [(_, function, path, share, through_git)] = [c.args for c in send.call_args_list]
    assert (function, path, through_git) == (
        month_ends.read_share_at,
        str(medium_project.path),
        False,
    )
    assert len(share) == 61 // 2  # every other blob; this process reads the rest


def test_one_worker_or_a_small_history_starts_no_helper(medium_project, tmp_path, monkeypatch):
    monkeypatch.setattr(reading_helpers, "_HELPERS", [])
    small = RepoBuilder(tmp_path / "small")
    small.commit("2021-02-01T00:00:00+00:00", {"a.py": "import os\n", "b.py": "import sys\n"})

    assert read(medium_project.path, workers=1)[0].imports == MEDIUM_IMPORTS
    assert read(small.path, workers=2)[0].imports == {"os", "sys"}
    assert reading_helpers._HELPERS == []


def test_a_killed_helper_is_replaced_and_its_share_read_here(medium_project, monkeypatch):
    uptake.Repository.start_helpers(2)
    [helper] = reading_helpers._HELPERS
    os.kill(helper.process.pid, signal.SIGKILL)
    helper.process.wait(5)

    assert read(medium_project.path, workers=2)[0].imports == MEDIUM_IMPORTS  # alone
    uptake.Repository.start_helpers(2)
    [helper] = reading_helpers._HELPERS
    os.kill(helper.process.pid, signal.SIGSTOP)  # it takes its share, and never replies
    reading = month_ends.read_share

    def killing_the_helper_first(objects, files):
        if helper.is_alive():
            os.kill(helper.process.pid, signal.SIGKILL)
        return reading(objects, files)

    monkeypatch.setattr(month_ends, "read_share", killing_the_helper_first)
    assert read(medium_project.path, workers=2)[0].imports == MEDIUM_IMPORTS
    assert not helper.is_alive()


def test_a_share_that_fails_raises_and_leaves_no_reply_behind(medium_project, monkeypatch):
    uptake.Repository.start_helpers(2)
    reading = month_ends.read_share
    monkeypatch.setattr(
        month_ends, "read_share", mock.Mock(side_effect=SourceError("cannot read a blob"))
    )
    with pytest.raises(SourceError, match="cannot read a blob"):
        read(medium_project.path, workers=2)
    monkeypatch.setattr(month_ends, "read_share", reading)

    assert read(medium_project.path, workers=2)[0].imports == MEDIUM_IMPORTS


def test_a_helper_raises_what_its_function_raised_and_goes_on():
    uptake.Repository.start_helpers(2)
    [helper] = reading_helpers.acquire(1, month_ends.warm_up_helper)
    try:
        helper.send(int, "not a number")
        with pytest.raises(ValueError, match="not a number"):
            helper.receive()
        helper.send(int, "42")
        assert helper.receive() == 42
    finally:
        reading_helpers.release([helper])


def test_a_partial_clone_is_shared_through_git(medium_project, tmp_path):
    partial = tmp_path / "partial"
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", f"file://{medium_project.path}", str(partial)],
        check=True,
        capture_output=True,
    )
    uptake.Repository.start_helpers(2)

    with mock.patch.object(
        reading_helpers.Helper, "send", autospec=True, side_effect=reading_helpers.Helper.send
    ) as send:
        [month] = list(uptake.Repository(partial, until="2021-03", workers=2).month_ends())

    assert month.imports == MEDIUM_IMPORTS
    assert send.call_args.args[-1] is True  # the helper reads through git, as this process


def test_a_helper_reads_what_the_clone_gained_since_its_last_call(medium_project):
    uptake.Repository.start_helpers(2)
    assert read(medium_project.path, workers=2)[0].imports == MEDIUM_IMPORTS
    files = {f"pkg/n{i}.py": f"import new{i % 3}\nNUMBER = {i}\n" for i in range(40)}
    medium_project.commit("2021-03-02T00:00:00+00:00", files)
    subprocess.run(["git", "-C", str(medium_project.path), "repack", "-adq"], check=True)

    with mock.patch.object(
        reading_helpers.Helper, "send", autospec=True, side_effect=reading_helpers.Helper.send
    ) as send:
        months = list(uptake.Repository(medium_project.path, until="2021-04").month_ends())

    assert send.call_count == 1  # shared again, with the helper that read the clone before
    assert months[-1].imports == MEDIUM_IMPORTS | {"new0", "new1", "new2"}
