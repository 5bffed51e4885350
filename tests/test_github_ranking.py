"""github_ranking: the monthly most-starred Python repositories, an open-source cohort."""

import gzip
from datetime import date

import pytest

from tests.conftest import count
from tests.test_conference_papers import build, rows
from uptake.sources.github_ranking import load_github_ranking

HEADER = "date,rank,item,repo_name,stars,forks,language,repo_url,username,issues,last_commit,description\n"


def line(day: str, rank: int, repo: str, stars="100", item="Python", url=None) -> str:
    owner, name = repo.split("/")
    url = url if url is not None else f"https://github.com/{repo}"
    return (
        f"{day},{rank},{item},{name},{stars},7,Python,{url},{owner},3,2024-01-02T03:04:05Z,A tool\n"
    )


def write(tmp_path, text: str, name="ranking.csv.gz"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    return path


def test_the_real_ranking_loads_one_list_a_month(warehouse, shared_data):
    summary = load_github_ranking(warehouse, [shared_data / "github-ranking"])
    assert summary["rows"] == 8_745
    # 135 rows repeat a repository already listed that day (first kept), as published.
    assert summary["rejected"] == 135
    assert all("is listed twice on" in reason for _, reason in summary["rejects"])
    assert rows(
        warehouse,
        "select count(distinct month), count(distinct repo), min(month), max(month) from raw.github_ranking",
    ) == [(90, 955, date(2018, 12, 1), date(2026, 8, 1))]
    assert rows(
        warehouse,
        "select repo, stars from raw.github_ranking where month = '2018-12-01' and rank = 1",
    ) == [("vinta/awesome-python", 58777)]
    assert load_github_ranking(warehouse, [shared_data / "github-ranking"])["skipped"] == 1

    build(warehouse)
    entered = rows(
        warehouse,
        "select cohorts, first_listed from marts.repos where repo = 'vinta/awesome-python'",
    )
    assert entered == [(["popular_python"], date(2018, 12, 1))]


def test_bad_rows_are_rejected_with_their_line_and_the_rest_loads(warehouse, tmp_path):
    text = HEADER + "".join(
        [
            line("2024-03-01", 1, "Lab/Good"),
            line("2024-03-01", 2, "lab/neg", stars="-5"),
            line("2024-03-01", 3, "lab/text", stars="many"),
            line("2024-03-01", 4, "lab/gitlab", url="https://gitlab.com/lab/gitlab"),
            line("2024-03-01", 0, "lab/zero"),
            line("not-a-day", 5, "lab/when"),
            line("2024-03-01", 6, "lab/java", item="Java"),
            line("2024-03-01", 7, "lab/good"),  # listed twice on one day
        ]
    )
    summary = load_github_ranking(warehouse, [write(tmp_path, text)])
    assert summary["rows"] == 1 and summary["skipped"] == 1  # the Java row is not this cohort
    assert summary["rejects"] == [
        ("ranking.csv.gz:3", "stars -5 is negative"),
        ("ranking.csv.gz:4", "stars 'many' is not a whole number"),
        ("ranking.csv.gz:5", "repo_url 'https://gitlab.com/lab/gitlab' is not a GitHub repository"),
        ("ranking.csv.gz:6", "rank 0 is not a position in the list"),
        ("ranking.csv.gz:7", "date 'not-a-day' is not a day like 2024-03-01"),
        ("ranking.csv.gz:9", "lab/good is listed twice on 2024-03-01 (first kept)"),
    ]
    assert rows(warehouse, "select repo, month, listed_on from raw.github_ranking") == [
        ("lab/good", date(2024, 3, 1), date(2024, 3, 1))
    ]


def test_the_first_day_of_a_month_stands_for_it(warehouse, tmp_path):
    text = HEADER + line("2024-03-15", 1, "lab/late") + line("2024-03-02", 1, "lab/early")
    summary = load_github_ranking(warehouse, [write(tmp_path, text, "ranking.csv")])
    assert (summary["rows"], summary["skipped"]) == (1, 1)  # the later day's row, counted
    assert rows(warehouse, "select repo, listed_on from raw.github_ranking") == [
        ("lab/early", date(2024, 3, 2))
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("name,stars\nx,1\n", "no column date, rank, item, repo_url"),
        (HEADER + line("2024-03-01", 1, "a/b", item="Java"), "no Python rows that can be read"),
        (b"\xff\xfe\x00binary", "not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_a_ranking_is_rejected(warehouse, tmp_path, content, reason):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    good = write(tmp_path, HEADER + line("2024-03-01", 1, "lab/good"))
    summary = load_github_ranking(warehouse, [bad, good])
    assert summary["rows"] == 1
    assert summary["rejects"][0][0] == str(bad) and reason in summary["rejects"][0][1]
    assert count(warehouse, "select count(*) from raw.github_ranking") == 1
