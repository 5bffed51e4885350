"""uptake.Repository: one clone's month-end imports in memory, as the warehouse has them."""

from __future__ import annotations

import subprocess
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime

import pytest

import uptake
from tests.git_repos import RepoBuilder, notebook
from uptake.errors import ParameterError, SourceError
from uptake.mining import history_miner
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


class RecordingExecutor:
    """A worker pool's executor run in this process, which records what it is given."""

    def __init__(self, fail: BaseException | None = None, fail_result: bool = False):
        self.calls: list[tuple] = []
        self.fail, self.fail_result = fail, fail_result

    def submit(self, fn, *args):
        self.calls.append((fn.__name__, *args))
        if self.fail is not None and not self.fail_result:
            raise self.fail
        future: Future = Future()
        if self.fail is not None:
            future.set_exception(self.fail)
        else:
            future.set_result(fn(*args))
        return future


@pytest.fixture
def medium_project(tmp_path):
    """60 files in one commit: enough to share with running workers, too few to start them."""
    repo = RepoBuilder(tmp_path / "medium")
    files = {f"pkg/m{i}.py": f"import mod{i % 5}\nNUMBER = {i}\n" for i in range(60)}
    files["explore.ipynb"] = notebook("import pandas as pd")
    repo.commit("2021-02-01T00:00:00+00:00", files)
    return repo


def with_pool(monkeypatch, executor) -> None:
    monkeypatch.setattr(history_miner, "_POOLS", {2: history_miner.ParsePool(executor, 2)})


def test_a_medium_history_is_shared_with_workers_already_running(medium_project, monkeypatch):
    alone = list(uptake.Repository(medium_project.path, until="2021-03", workers=1).month_ends())
    executor = RecordingExecutor()
    with_pool(monkeypatch, executor)

    shared = list(uptake.Repository(medium_project.path, until="2021-03", workers=2).month_ends())

    assert shared == alone
    assert alone[0].imports == {f"mod{i}" for i in range(5)} | {"pandas"}
    [(function, path, share, through_git)] = executor.calls
    assert (function, path, through_git) == ("read_share_at", str(medium_project.path), False)
    assert len(share) == 61 // 2  # every other blob; this process reads the rest


def test_a_medium_history_starts_no_worker_process(medium_project, monkeypatch):
    monkeypatch.setattr(history_miner, "_POOLS", {})

    months = list(uptake.Repository(medium_project.path, until="2021-03", workers=2).month_ends())

    assert months[0].python_files == 60
    assert history_miner._POOLS == {}


@pytest.mark.parametrize("fail_result", [False, True], ids=["at submit", "mid-way"])
def test_a_broken_worker_pool_leaves_its_share_to_this_process(
    medium_project, monkeypatch, fail_result
):
    alone = list(uptake.Repository(medium_project.path, until="2021-03", workers=1).month_ends())
    executor = RecordingExecutor(BrokenProcessPool("a worker died"), fail_result)
    with_pool(monkeypatch, executor)

    shared = list(uptake.Repository(medium_project.path, until="2021-03", workers=2).month_ends())

    assert shared == alone
    assert len(executor.calls) == 1


def test_a_partial_clone_shares_its_blobs_through_git(medium_project, tmp_path, monkeypatch):
    partial = tmp_path / "partial"
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", f"file://{medium_project.path}", str(partial)],
        check=True,
        capture_output=True,
    )
    executor = RecordingExecutor()
    with_pool(monkeypatch, executor)

    [month] = list(uptake.Repository(partial, until="2021-03", workers=2).month_ends())

    assert month.imports == {f"mod{i}" for i in range(5)} | {"pandas"}
    assert executor.calls[0][-1] is True  # the worker reads through git, as this process does
