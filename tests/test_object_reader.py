"""libgit2's reading of a clone gives what git plumbing gives: history, trees and blobs."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

import uptake
from tests.git_repos import RepoBuilder
from tests.test_history_miner import history_repo  # noqa: F401 (a fixture)
from uptake.errors import SourceError
from uptake.mining.git_plumbing import GitRepository, month_end_commits
from uptake.mining.history_miner import MAX_BLOB_BYTES
from uptake.mining.object_reader import ObjectReader


def both_readers(path) -> tuple[GitRepository, ObjectReader]:
    return GitRepository(path), ObjectReader(path)


def as_sets(trees: dict) -> dict:
    """A tree's files as a set: the two readers list a tree in different orders."""
    return {sha: set(files) for sha, files in trees.items()}


def test_history_trees_and_blobs_are_read_as_git_reads_them(history_repo):  # noqa: F811
    # Renames, a merge, a symlink, a submodule, an LFS pointer, a binary and a 54 MB file.
    git, objects = both_readers(history_repo)

    history = objects.first_parent_history()

    assert history == git.first_parent_history()
    months = month_end_commits(history, date(2020, 7, 1)).values()
    trees = objects.python_files_at(months)
    assert as_sets(trees) == as_sets(git.python_files_at(months))
    may = sorted(f.path for f in trees[history[0].sha])
    assert may == ["big.py", "binary.py", "c.py", "d.py", "lfs.py", "nb.ipynb", "py2.py"]
    shas = sorted({f.blob_sha for files in trees.values() for f in files})
    assert list(objects.read_blobs(shas, max_bytes=MAX_BLOB_BYTES)) == list(
        git.read_blobs(shas, max_bytes=MAX_BLOB_BYTES)
    )
    assert any(
        size > MAX_BLOB_BYTES and content is None
        for _, size, content in objects.read_blobs(shas, max_bytes=MAX_BLOB_BYTES)
    )


def test_odd_paths_and_a_blob_the_clone_lacks(tmp_path):
    repo = RepoBuilder(tmp_path / "odd")
    repo.commit(
        "2021-01-10T10:00:00Z",
        {"we\nird.py": "import torch\n", "caf\xe9/\u00fcber.py": "import os\n"},
    )
    repo.commit("2021-03-10T10:00:00Z", {"a/b/deep.ipynb": "{}", "docs.py/notes.txt": "x\n"})
    git, objects = both_readers(repo.path)
    months = month_end_commits(git.first_parent_history(), date(2021, 4, 1)).values()

    assert as_sets(objects.python_files_at(months)) == as_sets(git.python_files_at(months))
    absent = "0123456789abcdef0123456789abcdef01234567"
    assert list(objects.read_blobs([absent])) == [(absent, -1, None)]
    assert list(git.read_blobs([absent])) == [(absent, -1, None)]


def test_an_empty_repository_has_no_history(tmp_path):
    empty = RepoBuilder(tmp_path / "empty")

    assert ObjectReader(empty.path).first_parent_history() == []


def test_a_folder_that_is_no_repository_is_refused(tmp_path):
    with pytest.raises(SourceError, match="is not a git repository"):
        ObjectReader(tmp_path)


def test_a_partial_clone_is_left_to_git_which_fetches_what_it_lacks(
    history_repo,  # noqa: F811
    tmp_path,
):
    partial = tmp_path / "partial"
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", f"file://{history_repo}", str(partial)],
        check=True,
    )

    months = list(uptake.Repository(partial, until="2020-07").month_ends())

    assert ObjectReader(partial).is_partial_clone
    assert not ObjectReader(history_repo).is_partial_clone
    assert sorted(months[0].imports) == ["jax", "os", "tensorflow", "torch"]  # blobs fetched
    assert [m.imports for m in months] == [
        m.imports for m in uptake.Repository(history_repo, until="2020-07").month_ends()
    ]


def test_a_sha256_repository_is_read_through_git(tmp_path):
    path = tmp_path / "sha256"
    subprocess.run(["git", "init", "-q", "--object-format=sha256", str(path)], check=True)
    repo = RepoBuilder(path)
    repo.commit("2021-01-10T10:00:00Z", {"a.py": "import torch\n"})
    repo.commit("2021-02-10T10:00:00Z", {"b.py": "import tensorflow\n"})

    months = list(uptake.Repository(path, until="2021-03").month_ends())

    assert [(m.month, sorted(m.imports)) for m in months] == [
        (date(2021, 1, 1), ["torch"]),
        (date(2021, 2, 1), ["tensorflow", "torch"]),
    ]
