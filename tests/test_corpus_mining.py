"""Mining a corpus: papers' code and a cohort, attribution at the paper's month, outcomes."""

import gzip
import json
from datetime import date

import pytest
from click.testing import CliRunner

from tests.fakes.loopback import LoopbackServer, Reply, replying_handler
from tests.git_repos import RepoBuilder
from tests.test_conference_papers import build, rows
from tests.test_github_ranking import HEADER, line
from tests.test_paper_lists import paper
from uptake.cli import cli
from uptake.errors import SourceError
from uptake.mining import corpus
from uptake.mining.history_miner import mine_repositories
from uptake.mining.mined_writer import write_mined
from uptake.mining.repositories import parse_repository
from uptake.mining.repository_miner import mine_repository
from uptake.sources.github_ranking import load_github_ranking
from uptake.sources.paper_lists import load_paper_lists
from uptake.warehouse import Warehouse

UNTIL = date(2020, 1, 1)


def paper_list(tmp_path, name: str, papers: list[dict]):
    path = tmp_path / name
    path.write_bytes(gzip.compress(json.dumps(papers).encode()))
    return path


def research_code(warehouse, month: str) -> dict[str, tuple[int, int]]:
    return {
        technology: (value, n)
        for technology, value, n in rows(
            warehouse,
            "select technology, value, n_observations from intermediate.int_segment__research_code "
            "where month = ? and technology in ('pytorch', 'tensorflow')",
            [month],
        )
    }


@pytest.fixture
def cvpr_2019(warehouse, tmp_path):
    """CVPR 2019 (June) papers whose code has known histories, mined to the end of 2019."""
    late = RepoBuilder(tmp_path / "late")  # created after the paper, within the window
    late.commit("2019-09-10T00:00:00Z", {"train.py": "import torch\n"})
    switched = RepoBuilder(tmp_path / "switched")  # TensorFlow at the paper, PyTorch later
    switched.commit("2019-03-01T00:00:00Z", {"model.py": "import tensorflow as tf\n"})
    switched.commit("2019-10-01T00:00:00Z", {"model.py": "import torch\n"})
    placeholder = RepoBuilder(tmp_path / "placeholder")  # a README first, code later
    placeholder.commit("2019-05-01T00:00:00Z", {"README.md": "code coming soon\n"})
    placeholder.commit("2019-08-20T00:00:00Z", {"src/net.py": "from tensorflow import keras\n"})
    docs = RepoBuilder(tmp_path / "docs")  # no Python, ever
    docs.commit("2019-04-01T00:00:00Z", {"index.html": "<p>slides</p>\n"})
    papers = [
        paper("Late code", "https://github.com/lab/late"),
        paper("Switched framework", "https://github.com/lab/switched"),
        paper("Placeholder first", "https://github.com/lab/placeholder"),
        paper("Slides only", "https://github.com/lab/docs"),
        paper("Never mined", "https://github.com/lab/unmined"),
    ]
    load_paper_lists(warehouse, [paper_list(tmp_path, "cvpr2019.json.gz", papers)])
    repos = {"lab/late": late, "lab/switched": switched, "lab/placeholder": placeholder}
    repos["lab/docs"] = docs
    mine_repositories(
        warehouse, [(name, repo.path) for name, repo in repos.items()], until=UNTIL, workers=1
    )
    build(warehouse)
    return warehouse


def test_a_paper_counts_for_what_its_code_imports_from_its_month(cvpr_2019):
    attributed = rows(
        cvpr_2019,
        """
        select title, technologies, code_read_at from marts.papers
        where source = 'paper_list' order by title
        """,
    )
    assert attributed == [
        ("Late code", ["pytorch"], date(2019, 9, 1)),  # the first month with Python
        ("Never mined", [], None),
        ("Placeholder first", ["tensorflow"], date(2019, 8, 1)),  # not the README month
        ("Slides only", [], None),  # no Python: read in no month
        (
            "Switched framework",
            ["tensorflow"],
            date(2019, 6, 1),
        ),  # its later switch is not the paper's
    ]
    # Three papers' code was read; the slides and the unmined repository are not counted.
    assert research_code(cvpr_2019, "2019-06-01") == {"pytorch": (1, 3), "tensorflow": (2, 3)}


def test_every_repository_tried_has_an_outcome(cvpr_2019):
    outcomes = rows(
        cvpr_2019,
        "select repo, cohorts, mining_outcome, mining_reason, months_mined from marts.repos order by repo",
    )
    assert outcomes == [
        (
            "lab/docs",
            ["paper_code"],
            "no_python",
            "no .py or .ipynb file in any of 9 month-end trees",
            9,
        ),
        ("lab/late", ["paper_code"], "mined", None, 4),
        ("lab/placeholder", ["paper_code"], "mined", None, 8),
        ("lab/switched", ["paper_code"], "mined", None, 10),
        ("lab/unmined", ["paper_code"], None, None, 0),
    ]


def test_code_first_published_more_than_a_year_after_the_paper_attributes_nothing(
    warehouse, tmp_path
):
    repo = RepoBuilder(tmp_path / "much-later")
    repo.commit("2020-07-01T00:00:00Z", {"train.py": "import torch\n"})  # 13 months after
    within = RepoBuilder(tmp_path / "year-later")
    within.commit("2020-06-15T00:00:00Z", {"train.py": "import torch\n"})  # 12 months after
    papers = [
        paper("Much later", "https://github.com/lab/much-later"),
        paper("A year later", "https://github.com/lab/year-later"),
    ]
    load_paper_lists(warehouse, [paper_list(tmp_path, "cvpr2019.json.gz", papers)])
    mine_repositories(
        warehouse,
        [("lab/much-later", repo.path), ("lab/year-later", within.path)],
        until=date(2020, 9, 1),
        workers=1,
    )
    build(warehouse)
    assert rows(warehouse, "select title, technologies from marts.papers order by title") == [
        ("A year later", ["pytorch"]),
        ("Much later", []),
    ]
    assert research_code(warehouse, "2019-06-01") == {"pytorch": (1, 1), "tensorflow": (0, 1)}


class GoneRemote(LoopbackServer):
    """A git host where every repository was deleted: HTTP 404 for everything."""

    def _handler_class(self):
        return replying_handler(lambda request: Reply(404, b"Not Found"), "text/plain")


def test_a_repository_deleted_upstream_is_recorded_as_gone_at_once(warehouse, tmp_path):
    with GoneRemote() as remote:
        ref = parse_repository(f"lab/deleted={remote.base_url}/lab/deleted.git")
        mined = mine_repository(ref, UNTIL, {}, {}, str(tmp_path / "clones"))
    assert mined.reason is not None and "not found" in mined.reason
    write_mined(warehouse, mined, UNTIL)
    assert rows(warehouse, "select repo, outcome from raw.repo_mining_outcomes") == [
        ("lab/deleted", "gone")
    ]
    assert rows(warehouse, "select item from meta.rejects") == [("lab/deleted",)]


def test_an_empty_repository_is_recorded_as_empty(warehouse, tmp_path):
    empty = RepoBuilder(tmp_path / "empty")
    mine_repositories(warehouse, [("lab/empty", empty.path)], until=UNTIL, workers=1)
    assert rows(warehouse, "select outcome, reason from raw.repo_mining_outcomes") == [
        ("empty", "no commits to mine")
    ]


def test_a_passing_failure_does_not_undo_what_was_mined(warehouse, tmp_path):
    repo = RepoBuilder(tmp_path / "repo")
    repo.commit("2019-03-01T00:00:00Z", {"a.py": "import torch\n"})
    mine_repositories(warehouse, [("lab/repo", repo.path)], until=UNTIL, workers=1)
    mine_repositories(warehouse, [("lab/repo", tmp_path / "vanished")], until=UNTIL, workers=1)
    outcome, reason = rows(warehouse, "select outcome, reason from raw.repo_mining_outcomes")[0]
    assert outcome == "mined" and reason.startswith("kept from an earlier run; this run: ")


def candidates(*pairs):
    return [corpus.Candidate(repo, stratum) for repo, stratum in pairs]


def test_the_sample_is_shared_between_strata_and_stable_for_a_seed():
    pool = candidates(
        *[(f"a/{i}", "2019") for i in range(50)],
        *[(f"b/{i}", "2020") for i in range(3)],
        *[(f"c/{i}", "2021") for i in range(50)],
    )
    drawn = corpus.stratified_sample(pool, 23, seed=7)
    strata = [c.stratum for c in drawn]
    # 2020 has 3 of its 7 or 8: the rest goes to the others.
    assert (strata.count("2019"), strata.count("2020"), strata.count("2021")) == (10, 3, 10)
    assert drawn == corpus.stratified_sample(pool, 23, seed=7)
    assert drawn != corpus.stratified_sample(pool, 23, seed=8)
    larger = corpus.stratified_sample(pool, 40, seed=7)
    assert {c.repo for c in drawn} <= {c.repo for c in larger}
    assert len(corpus.stratified_sample(pool, None, seed=7)) == 103


def test_clones_are_found_in_either_layout(tmp_path):
    RepoBuilder(tmp_path / "Lab+Model" / "repo")  # a snapshot mirror: owner+name/repo/.git
    RepoBuilder(tmp_path / "owner" / "tool")  # owner/name with a work tree
    (tmp_path / "not+a+repo").mkdir()
    found = corpus.find_clones(tmp_path)
    assert found == {
        "lab/model": tmp_path / "Lab+Model" / "repo" / ".git",
        "owner/tool": tmp_path / "owner" / "tool" / ".git",
    }


@pytest.mark.usefixtures("prefect_harness")
def test_mine_papers_and_a_cohort_from_local_clones(tmp_path):
    db = tmp_path / "w.duckdb"
    clones = tmp_path / "clones"
    for name, code in (("lab+paper", "import torch\n"), ("org+popular", "import tensorflow\n")):
        RepoBuilder(clones / name / "repo").commit("2019-05-02T00:00:00Z", {"x.py": code})
    papers = [
        paper("Mined", "https://github.com/lab/paper"),
        paper("Gone", "https://github.com/lab/gone"),
        paper("Untried", "https://github.com/lab/untried"),
    ]
    ranking = tmp_path / "ranking.csv"
    ranking.write_text(
        HEADER + line("2019-05-01", 1, "org/popular") + line("2019-05-01", 2, "org/big")
    )
    unavailable = tmp_path / "unavailable.tsv"
    unavailable.write_text("lab/gone\tno snapshot of it could be fetched\norg/big\ttoo large\n")
    with Warehouse.open(db) as warehouse:
        load_paper_lists(warehouse, [paper_list(tmp_path, "cvpr2019.json.gz", papers)])
        load_github_ranking(warehouse, [ranking])
        build(warehouse)

    result = CliRunner().invoke(
        cli,
        ["--db", str(db), "mine", "-q", "--papers", "--cohort", "popular_python"]
        + ["--clones", str(clones), "--only-cloned", "--unavailable", str(unavailable)]
        + ["--until", "2019-08"],
    )
    assert result.exit_code == 3, result.output  # partial: two were not fetched
    assert "partial: 2 rejected" in result.output
    assert (
        "Chose 5 repositories: 2 to mine, 2 recorded as not fetched, "
        "1 without a clone left untried" in result.output
    )
    with Warehouse.open(db) as warehouse:
        build(warehouse)
        assert rows(
            warehouse,
            "select repo, cohorts, mining_outcome, mining_reason from marts.repos order by repo",
        ) == [
            ("lab/gone", ["paper_code"], "not_fetched", "no snapshot of it could be fetched"),
            ("lab/paper", ["paper_code"], "mined", None),
            ("lab/untried", ["paper_code"], None, None),
            ("org/big", ["popular_python"], "not_fetched", "too large"),
            ("org/popular", ["popular_python"], "mined", None),
        ]
        assert rows(
            warehouse,
            "select technology, value, n_observations from intermediate.int_segment__oss_imports "
            "where month = '2019-05-01' and technology in ('pytorch', 'tensorflow') order by 1",
        ) == [("pytorch", 0, 1), ("tensorflow", 1, 1)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name REPOSITORIES, or choose --papers or --cohort NAME"),
        (
            ["--sample", "5", "."],
            "--sample, --clones and --unavailable go with --papers or --cohort",
        ),
        (["--papers", "--only-cloned"], "--only-cloned needs --clones DIR"),
        (["--papers"], "load paper lists (--source paper_lists) with `uptake refresh` first"),
    ],
)
def test_mine_refuses_what_it_cannot_do_in_one_line(tmp_path, args, message):
    Warehouse.open(tmp_path / "w.duckdb").close()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "w.duckdb"), "mine", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_dry_run_prints_names_as_the_lists_spell_them(tmp_path):
    """A snapshot mirror is case-sensitive: 340 of 495 lookups once failed on letter case."""
    db = tmp_path / "w.duckdb"
    papers = [
        paper("A", "https://github.com/NVlabs/StyleGAN.git"),
        paper("B", "https://github.com/github.com/thuml/Batch-Spectral-Penalization"),
        paper("C", "https://github.com/nvlabs/stylegan/tree/master"),  # one paper spells it so
        paper("D", "https://github.com/NVlabs/StyleGAN"),
    ]
    with Warehouse.open(db) as warehouse:
        load_paper_lists(warehouse, [paper_list(tmp_path, "cvpr2019.json.gz", papers)])
        build(warehouse)

    result = CliRunner().invoke(cli, ["--db", str(db), "mine", "--papers", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()) == [
        "NVlabs/StyleGAN",  # the most common spelling
        "thuml/Batch-Spectral-Penalization",
    ]


def test_a_dry_run_prints_the_draw_and_mines_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    papers = [paper(f"Paper {i}", f"https://github.com/lab/repo-{i}") for i in range(6)]
    with Warehouse.open(db) as warehouse:
        load_paper_lists(warehouse, [paper_list(tmp_path, "cvpr2019.json.gz", papers)])
        build(warehouse)

    args = ["--db", str(db), "mine", "--papers", "--sample", "4", "--seed", "3", "--dry-run"]
    first = CliRunner().invoke(cli, args)
    again = CliRunner().invoke(cli, args)

    assert first.exit_code == 0, first.output
    drawn = first.stdout.splitlines()
    assert len(drawn) == 4 and set(drawn) <= {f"lab/repo-{i}" for i in range(6)}
    assert again.stdout == first.stdout
    with Warehouse.open(db) as warehouse:
        assert rows(warehouse, "select count(*) from raw.repo_mining_outcomes") == [(0,)]


@pytest.mark.parametrize(
    "name", ["httpie/cli", "file-tools/x", "httpx-org/httpx", "filesystem/spec"]
)
def test_a_name_that_begins_like_a_scheme_still_names_its_clone(name, tmp_path):
    """httpie/cli=PATH was refused as "neither a local repository, a git URL, nor owner/name"."""
    ref = parse_repository(f"{name}={tmp_path}")

    assert (ref.name, ref.location) == (name, str(tmp_path))


def test_a_url_holding_an_equals_sign_stays_a_url():
    assert parse_repository("https://host/a?x=y.git").location == "https://host/a?x=y.git"


@pytest.mark.parametrize(
    ("text", "message"),
    [("file:///srv/a=b", "cannot name a repository"), ("./a=b", "neither a local repository")],
)
def test_a_path_holding_an_equals_sign_is_not_a_name(text, message):
    with pytest.raises(SourceError, match=message):
        parse_repository(text)
