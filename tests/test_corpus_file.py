"""A mined corpus as one file: export, reload, lossless, and the one shipped for the demo."""

import hashlib
import json
import zipfile
from datetime import date

import pytest

from tests.git_repos import RepoBuilder
from tests.test_conference_papers import build, rows
from tests.test_corpus_mining import paper_list
from tests.test_github_ranking import HEADER, line
from tests.test_paper_lists import paper
from uptake.errors import SourceError
from uptake.mining.corpus_file import export_corpus, load_corpus, read_corpus
from uptake.mining.history_miner import mine_repositories
from uptake.mining.mined_writer import record_not_fetched
from uptake.sources.bundled_figures import bundled_corpus_path
from uptake.sources.github_ranking import load_github_ranking
from uptake.sources.paper_lists import load_paper_lists
from uptake.warehouse import Warehouse

# What an analyst reads of a corpus: every mart the corpus's repositories feed (a paper or
# a listing naming none of them is not part of the corpus).
TRIED = (
    "(select list('https://github.com/' || repo) from marts.repos where mining_outcome is not null)"
)
MART_QUERIES = (
    "select * from marts.repo_imports_monthly order by all",
    "select * from marts.repos where mining_outcome is not null order by repo",
    "select paper_id, source, month, code_repositories, technologies, code_read_at "
    f"from marts.papers where len(list_intersect(code_repositories, {TRIED})) > 0 "
    "order by paper_id",
    "select * from marts.rivalry_shares where segment in ('research_code', 'oss_imports') "
    "order by all",
)


def fingerprint(warehouse) -> dict[str, str]:
    return {
        query: hashlib.sha256(repr(rows(warehouse, query)).encode()).hexdigest()
        for query in MART_QUERIES
    }


@pytest.fixture
def mined(tmp_path):
    """A warehouse with papers, a cohort and mined repositories of every outcome."""
    torch_repo = RepoBuilder(tmp_path / "torch-code")
    torch_repo.commit("2019-05-02T00:00:00Z", {"a.py": "import torch\nimport numpy as np\n"})
    torch_repo.commit("2019-05-20T00:00:00Z", {"b.py": "import torch\n"})
    torch_repo.commit("2019-09-20T00:00:00Z", {"c.py": "from torch import nn\nimport scipy\n"})
    tf_repo = RepoBuilder(tmp_path / "tf-tool")
    tf_repo.commit("2018-11-02T00:00:00Z", {"x.py": "import tensorflow as tf\n"})
    tf_repo.commit("2019-07-02T00:00:00Z", {"x.py": "import torch\n", "y.py": "import rich\n"})
    slides = RepoBuilder(tmp_path / "slides")
    slides.commit("2019-05-02T00:00:00Z", {"index.html": "<p>talk</p>\n"})
    db = tmp_path / "mined.duckdb"
    with Warehouse.open(db) as warehouse:
        papers = [
            paper("Torch paper", "https://github.com/lab/torch-code"),
            paper("Slides", "https://github.com/lab/slides https://gitlab.com/lab/x"),
            paper("Missing", "https://github.com/lab/missing"),
            paper("Unrelated", "https://github.com/other/unmined"),
        ]
        load_paper_lists(warehouse, [paper_list(tmp_path, "cvpr2019.json.gz", papers)])
        ranking = tmp_path / "ranking.csv"
        ranking.write_text(
            HEADER + line("2019-01-01", 1, "org/tf-tool") + line("2019-01-01", 2, "org/x")
        )
        load_github_ranking(warehouse, [ranking])
        mine_repositories(
            warehouse,
            [
                ("lab/torch-code", torch_repo.path),
                ("org/tf-tool", tf_repo.path),
                ("lab/slides", slides.path),
            ],
            until=date(2020, 1, 1),
            workers=1,
        )
        record_not_fetched(warehouse, {"lab/missing": "no snapshot could be fetched"})
        build(warehouse)
    return db


def test_export_then_reload_is_lossless(mined, tmp_path):
    exported = tmp_path / "corpus.zip"
    with Warehouse.open(mined) as warehouse:
        summary = export_corpus(warehouse, exported)
        before = fingerprint(warehouse)
    assert (summary.repositories, summary.mined, summary.papers) == (4, 2, 3)
    tables = read_corpus(exported)
    assert sorted(tables["module_sets"]["import_roots"].to_pylist()) == [
        ["numpy", "torch"],
        ["rich"],
        ["scipy", "torch"],
        ["tensorflow"],
        ["torch"],
    ]  # every imported module, not only the study's technologies
    assert tables["github_ranking"]["repo"].to_pylist() == ["org/tf-tool"]

    with Warehouse.open(tmp_path / "reloaded.duckdb") as fresh:
        loaded = load_corpus(fresh, exported)
        assert loaded["rejected"] == 0 and loaded["rows"] > 0
        build(fresh)
        assert fingerprint(fresh) == before
        export_corpus(fresh, tmp_path / "again.zip")
    assert (tmp_path / "again.zip").read_bytes() == exported.read_bytes()


def test_loading_a_corpus_twice_gives_the_same_warehouse(mined, tmp_path):
    exported = tmp_path / "corpus.zip"
    with Warehouse.open(mined) as warehouse:
        export_corpus(warehouse, exported)
    with Warehouse.open(tmp_path / "twice.duckdb") as warehouse:
        load_corpus(warehouse, exported)
        build(warehouse)
        first = fingerprint(warehouse)
        assert load_corpus(warehouse, exported)["skipped"] == 1
        build(warehouse)
        assert fingerprint(warehouse) == first


def test_a_corpus_loads_beside_repositories_mined_here(mined, tmp_path):
    exported = tmp_path / "corpus.zip"
    with Warehouse.open(mined) as warehouse:
        export_corpus(warehouse, exported)
    other = RepoBuilder(tmp_path / "other")
    other.commit("2019-06-02T00:00:00Z", {"main.py": "import jax\n"})
    with Warehouse.open(tmp_path / "mixed.duckdb") as warehouse:
        mine_repositories(warehouse, [("me/other", other.path)], until=date(2020, 1, 1), workers=1)
        load_corpus(warehouse, exported)
        build(warehouse)
        assert rows(
            warehouse, "select repo, mining_outcome from marts.repos where repo like 'me/%'"
        ) == [("me/other", "mined")]
        assert rows(
            warehouse,
            "select distinct repo from marts.repo_imports_monthly order by repo",
        ) == [("lab/torch-code",), ("me/other",), ("org/tf-tool",)]


def test_an_empty_warehouse_has_no_corpus_to_export(warehouse, tmp_path):
    with pytest.raises(SourceError, match="no mined repositories in the warehouse to export"):
        export_corpus(warehouse, tmp_path / "corpus.zip")
    assert not (tmp_path / "corpus.zip").exists()


def rewrite(source, target, change):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            name, payload = change(info.filename, old.read(info))
            if name:
                new.writestr(name, payload)
    return target


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda n, p: (n, p[:-100] if n == "months.parquet" else p),
            "months does not match the manifest",
        ),
        (
            lambda n, p: (None if n == "presence.parquet" else n, p),
            "no presence.parquet in the corpus",
        ),
        (
            lambda n, p: (
                n,
                json.dumps({**json.loads(p), "format_version": 99}) if n == "manifest.json" else p,
            ),
            "is corpus format 99; this uptake reads format 1",
        ),
        (lambda n, p: (n, b"{}" if n == "manifest.json" else p), "is not a mined corpus"),
    ],
)
def test_a_damaged_corpus_is_refused_and_the_warehouse_kept(mined, tmp_path, change, reason):
    good = tmp_path / "corpus.zip"
    with Warehouse.open(mined) as warehouse:
        export_corpus(warehouse, good)
    bad = rewrite(good, tmp_path / "bad.zip", change)
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        with pytest.raises(SourceError, match=reason):
            load_corpus(warehouse, bad)
        assert rows(warehouse, "select count(*) from raw.repo_snapshots") == [(0,)]


def test_a_file_that_is_not_a_zip_is_refused(warehouse, tmp_path):
    path = tmp_path / "corpus.zip"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceError, match="is not a mined corpus"):
        load_corpus(warehouse, path)


def test_the_shipped_corpus_reloads_to_the_same_file_and_marts(tmp_path):
    shipped = bundled_corpus_path()
    with Warehouse.open(tmp_path / "shipped.duckdb") as warehouse:
        load_corpus(warehouse, shipped)
        build(warehouse)
        first = fingerprint(warehouse)
        export_corpus(warehouse, tmp_path / "again.zip")
        outcomes = dict(
            rows(warehouse, "select outcome, count(*) from raw.repo_mining_outcomes group by 1")
        )
    assert (tmp_path / "again.zip").read_bytes() == shipped.read_bytes()
    assert outcomes["mined"] >= 450 and outcomes["not_fetched"] >= 20
    with Warehouse.open(tmp_path / "again.duckdb") as warehouse:
        load_corpus(warehouse, tmp_path / "again.zip")
        build(warehouse)
        assert fingerprint(warehouse) == first


def test_a_missing_corpus_file_is_refused_with_the_reason(warehouse, tmp_path):
    with pytest.raises(SourceError, match="cannot read: .*No such file"):
        load_corpus(warehouse, tmp_path / "nowhere.zip")
