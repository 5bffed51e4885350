import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import count
from uptake.models import build_models
from uptake.sources.conference_papers import load_conference_papers
from uptake.study import load_study

ROOT = Path(__file__).resolve().parent.parent


def build(warehouse):
    warehouse.sync_study(load_study(ROOT / "study.toml"))
    return build_models(warehouse.con)


def rows(warehouse, sql: str, params=None) -> list[tuple]:
    return warehouse.con.execute(sql, params or []).fetchall()


def paper(paper_id: str, words=(), conference="cvpr", year="2019", **fields) -> dict:
    """A record of a per-paper list, every field of the real schema."""
    return {
        "authors": ["Ada Lovelace", " Alan Turing"],
        "conference": conference,
        "id": paper_id,
        "metadata": {"affiliation": [], "words": list(words)},
        "name": f"Paper {paper_id}",
        "pdf_link": f"http://openaccess.thecvf.com/{paper_id}.pdf",
        "year": year,
        **fields,
    }


def write_list(folder: Path, name: str, papers: list) -> Path:
    path = folder / name
    path.write_bytes(gzip.compress(json.dumps(papers).encode()))
    return path


def mention_shares(warehouse, conference: str, year: int) -> tuple[float, float]:
    """PyTorch's share among papers mentioning either framework: the table's rule, and the
    per-paper rule without Google- and Facebook-affiliated papers."""
    return warehouse.con.execute(
        """
        select
            sum(table_papers_mentioning) filter (where technology = 'pytorch')
                / sum(table_papers_mentioning),
            sum(unaffiliated_papers_mentioning) filter (where technology = 'pytorch')
                / sum(unaffiliated_papers_mentioning)
        from marts.conference_mentions
        where conference = ? and year = ? and technology in ('pytorch', 'tensorflow')
        """,
        [conference, year],
    ).fetchone()


@pytest.fixture
def real_warehouse(warehouse, shared_data):
    summary = load_conference_papers(warehouse, [shared_data / "conference-papers"])
    assert summary["rejected"] == 0
    build(warehouse)
    return warehouse


def test_every_real_file_loads(warehouse, shared_data):
    summary = load_conference_papers(warehouse, [shared_data / "conference-papers"])

    assert (summary["rejected"], summary["skipped"]) == (0, 0)
    assert count(warehouse, "select count(*) from raw.conference_mention_counts") == 35 * 2
    assert count(warehouse, "select count(*) from raw.conference_paper_lists") == 39
    assert count(warehouse, "select count(*) from raw.conference_papers") == 32_264
    assert summary["rows"] == 35 * 2 + 32_264


def test_cvpr_2019_pytorch_share_from_the_table_and_from_the_paper_list(real_warehouse):
    cvpr = rows(
        real_warehouse,
        """
        select technology, table_papers_mentioning, table_total_papers, listed_papers_mentioning,
            listed_papers, unaffiliated_papers_mentioning, unaffiliated_papers
        from marts.conference_mentions where conference = 'cvpr' and year = 2019 order by technology
        """,
    )

    assert cvpr == [
        ("pytorch", 294, 1294, 313, 1294, 303, 1228),
        ("tensorflow", 148, 1294, 163, 1294, 148, 1228),
    ]
    assert mention_shares(real_warehouse, "cvpr", 2019) == (294 / (294 + 148), 303 / (303 + 148))
    assert round(294 / (294 + 148), 3) == 0.665 and round(303 / (303 + 148), 3) == 0.672


def test_iclr_and_naacl_2019_shares_without_affiliated_papers(real_warehouse):
    iclr = mention_shares(real_warehouse, "iclr", 2019)[1]
    naacl = mention_shares(real_warehouse, "naacl", 2019)[1]

    assert iclr == 91 / (91 + 74)
    assert naacl == 46 / (46 + 23)
    assert (round(100 * iclr, 1), round(100 * naacl, 1)) == (55.2, 66.7)


def test_the_icml_2019_code_links_load_as_paper_to_code_links(real_warehouse):
    links = rows(
        real_warehouse,
        """
        select count(code_url), count(code_repo_url), count(*) filter (where code_repo_is_github)
        from raw.conference_papers where conference = 'icml' and year = 2019
        """,
    )
    mart = rows(
        real_warehouse,
        "select sum(len(code_repositories)) from marts.papers where venue = 'ICML 2019'",
    )

    assert links == [(518, 518, 502)]
    assert mart == [(518,)]
    assert rows(
        real_warehouse,
        "select code_url, code_repo_url from raw.conference_papers where paper_id = '65dbcb58'",
    ) == [("https://github.com/gabb7/AReS-MaRS", "https://github.com/gabb7/ares-mars")]


def test_research_mentions_sum_the_editions_of_each_month(real_warehouse):
    june_2019 = rows(
        real_warehouse,
        """
        select technology, value, n_observations, is_count, source
        from intermediate.int_segment__research_mentions
        where month = '2019-06-01' order by technology
        """,
    )

    # CVPR, NAACL and ICML 2019 were all held in June.
    assert june_2019 == [
        ("pytorch", 294 + 73 + 76, 1294 + 451 + 773, True, "framework_mentions_table"),
        ("tensorflow", 148 + 33 + 76, 1294 + 451 + 773, True, "framework_mentions_table"),
    ]


def test_editions_without_a_table_row_take_their_conferences_usual_month(real_warehouse):
    months = rows(
        real_warehouse,
        """
        select distinct conference, year, edition_month, month_basis from intermediate.int_conference_papers
        where (conference, year) in (('aistats', 2019), ('colt', 2018), ('neurips', 2019))
        order by conference
        """,
    )

    assert months == [
        ("aistats", 2019, date(2019, 4, 1), "typical_month"),
        ("colt", 2018, date(2018, 7, 1), "typical_month"),
        ("neurips", 2019, date(2019, 12, 1), "mentions_table"),
    ]


def test_author_entities_and_escaped_pdf_links_are_cleaned(warehouse, tmp_path):
    write_list(
        tmp_path,
        "icml_2021.json.gz",
        [
            paper(
                "x1",
                conference="icml",
                year=2021,
                authors=["Majid Abdolshah", "&nbsp;Hung Le", "Q&amp;A Team"],
                pdf_link="https%3A//proceedings.mlr.press/v139/a21a/a21a.pdf",
            ),
            paper("x2", conference="icml", year=2021, pdf_link="https://x.org/a%20b.pdf"),
        ],
    )

    load_conference_papers(warehouse, [tmp_path])

    assert rows(
        warehouse, "select authors, pdf_link from raw.conference_papers order by paper_id"
    ) == [
        (
            ["Majid Abdolshah", "Hung Le", "Q&A Team"],
            "https://proceedings.mlr.press/v139/a21a/a21a.pdf",
        ),
        (["Ada Lovelace", "Alan Turing"], "https://x.org/a%20b.pdf"),
    ]


def test_loading_the_same_files_twice_changes_nothing(warehouse, shared_data):
    load_conference_papers(warehouse, [shared_data / "conference-papers"])
    before = rows(
        warehouse, "select * exclude (load_id, loaded_at) from raw.conference_papers order by all"
    )

    again = load_conference_papers(warehouse, [shared_data / "conference-papers"])

    assert (again["rows"], again["skipped"]) == (0, 40)
    after = rows(
        warehouse, "select * exclude (load_id, loaded_at) from raw.conference_papers order by all"
    )
    assert after == before


def test_a_republished_edition_replaces_the_earlier_list_whole(warehouse, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    write_list(tmp_path / "old", "cvpr_2019.json.gz", [paper("a"), paper("gone")])
    write_list(tmp_path / "new", "cvpr_2019.json.gz", [paper("a", ["pytorch"])])
    load_conference_papers(warehouse, [tmp_path / "old"])

    load_conference_papers(warehouse, [tmp_path / "new"])

    assert rows(warehouse, "select paper_id, words from raw.conference_papers") == [
        ("a", ["pytorch"])
    ]
    assert rows(warehouse, "select papers from raw.conference_paper_lists") == [(1,)]


def test_words_mean_technologies_only_through_the_study(warehouse, tmp_path):
    (tmp_path / "framework_mentions.csv").write_text("CVPR,06/19,294,148,1294\n")
    write_list(tmp_path, "cvpr_2019.json.gz", [paper("a", ["pytorch"]), paper("b", ["tensorflow"])])
    load_conference_papers(warehouse, [tmp_path])
    warehouse.sync_study(load_study(ROOT / "study.toml"))
    warehouse.con.execute("update meta.study_paper_words set word = 'torch' where word = 'pytorch'")

    build_models(warehouse.con)

    assert rows(
        warehouse, "select distinct technology from marts.conference_mentions order by 1"
    ) == [("tensorflow",)]
    assert rows(
        warehouse,
        "select distinct technology from intermediate.int_segment__research_mentions order by 1",
    ) == [("tensorflow",)]


def test_bad_files_rows_and_records_are_rejected_and_the_rest_loads(warehouse, tmp_path):
    (tmp_path / "framework_mentions.csv").write_text(
        "CVPR,06/19,294,148,1294\n"
        "ICML,06/19,76,76\n"  # a field short
        "ICLR,13/19,1,2,3\n"  # no 13th month
        "NAACL,06/19,73,33,20\n"  # more mentions than papers
        "ACL,08/19,x,50,720\n"  # not a number
        "CVPR,06/19,1,1,1\n"  # the edition again
        "\n"
    )
    write_list(
        tmp_path,
        "naacl_2019.json.gz",
        [
            paper("ok", conference="naacl"),
            {"name": "no id", "metadata": {"words": []}},
            paper("wrong-year", conference="naacl", year="2018"),
            paper("ok", conference="naacl"),  # repeated id
            "not an object",
        ],
    )
    corrupt = tmp_path / "iclr_2019.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00" + b"not gzip" * 10)
    (tmp_path / "acl_2019.json.gz").write_bytes(gzip.compress(b'{"papers": []}'))
    misnamed = write_list(tmp_path, "papers.json", [paper("elsewhere")])
    csv = tmp_path / "framework_mentions.csv"
    naacl = tmp_path / "naacl_2019.json.gz"

    summary = load_conference_papers(warehouse, [tmp_path, misnamed, tmp_path / "absent.json.gz"])

    reasons = dict(summary["rejects"])
    assert summary["rows"] == 2 + 1
    assert reasons[f"{csv}:2"] == "expected 5 fields, found 4"
    assert reasons[f"{csv}:3"].startswith("expected a conference and MM/YY")
    assert reasons[f"{csv}:4"] == "counts [73, 33] do not fit within 20 papers"
    assert reasons[f"{csv}:5"].startswith("counts are not whole numbers")
    assert reasons[f"{csv}:6"] == "CVPR 2019 appears twice (first kept)"
    assert reasons[f"{naacl} record 1"] == "missing field id"
    assert reasons[f"{naacl} record 2"] == "year '2018' is not the file's 2019"
    assert reasons[f"{naacl} record 3"] == "repeats paper id 'ok' (first kept)"
    assert reasons[f"{naacl} record 4"] == "not a JSON object: str"
    assert reasons[str(corrupt)].startswith("corrupt gzip")
    assert reasons[str(tmp_path / "acl_2019.json.gz")] == "not a JSON array of papers: dict"
    assert reasons[str(misnamed)].startswith("not a per-paper list")
    assert reasons[str(tmp_path / "absent.json.gz")].startswith("cannot read")
    assert len(summary["rejects"]) == 13
    assert count(warehouse, "select count(*) from meta.rejects") == 13
