"""paper_lists: Paper Copilot's per-edition lists of papers and their code links."""

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import count
from tests.test_conference_papers import build, rows
from uptake.sources.paper_lists import (
    EDITION_MONTHS,
    MAX_REPOSITORIES_PER_PAPER,
    code_links,
    edition_month,
    load_paper_lists,
)


def write_list(folder: Path, name: str, papers) -> Path:
    path = folder / name
    path.write_bytes(gzip.compress(json.dumps(papers).encode()))
    return path


def paper(title: str, github: str = "", **fields) -> dict:
    return {
        "title": title,
        "status": "Poster",
        "track": "main",
        "site": "https://cvpr.thecvf.com/virtual/2023/poster/1",
        "github": github,
        "project": "",
        **fields,
    }


@pytest.mark.parametrize(
    ("field", "github", "other"),
    [
        ("https://github.com/Lab/Model", ["lab/model"], []),
        ("https://github.com/lab/model/tree/main/src/x", ["lab/model"], []),
        ("www.github.com/lab/model.git", ["lab/model"], []),
        ("github.com/lab/model/", ["lab/model"], []),
        ("https://github.com/lab/model.", ["lab/model"], []),
        (
            "https://github.com/a/one; https://github.com/b/two",
            ["a/one", "b/two"],
            [],
        ),
        ("https://github.com/a/one https://github.com/a/one", ["a/one"], []),
        (
            "https://github.com/a/code (implementation: https://github.com/b/impl)",
            ["a/code", "b/impl"],
            [],
        ),
        (
            "https://github.com/a/code and https://gitlab.com/b/c",
            ["a/code"],
            ["https://gitlab.com/b/c"],
        ),
        ("https://lab.github.io/project/", [], ["https://lab.github.io/project"]),
        (
            "[![github](/images/github_icon.svg) lab/model](https://github.com/lab/model)",
            ["lab/model"],
            [],
        ),
        ("https://github.com/lab/unify-eﬃcient", ["lab/unify-efficient"], []),
        ("Not provided", [], []),
        ("", [], []),
    ],
)
def test_code_links_are_split_and_normalised(field, github, other):
    links = code_links(field)
    assert list(links.github_repos) == github
    assert list(links.other_urls) == other
    assert links.problems == ()


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        ("javascript:alert(document.cookie)", "javascript: is not a web link"),
        ("data:text/html,<script>alert(1)</script>", "data: is not a web link"),
        ("https://github.com/JianqiangH/Deconfounded VG", "is not a link to a repository"),
        ("https://github.com/open-mmlab", "names a GitHub user or page"),
        ("https://github.com/... (to be released)", "names a GitHub user or page"),
        ("GitHub Link (if available)", "is not a link to a repository"),
    ],
)
def test_a_code_field_that_names_no_repository_says_why(field, problem):
    links = code_links(field)
    assert links.github_repos == ()
    assert len(links.problems) == 1 and problem in links.problems[0]


def test_a_field_naming_more_repositories_than_a_paper_has_is_refused():
    many = " ".join(f"https://github.com/lab/m{i}" for i in range(MAX_REPOSITORIES_PER_PAPER + 1))
    links = code_links(many)
    assert links.github_repos == ()
    assert f"names {MAX_REPOSITORIES_PER_PAPER + 1} repositories" in links.problems[0]
    same = " ".join(["https://github.com/lab/model"] * 10_000)
    assert code_links(same).github_repos == ("lab/model",)


def test_edition_months_follow_the_conferences_dates():
    assert edition_month("cvpr", 2023) == (date(2023, 6, 1), "opened 2023-06-18, Vancouver")
    assert edition_month("icml", 2017)[0] == date(2017, 8, 1)  # Sydney, August
    assert edition_month("neurips", 2018)[0] == date(2018, 12, 1)
    assert edition_month("iclr", 2019)[0] == date(2019, 5, 1)
    assert edition_month("ijcai", 2020)[0] == date(2021, 1, 1)  # held in January 2021
    for (conference, year), (opened, place) in EDITION_MONTHS.items():
        assert place, (conference, year)
        # An edition opens in its own year, or (IJCAI-PRICAI 2020) within the next month.
        assert opened.year == year or (opened - date(year, 12, 31)).days < 40, (conference, year)


def test_every_real_list_has_a_month(shared_data):
    files = sorted((shared_data / "paper-code-links").glob("*.json.gz"))
    assert len(files) == 108
    for path in files:
        stem = path.name.removesuffix(".json.gz")
        conference = stem.rstrip("0123456789").replace("nips", "neurips")
        assert (conference, int(stem[len(stem.rstrip("0123456789")) :])) in EDITION_MONTHS, path


def test_the_real_lists_load_with_their_code_links(warehouse, shared_data):
    summary = load_paper_lists(warehouse, [shared_data / "paper-code-links"])
    assert summary["rows"] == 78_219  # of 78,221: one record without a title, one repeated id
    assert count(warehouse, "select count(*) from raw.paper_list_editions") == 108
    reasons = [reason for _, reason in summary["rejects"]]
    assert reasons.count("missing field title") == 1
    assert sum("repeats paper id" in r for r in reasons) == 1
    links = rows(
        warehouse,
        """
        select year, count(*) from raw.paper_list_papers, unnest(github_repos)
        where year between 2017 and 2025 group by year order by year
        """,
    )
    # The data README's links per year (120, 367, 502, 757, 2,504, 3,466, 4,064, 2,259,
    # 866) count matches of a looser pattern: user pages and names with spaces too.
    assert links == [
        (2017, 120),
        (2018, 366),
        (2019, 499),
        (2020, 752),
        (2021, 2502),
        (2022, 3441),
        (2023, 4046),
        (2024, 2250),
        (2025, 858),
    ]
    distinct = count(
        warehouse,
        "select count(distinct r) from raw.paper_list_papers, unnest(github_repos) as u (r)",
    )
    assert distinct == 14_609
    flagged = count(
        warehouse, "select count(*) from raw.paper_list_papers where len(other_code_urls) > 0"
    )
    assert flagged == 923
    again = load_paper_lists(warehouse, [shared_data / "paper-code-links"])
    assert (again["rows"], again["skipped"]) == (0, 108)

    build(warehouse)
    papers = rows(
        warehouse,
        """
        select venue, month, code_repositories from marts.papers
        where source = 'paper_list' and paper_id = 'cvpr-2023:' || (
            select paper_id from raw.paper_list_papers
            where conference = 'cvpr' and year = 2023 and code_field = 'https://www.github.com/mecarill/2pcnet'
        )
        """,
    )
    assert papers == [("CVPR 2023", date(2023, 6, 1), ["https://github.com/mecarill/2pcnet"])]


def test_bad_records_are_rejected_and_the_rest_loads(warehouse, tmp_path):
    path = write_list(
        tmp_path,
        "cvpr2023.json.gz",
        [
            paper("Good", "https://github.com/lab/good"),
            {"status": "Poster"},  # no title
            "not an object",
            paper("Scripted", "javascript:alert(1)"),
            paper("Typed", github=["https://github.com/lab/x"]),
            paper("Good", "https://github.com/lab/good"),  # the same title and page again
        ],
    )
    summary = load_paper_lists(warehouse, [path])
    assert summary["rows"] == 2
    assert sorted(summary["rejects"]) == sorted(
        [
            ("cvpr2023.json.gz record 1", "missing field title"),
            ("cvpr2023.json.gz record 2", "not a JSON object: str"),
            ("cvpr2023.json.gz record 3 code link", "javascript: is not a web link"),
            ("cvpr2023.json.gz record 4", "github is not text: list"),
            ("cvpr2023.json.gz record 5", summary["rejects"][-1][1]),
        ]
    )
    assert "repeats paper id" in summary["rejects"][-1][1]
    assert rows(
        warehouse, "select title, github_repos from raw.paper_list_papers order by title"
    ) == [
        ("Good", ["lab/good"]),
        ("Scripted", []),
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("cvpr2023.json.gz", gzip.compress(b'{"papers": []}'), "not a JSON array of papers: dict"),
        ("cvpr2023.json.gz", b"\x1f\x8b\x08garbage", "corrupt gzip"),
        ("cvpr2023.json.gz", gzip.compress(b"[" * 100_000), "nested too deep"),
        ("cvpr2031.json.gz", gzip.compress(b"[]"), "no month is known for cvpr 2031"),
        ("papers.json", b"[]", "expected a <conference><year>.json.gz name"),
        ("cvpr2023.json.gz", gzip.compress(b" " * (65 * 2**20)), "gzip inflates past 64 MB"),
    ],
)
def test_a_file_that_is_not_an_edition_list_is_rejected_with_the_reason(
    warehouse, tmp_path, name, content, reason
):
    bad = tmp_path / "bad" / name
    bad.parent.mkdir()
    bad.write_bytes(content)
    good = write_list(tmp_path, "iclr2019.json.gz", [paper("Fine", "https://github.com/a/b")])
    summary = load_paper_lists(warehouse, [bad, good])
    assert summary["rows"] == 1
    assert len(summary["rejects"]) == 1 and reason in summary["rejects"][0][1]
    assert count(warehouse, "select count(*) from raw.paper_list_editions") == 1


def test_a_list_whose_pages_name_another_year_is_refused(warehouse, tmp_path, monkeypatch):
    # Upstream once stored ECCV 2022's papers under 2018's name.
    monkeypatch.setitem(EDITION_MONTHS, ("eccv", 2018), (date(2018, 9, 8), "Munich"))
    papers = [
        paper(f"P{i}", site=f"https://www.ecva.net/papers/eccv_2022/papers_ECCV/html/{i}.php")
        for i in range(12)
    ]
    summary = load_paper_lists(warehouse, [write_list(tmp_path, "eccv2018.json.gz", papers)])
    assert summary["rows"] == 0
    assert (
        summary["rejects"][0][1]
        == "the paper pages of this 2018 list name 2022: not the 2018 edition"
    )


def test_ten_thousand_papers_naming_one_repository_load_and_count_it_once(warehouse, tmp_path):
    papers = [paper(f"Paper {i}", "https://github.com/Lab/Shared") for i in range(10_000)]
    path = write_list(tmp_path, "cvpr2023.json.gz", papers)
    assert load_paper_lists(warehouse, [path])["rows"] == 10_000
    build(warehouse)
    assert rows(warehouse, "select repo, cohorts from marts.repos") == [
        ("lab/shared", ["paper_code"])
    ]


def test_an_edition_loaded_again_with_other_bytes_replaces_its_papers(warehouse, tmp_path):
    load_paper_lists(
        warehouse, [write_list(tmp_path, "cvpr2023.json.gz", [paper("A"), paper("B")])]
    )
    (tmp_path / "v2").mkdir()
    newer = write_list(tmp_path / "v2", "cvpr2023.json.gz", [paper("A", "https://github.com/a/a")])
    load_paper_lists(warehouse, [newer])
    assert rows(warehouse, "select title, github_repos from raw.paper_list_papers") == [
        ("A", ["a/a"])
    ]


def test_lists_load_from_urls_and_a_refusing_server_is_a_reject(warehouse, tmp_path):
    from tests.fakes.loopback import LoopbackServer, Reply, replying_handler

    body = gzip.compress(json.dumps([paper("Served", "https://github.com/lab/served")]).encode())

    class ListServer(LoopbackServer):
        def _handler_class(self):
            def answer(request):
                return Reply(200, body) if request.path == "/lists/iclr2021.json.gz" else Reply(404)

            return replying_handler(answer, "application/gzip")

    with ListServer() as server:
        base = server.base_url
        summary = load_paper_lists(
            warehouse, [f"{base}/lists/iclr2021.json.gz", f"{base}/lists/iclr2022.json.gz"]
        )
    missing = f"{base}/lists/iclr2022.json.gz"
    assert summary["rows"] == 1
    assert summary["rejects"] == [(missing, f"{missing} answered HTTP 404 Not Found")]
    origins = rows(warehouse, "select conference, year, origin from raw.paper_list_editions")
    assert origins == [("iclr", 2021, f"{base}/lists/iclr2021.json.gz")]
