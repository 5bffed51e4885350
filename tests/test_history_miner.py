import subprocess
from datetime import date

import pytest

from tests.conftest import count
from tests.git_repos import RepoBuilder, notebook
from uptake.mining.history_miner import mine_repositories
from uptake.warehouse import Warehouse

BIG_FILE = b"x = 1\n" * (9 * 1024 * 1024)  # 54 MB of Python: over the size limit


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory):
    """Renames, deletions, a merge, a notebook, Python 2, a binary .py, a 54 MB file,
    a symlink, an LFS pointer and a submodule, over six months of 2020."""
    repo = RepoBuilder(tmp_path_factory.mktemp("repos") / "project")
    repo.commit(
        "2020-01-15T10:00:00Z",
        {"a.py": "import torch\nimport os\n", "b.py": "import tensorflow as tf\n"},
    )
    repo.commit(
        "2020-01-20T10:00:00Z",
        {"nb.ipynb": notebook("!pip install torch\nimport jax.numpy as jnp")},
    )
    repo.git("mv", "b.py", "c.py")
    repo.commit("2020-03-10T10:00:00Z", {"a.py": "from torch import nn\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("2020-03-20T10:00:00Z", {"d.py": "def f():\n    import pandas\n"})
    repo.git("checkout", "-q", "main")
    repo.git(
        "merge", "-q", "--no-ff", "-m", "merge feature", "feature", date="2020-04-05T10:00:00Z"
    )
    lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 123\n"
    repo.commit(
        "2020-05-02T10:00:00Z",
        {
            "a.py": None,
            "py2.py": "import urllib2\nprint 'hello'\n",
            "binary.py": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,  # an image named .py
            "big.py": BIG_FILE,
            "lfs.py": lfs,
        },
    )
    (repo.path / "link.py").symlink_to("c.py")
    repo.git("add", "link.py")
    submodule_commit = repo.git("rev-parse", "HEAD")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{submodule_commit},vendored")
    repo.commit("2020-05-03T10:00:00Z", {})
    return repo.path


EXPECTED_MONTHS = {
    # month: (python files, notebooks, fallback, skipped, {import root: files})
    date(2020, 1, 1): (2, 1, 0, 0, {"jax": 1, "os": 1, "tensorflow": 1, "torch": 1}),
    date(2020, 2, 1): (2, 1, 0, 0, {"jax": 1, "os": 1, "tensorflow": 1, "torch": 1}),
    date(2020, 3, 1): (2, 1, 0, 0, {"jax": 1, "tensorflow": 1, "torch": 1}),
    date(2020, 4, 1): (3, 1, 0, 0, {"jax": 1, "pandas": 1, "tensorflow": 1, "torch": 1}),
    date(2020, 5, 1): (6, 1, 1, 3, {"jax": 1, "pandas": 1, "tensorflow": 1, "urllib2": 1}),
    date(2020, 6, 1): (6, 1, 1, 3, {"jax": 1, "pandas": 1, "tensorflow": 1, "urllib2": 1}),
}


def mined(warehouse) -> dict:
    snapshots = warehouse.con.execute(
        "select month, python_files, notebook_files, fallback_files, skipped_files from raw.repo_snapshots "
        "where repo = 'owner/project' order by month"
    ).fetchall()
    imports = warehouse.con.execute(
        """
        select s.month, r.import_root, sum(s.files)
        from raw.repo_snapshot_blobs as s
        join raw.blob_imports as b using (blob_sha), unnest(b.import_roots) as r(import_root)
        where s.repo = 'owner/project'
        group by all
        """
    ).fetchall()
    by_month = {month: (py, nb, fb, sk, {}) for month, py, nb, fb, sk in snapshots}
    for month, root, files in imports:
        by_month[month][4][root] = files
    return by_month


def test_each_month_end_snapshot_gives_the_expected_imports(warehouse, history_repo):
    summary = mine_repositories(
        warehouse, [("owner/project", history_repo)], until=date(2020, 7, 1), workers=1
    )

    assert mined(warehouse) == EXPECTED_MONTHS
    assert summary["months"] == 6
    commits = warehouse.con.execute(
        "select month, commit_sha from raw.repo_snapshots order by month"
    ).fetchall()
    merge = subprocess.run(
        [
            "git",
            "-C",
            str(history_repo),
            "rev-list",
            "--first-parent",
            "-1",
            "--before=2020-05-01",
            "HEAD",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert dict(commits)[date(2020, 4, 1)] == merge


def test_skips_and_fallbacks_say_why(warehouse, history_repo):
    mine_repositories(
        warehouse, [("owner/project", history_repo)], until=date(2020, 7, 1), workers=1
    )

    reasons = dict(
        warehouse.con.execute(
            "select method || ': ' || coalesce(reason, ''), count(*) from raw.blob_imports "
            "where method <> 'ast' group by all"
        ).fetchall()
    )
    assert any(r.startswith("skipped: over size limit") for r in reasons)
    assert "skipped: git-lfs pointer, not the file" in reasons
    assert any(r.startswith("skipped:") and "binary" in r for r in reasons)
    assert any(r.startswith("fallback:") for r in reasons)


def test_a_rerun_parses_nothing_and_mines_only_new_months(warehouse, history_repo):
    mine_repositories(
        warehouse, [("owner/project", history_repo)], until=date(2020, 6, 1), workers=1
    )
    before = count(warehouse, "select count(*) from raw.blob_imports")

    again = mine_repositories(
        warehouse, [("owner/project", history_repo)], until=date(2020, 6, 1), workers=1
    )
    later = mine_repositories(
        warehouse, [("owner/project", history_repo)], until=date(2020, 7, 1), workers=1
    )

    assert (again["months"], again.get("blobs_parsed", 0)) == (0, 0)
    assert (later["months"], later.get("blobs_parsed", 0)) == (1, 0)
    assert count(warehouse, "select count(*) from raw.blob_imports") == before
    assert mined(warehouse) == EXPECTED_MONTHS


def test_parallel_workers_give_the_same_rows(warehouse, history_repo, tmp_path):
    mine_repositories(
        warehouse, [("owner/project", history_repo)], until=date(2020, 7, 1), workers=2
    )

    assert mined(warehouse) == EXPECTED_MONTHS


def test_a_worker_killed_between_runs_is_replaced(history_repo, tmp_path):
    """The parsing workers are kept between calls; one killed meanwhile (the OOM killer,
    say) must cost the next run nothing but a new pool."""
    import os
    import signal

    from uptake.mining.history_miner import worker_pool

    with Warehouse.open(tmp_path / "first.duckdb") as first:
        mine_repositories(
            first, [("owner/project", history_repo)], until=date(2020, 7, 1), workers=2
        )
    pool = worker_pool(2)
    os.kill(next(iter(pool.executor._processes)), signal.SIGKILL)

    with Warehouse.open(tmp_path / "second.duckdb") as second:
        mine_repositories(
            second, [("owner/project", history_repo)], until=date(2020, 7, 1), workers=2
        )
        assert mined(second) == EXPECTED_MONTHS
    assert worker_pool(2) is not pool


def test_a_rewritten_history_replaces_only_the_months_whose_commit_changed(warehouse, tmp_path):
    repo = RepoBuilder(tmp_path / "rewritten")
    repo.commit("2021-01-10T10:00:00Z", {"a.py": "import torch\n"})
    repo.commit("2021-02-10T10:00:00Z", {"b.py": "import jax\n"})
    mine_repositories(warehouse, [("o/r", repo.path)], until=date(2021, 3, 1), workers=1)
    repo.git("reset", "-q", "--hard", "HEAD~1")  # February's commit, force-pushed away
    repo.commit("2021-02-11T10:00:00Z", {"c.py": "import tensorflow\n"})

    summary = mine_repositories(warehouse, [("o/r", repo.path)], until=date(2021, 3, 1), workers=1)

    assert summary["months"] == 1
    assert warehouse.con.execute(
        "select month, list_sort(list(r)), count(*) from raw.repo_snapshot_blobs "
        "join raw.blob_imports using (blob_sha), unnest(import_roots) as t(r) "
        "where repo = 'o/r' group by month order by month"
    ).fetchall() == [
        (date(2021, 1, 1), ["torch"], 1),
        (date(2021, 2, 1), ["tensorflow", "torch"], 2),
    ]
    assert count(warehouse, "select count(*) from raw.repo_snapshots where repo = 'o/r'") == 2


def test_the_cache_replaces_an_older_extractors_blobs_and_keeps_its_own(warehouse, tmp_path):
    """A blob cached by an older extractor is parsed again and its row replaced; one the
    current extractor cached (another repository parsed it first) is kept as it is."""
    from uptake.mining import store

    repo = RepoBuilder(tmp_path / "cached")
    repo.commit("2021-01-10T10:00:00Z", {"old.py": "import torch\n", "own.py": "import jax\n"})
    old, own = (repo.git("rev-parse", f"HEAD:{name}") for name in ("old.py", "own.py"))

    def cached(sha: str, roots: tuple[str, ...]) -> store.BlobImports:
        return store.BlobImports(sha, roots, roots, (), "ast", None, 1)

    store.save_blobs(
        warehouse.con, store.blob_table([cached(old, ("stale",))]), extractor_version=0
    )
    store.save_blobs(warehouse.con, store.blob_table([cached(own, ("kept",))]))

    summary = mine_repositories(warehouse, [("o/r", repo.path)], until=date(2021, 2, 1), workers=1)
    # Another worker, which parsed `own` at the same time, writes it too.
    store.save_blobs(warehouse.con, store.blob_table([cached(own, ("other",))]))

    assert (summary["blobs_parsed"], summary["blobs_cached"]) == (1, 1)
    assert warehouse.con.execute(
        "select blob_sha, import_roots, extractor_version from raw.blob_imports order by all"
    ).fetchall() == sorted(
        [(old, ["torch"], store.EXTRACTOR_VERSION), (own, ["kept"], store.EXTRACTOR_VERSION)]
    )


def test_shallow_and_partial_clones_and_an_empty_repository(warehouse, history_repo, tmp_path):
    shallow = tmp_path / "shallow"
    partial = tmp_path / "partial"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{history_repo}", str(shallow)], check=True
    )
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", f"file://{history_repo}", str(partial)],
        check=True,
    )
    empty = RepoBuilder(tmp_path / "empty").path

    summary = mine_repositories(
        warehouse,
        [
            ("o/shallow", shallow),
            ("o/partial", partial),
            ("o/empty", empty),
            ("o/missing", tmp_path / "nope"),
        ],
        until=date(2020, 7, 1),
        workers=1,
    )

    months = dict(
        warehouse.con.execute(
            "select repo, count(*) from raw.repo_snapshots group by repo"
        ).fetchall()
    )
    assert months == {
        "o/partial": 6,
        "o/shallow": 2,
    }  # a depth-1 clone only knows May's last commit
    assert summary["rejected"] == 1
    reject = warehouse.con.execute("select item, reason from meta.rejects").fetchone()
    assert reject[0] == "o/missing" and "not a git repository" in reject[1]


def test_one_diff_tree_walk_lists_the_same_files_as_ls_tree_per_commit(history_repo):
    from uptake.mining.git_plumbing import GitRepository, month_end_commits

    git = GitRepository(history_repo)
    commits = month_end_commits(git.first_parent_history(), date(2020, 7, 1)).values()

    walked = git.python_files_at(commits)

    def listing(files):
        return sorted((file.path, file.blob_sha) for file in files)

    assert {sha: listing(files) for sha, files in walked.items()} == {
        commit.sha: listing(git.python_files(commit.sha)) for commit in commits
    }
    assert len(walked) > 2


def test_paths_with_newlines_and_empty_months_between_walked_trees(tmp_path):
    """diff-tree ends each walk step's header with a newline, not a NUL: a path holding a
    newline or starting with a colon must not be taken for one, and an unchanged month
    gives an empty step that must still count as one."""
    from uptake.mining.git_plumbing import GitRepository, month_end_commits

    repo = RepoBuilder(tmp_path / "odd")
    repo.commit(
        "2021-01-10T10:00:00Z", {"we\nird.py": "import torch\n", "./:colon.py": "import os\n"}
    )  # "./": a pathspec starting with a colon would be magic to `git add`
    repo.commit("2021-03-10T10:00:00Z", {"other.txt": "not mined\n"})  # no mined change
    repo.commit(
        "2021-04-10T10:00:00Z",
        {
            "we\nird.py": None,
            "b\n:100644.py": "import jax\n",
            "a/b/deep.ipynb": "{}",
            "docs.py/notes.txt": "a folder the walk's *.py pathspec takes in\n",
        },
    )
    git = GitRepository(repo.path)
    commits = month_end_commits(git.first_parent_history(), date(2021, 5, 1)).values()

    walked = git.python_files_at(commits)

    assert [sorted(f.path for f in files) for files in walked.values()] == [
        [":colon.py", "we\nird.py"],
        [":colon.py", "we\nird.py"],
        [":colon.py", "a/b/deep.ipynb", "b\n:100644.py"],
    ]


def test_the_walk_reads_diff_tree_output_split_anywhere(tmp_path, monkeypatch):
    """The walk parses diff-tree's output as it streams in: a block may end inside a
    step's header, a path or a field, and the trees must come out the same."""
    from uptake.mining import git_plumbing

    repo = RepoBuilder(tmp_path / "odd")
    repo.commit("2021-01-10T10:00:00Z", {"we\nird.py": "import torch\n", "a.py": "import os\n"})
    repo.commit("2021-02-10T10:00:00Z", {"other.txt": "not mined\n"})
    repo.commit("2021-03-10T10:00:00Z", {"a.py": None, "b\n:100644.py": "import jax\n"})
    git = git_plumbing.GitRepository(repo.path)
    history = git_plumbing.month_end_commits(git.first_parent_history(), date(2021, 4, 1))
    whole = git.python_files_at(history.values())

    assert [sorted(f.path for f in files) for files in whole.values()] == [
        ["a.py", "we\nird.py"],
        ["a.py", "we\nird.py"],
        ["b\n:100644.py", "we\nird.py"],
    ]
    for size in (1, 2, 3, 7, 41, 64):  # bytes read from git at a time
        monkeypatch.setattr(git_plumbing, "_READ_BUFFER_BYTES", size)
        assert git.python_files_at(history.values()) == whole, size


def test_a_walk_git_cannot_finish_is_rejected_with_gits_message(warehouse, tmp_path):
    """A tree object missing from the clone stops diff-tree part-way: the repository is
    rejected with what git said, and nothing of it is written."""
    repo = RepoBuilder(tmp_path / "broken")
    repo.commit("2021-01-10T10:00:00Z", {"a.py": "import torch\n"})
    repo.commit("2021-02-10T10:00:00Z", {"b/c.py": "import jax\n"})
    subtree = subprocess.run(
        ["git", "-C", str(repo.path), "rev-parse", "HEAD:b"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (repo.path / ".git" / "objects" / subtree[:2] / subtree[2:]).unlink()

    summary = mine_repositories(
        warehouse, [("o/broken", repo.path)], until=date(2021, 3, 1), workers=1
    )

    assert summary["rejected"] == 1 and summary["months"] == 0
    reason = summary["rejects"][0][1]
    assert "git diff-tree failed" in reason and subtree in reason
    assert warehouse.con.execute("select count(*) from raw.repo_snapshots").fetchone() == (0,)


def test_a_sha256_repository_is_mined(warehouse, tmp_path):
    path = tmp_path / "sha256"
    subprocess.run(["git", "init", "-q", "--object-format=sha256", str(path)], check=True)
    repo = RepoBuilder(path)  # `git init` again keeps the object format
    repo.commit("2021-01-10T10:00:00Z", {"a.py": "import torch\n"})
    repo.commit("2021-02-10T10:00:00Z", {"b.py": "import tensorflow\n"})

    summary = mine_repositories(warehouse, [("o/sha256", path)], until=date(2021, 3, 1), workers=1)

    assert summary["months"] == 2 and summary["rejected"] == 0
    assert warehouse.con.execute(
        "select month, list_sort(list(r)) from raw.repo_snapshot_blobs "
        "join raw.blob_imports using (blob_sha), unnest(import_roots) as t(r) "
        "group by month order by month"
    ).fetchall() == [(date(2021, 1, 1), ["torch"]), (date(2021, 2, 1), ["tensorflow", "torch"])]
