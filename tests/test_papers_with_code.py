import gzip
import json
import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import count
from tests.fakes import dump_server as fake
from uptake.models import build_models
from uptake.sources import papers_with_code, pwc_stream
from uptake.sources.papers_with_code import load_links, load_papers, normalise_repo_url
from uptake.study import load_study

ROOT = Path(__file__).resolve().parent.parent
dump_server = fake.dump_server  # the fixture


def link(paper: str, repo: str, framework: str | None = "pytorch", **fields) -> dict:
    """A record of links-between-papers-and-code, every field of the real schema."""
    return {
        "paper_url": f"https://paperswithcode.com/paper/{paper}",
        "paper_title": f"Title of {paper}",
        "paper_arxiv_id": "1905.01234",
        "paper_url_abs": "https://arxiv.org/abs/1905.01234v2",
        "paper_url_pdf": "https://arxiv.org/pdf/1905.01234v2.pdf",
        "repo_url": repo,
        "is_official": True,
        "mentioned_in_paper": False,
        "mentioned_in_github": True,
        "framework": framework,
        **fields,
    }


def paper(slug: str, when: str | None = "2019-05-03", **fields) -> dict:
    """A record of papers-with-abstracts, every field of the real schema."""
    return {
        "paper_url": f"https://paperswithcode.com/paper/{slug}",
        "arxiv_id": "1905.01234",
        "title": f"Title of {slug}",
        "abstract": 'We propose [a method] {with brackets} and "quotes" in its abstract.',
        "url_abs": "https://arxiv.org/abs/1905.01234v2",
        "url_pdf": "https://arxiv.org/pdf/1905.01234v2.pdf",
        "proceeding": None,
        "authors": ["Ada Lovelace", "Alan Turing"],
        "tasks": ["Image Classification"],
        "date": when,
        "methods": [
            {
                "name": "Dropout",
                "full_name": "Dropout",
                "description": "**Dropout** is a regularization technique.",
                "introduced_year": 2000,
                "main_collection": {"name": "Regularization", "area": "General"},
            }
        ],
        **fields,
    }


def dump(path: Path, records: list, *, text: str | None = None) -> Path:
    """Write records as the original dumps are: one gzipped JSON array."""
    body = (text if text is not None else json.dumps(records)).encode()
    path.write_bytes(gzip.compress(body) if path.name.endswith(".gz") else body)
    return path


def build(warehouse):
    warehouse.sync_study(load_study(ROOT / "study.toml"))
    return build_models(warehouse.con)


def rows(warehouse, sql: str) -> list[tuple]:
    return warehouse.con.execute(sql).fetchall()


def test_links_and_papers_give_the_research_code_segment_by_paper_month(warehouse, tmp_path):
    papers = dump(
        tmp_path / "papers.json.gz",
        [paper("a", "2019-05-03"), paper("b", "2019-05-20"), paper("c", "2019-06-01")],
    )
    links = dump(
        tmp_path / "links.json.gz",
        [
            link("a", "https://github.com/x/a", "pytorch"),
            link("a", "https://github.com/x/a2", "pytorch"),  # one paper counts once
            link("b", "https://github.com/x/b", "tf"),
            link("c", "https://github.com/x/c", "none"),
        ],
    )

    assert load_papers(warehouse, [papers])["rows"] == 3
    assert load_links(warehouse, [links])["rows"] == 4
    build(warehouse)

    segment = rows(
        warehouse,
        "select technology, month, value, n_observations, is_count, source "
        "from intermediate.int_segment__research_code where technology in ('pytorch', 'tensorflow') "
        "order by month, technology",
    )
    assert segment == [
        ("pytorch", date(2019, 5, 1), 1, 2, True, "pwc_label"),
        ("tensorflow", date(2019, 5, 1), 1, 2, True, "pwc_label"),
        ("pytorch", date(2019, 6, 1), 0, 1, True, "pwc_label"),
        ("tensorflow", date(2019, 6, 1), 0, 1, True, "pwc_label"),
    ]
    papers_mart = rows(
        warehouse,
        "select paper_id, month, code_repositories, technologies, attributions "
        "from marts.papers order by paper_id",
    )
    assert papers_mart == [
        (
            "pwc:a",
            date(2019, 5, 1),
            ["https://github.com/x/a", "https://github.com/x/a2"],
            ["pytorch"],
            [{"technology": "pytorch", "basis": "pwc_label"}],
        ),
        (
            "pwc:b",
            date(2019, 5, 1),
            ["https://github.com/x/b"],
            ["tensorflow"],
            [{"technology": "tensorflow", "basis": "pwc_label"}],
        ),
        ("pwc:c", date(2019, 6, 1), ["https://github.com/x/c"], [], []),
    ]


@pytest.mark.parametrize(
    ("published", "normalised", "host", "is_github"),
    [
        (
            "https://github.com/NSSAC/Repo_ICML19.git",
            "https://github.com/nssac/repo_icml19",
            "github.com",
            True,
        ),
        (
            "http://www.github.com/zenna/Omega.jl/",
            "https://github.com/zenna/omega.jl",
            "github.com",
            True,
        ),
        (
            "https://github.com/pytorch/fairseq/tree/master/examples#top",
            "https://github.com/pytorch/fairseq",
            "github.com",
            True,
        ),
        ("github.com/a/b?tab=readme", "https://github.com/a/b", "github.com", True),
        (
            "https://gitlab.com/Group/Sub/Proj.git/",
            "https://gitlab.com/Group/Sub/Proj",
            "gitlab.com",
            False,
        ),
        (
            "https://www.bitbucket.org/team/repo/",
            "https://bitbucket.org/team/repo",
            "bitbucket.org",
            False,
        ),
        (  # the host written twice, as in ICML 2019's list
            "https://github.com/github.com/thuml/Batch-Spectral-Penalization",
            "https://github.com/thuml/batch-spectral-penalization",
            "github.com",
            True,
        ),
        (
            "https://richzhang.github.io/antialiased-cnns/",
            "https://richzhang.github.io/antialiased-cnns",
            "richzhang.github.io",
            False,
        ),
    ],
)
def test_repository_urls_are_normalised_and_other_hosts_kept_but_flagged(
    published, normalised, host, is_github
):
    repo = normalise_repo_url(published)

    assert (repo.url, repo.host, repo.is_github) == (normalised, host, is_github)


def test_duplicate_links_load_once_and_other_hosts_are_flagged(warehouse, tmp_path):
    links = dump(
        tmp_path / "links.json.gz",
        [
            link("a", "https://github.com/Owner/Repo"),
            link("a", "https://www.github.com/owner/repo.git/"),  # the same after normalising
            link("a", "https://gitlab.com/owner/repo"),
        ],
    )

    summary = load_links(warehouse, [links])

    assert summary["rows"] == 2
    assert rows(
        warehouse,
        "select repo_url, repo_url_published, is_github, record_index from raw.pwc_code_links order by 1",
    ) == [
        ("https://github.com/owner/repo", "https://github.com/Owner/Repo", True, 0),
        ("https://gitlab.com/owner/repo", "https://gitlab.com/owner/repo", False, 2),
    ]
    assert rows(
        warehouse, "select records_read, records_loaded, records_duplicate from raw.pwc_dumps"
    ) == [(3, 2, 1)]


def test_a_malformed_record_in_the_middle_is_rejected_with_its_index_and_the_rest_loads(
    warehouse, tmp_path
):
    good = [json.dumps(link(f"p{i}", f"https://github.com/x/r{i}")) for i in range(5)]
    good[2] = good[2].replace('"is_official": true', '"is_official": ,')
    links = dump(tmp_path / "links.json.gz", [], text="[" + ",\n".join(good) + "]")

    summary = load_links(warehouse, [links])

    assert summary["rows"] == 4
    assert summary["rejects"] == [
        (f"{links} record 2", summary["rejects"][0][1]),
    ]
    assert summary["rejects"][0][1].startswith("malformed JSON: Expecting value")
    assert count(warehouse, "select count(*) from meta.rejects where item like '%record 2'") == 1
    assert rows(warehouse, "select record_index from raw.pwc_code_links order by 1") == [
        (0,),
        (1,),
        (3,),
        (4,),
    ]


def test_a_truncated_gzip_is_rejected_whole_and_the_other_dumps_load(warehouse, tmp_path):
    whole = gzip.compress(
        json.dumps([link(f"p{i}", f"https://github.com/x/{i}") for i in range(2000)]).encode()
    )
    truncated = tmp_path / "truncated.json.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    good = dump(tmp_path / "good.json.gz", [link("g", "https://github.com/x/g")])

    summary = load_links(warehouse, [truncated, good])

    assert summary["rows"] == 1
    assert [item for item, _ in summary["rejects"]] == [str(truncated)]
    assert "truncated or corrupt gzip" in summary["rejects"][0][1]
    assert "nothing of this dump was loaded" in summary["rejects"][0][1]
    assert rows(warehouse, "select paper_url from raw.pwc_code_links") == [
        ("https://paperswithcode.com/paper/g",)
    ]
    assert count(warehouse, "select count(*) from raw.pwc_dumps") == 1


def test_an_array_cut_short_inside_a_whole_gzip_is_rejected_whole(warehouse, tmp_path):
    text = json.dumps([link(f"p{i}", f"https://github.com/x/{i}") for i in range(3)])
    cut = dump(tmp_path / "cut.json.gz", [], text=text[:-40])

    summary = load_links(warehouse, [cut])

    assert summary["rows"] == 0
    assert summary["rejects"][0][1].startswith("truncated: the file ends inside a record")
    assert count(warehouse, "select count(*) from raw.pwc_code_links") == 0


def test_schema_drift_extra_fields_ignored_missing_optional_null_missing_key_rejected(
    warehouse, tmp_path
):
    gained = link("gained", "https://github.com/x/gained", stars=12, topics=["nlp"])
    lost = {
        "paper_url": "https://paperswithcode.com/paper/lost",
        "repo_url": "https://github.com/x/lost",
    }
    no_repo = link("no-repo", None)
    no_paper = {
        k: v for k, v in link("no-paper", "https://github.com/x/n").items() if k != "paper_url"
    }
    wrong_type = link("wrong", "https://github.com/x/w", is_official="yes")
    links = dump(tmp_path / "links.json.gz", [gained, lost, no_repo, no_paper, wrong_type])

    summary = load_links(warehouse, [links])

    assert summary["rows"] == 2
    assert sorted(summary["rejects"]) == [
        (f"{links} record 2", "missing key field repo_url"),
        (f"{links} record 3", "missing key field paper_url"),
        (f"{links} record 4", "is_official is not true or false: 'yes'"),
    ]
    assert rows(
        warehouse,
        "select paper_title, is_official, framework from raw.pwc_code_links order by paper_url",
    ) == [("Title of gained", True, "pytorch"), (None, None, None)]


def test_a_paper_without_a_date_is_kept_and_left_out_of_monthly_series(warehouse, tmp_path):
    papers = dump(
        tmp_path / "papers.json.gz",
        [paper("dated", "2020-01-15"), paper("undated", None), {**paper("no-field"), "date": ""}],
    )
    bad_date = dump(tmp_path / "bad.json.gz", [paper("bad", "January 2020")])
    links = dump(
        tmp_path / "links.json.gz",
        [link("dated", "https://github.com/x/d"), link("undated", "https://github.com/x/u")],
    )

    summary = load_papers(warehouse, [papers, bad_date])
    load_links(warehouse, [links])
    build(warehouse)

    assert summary["rows"] == 3
    assert summary["rejects"] == [
        (f"{bad_date} record 0", "date is not a YYYY-MM-DD date: 'January 2020'")
    ]
    assert rows(
        warehouse, "select paper_id, paper_date, is_dated from marts.papers order by 1"
    ) == [
        ("pwc:dated", date(2020, 1, 15), True),
        ("pwc:no-field", None, False),
        ("pwc:undated", None, False),
    ]
    assert rows(
        warehouse,
        "select month, value, n_observations from intermediate.int_segment__research_code "
        "where technology = 'pytorch'",
    ) == [(date(2020, 1, 1), 1, 1)]


def test_unknown_framework_labels_are_data(warehouse, tmp_path):
    links = dump(
        tmp_path / "links.json.gz",
        [
            link("a", "https://github.com/x/a", "MindSpore"),
            link("b", "https://github.com/x/b", None),
        ],
    )

    summary = load_links(warehouse, [links])
    build(warehouse)

    assert (summary["rows"], summary["rejected"]) == (2, 0)
    assert rows(warehouse, "select framework from staging.stg_pwc__code_links order by 1") == [
        ("mindspore",),
        ("none",),
    ]


def test_parquet_dumps_load_like_json_with_missing_optional_columns(warehouse, tmp_path):
    records = [link("a", "https://github.com/X/A"), link("b", "https://gitlab.com/x/b", "tf")]
    table = pa.Table.from_pylist(records).drop_columns(["paper_url_pdf", "mentioned_in_paper"])
    table = table.append_column("extra", pa.array([1, 2]))
    pq.write_table(table, tmp_path / "links.parquet")

    summary = load_links(warehouse, [tmp_path / "links.parquet"])

    assert summary["rows"] == 2
    assert rows(
        warehouse,
        "select repo_url, paper_url_pdf, mentioned_in_paper, framework from raw.pwc_code_links order by 1",
    ) == [
        ("https://github.com/x/a", None, None, "pytorch"),
        ("https://gitlab.com/x/b", None, None, "tf"),
    ]
    assert rows(warehouse, "select format from raw.pwc_dumps") == [("parquet",)]


def test_a_truncated_parquet_file_is_rejected_whole(warehouse, tmp_path):
    pq.write_table(
        pa.Table.from_pylist([link("a", "https://github.com/x/a")]), tmp_path / "l.parquet"
    )
    content = (tmp_path / "l.parquet").read_bytes()
    (tmp_path / "l.parquet").write_bytes(content[: len(content) // 2])

    summary = load_links(warehouse, [tmp_path / "l.parquet"])

    assert summary["rows"] == 0
    assert summary["rejects"][0][1].startswith("not a Parquet file")
    assert count(warehouse, "select count(*) from raw.pwc_dumps") == 0


def test_the_same_dump_twice_is_skipped_and_a_newer_one_replaces_rows_by_key(warehouse, tmp_path):
    first = dump(tmp_path / "a.json.gz", [paper("x", "2019-01-01"), paper("y", "2019-01-01")])
    load_papers(warehouse, [first])

    again = load_papers(warehouse, [first])
    newer = dump(tmp_path / "b.json.gz", [paper("x", "2020-02-02", title="Renamed")])
    replaced = load_papers(warehouse, [newer])

    assert (again["rows"], again["skipped"]) == (0, 1)
    assert replaced["rows"] == 1
    assert rows(
        warehouse, "select paper_url, title, published_date from raw.pwc_papers order by 1"
    ) == [
        ("https://paperswithcode.com/paper/x", "Renamed", date(2020, 2, 2)),
        ("https://paperswithcode.com/paper/y", "Title of y", date(2019, 1, 1)),
    ]


def test_records_past_the_reject_limit_are_counted_in_one_closing_reject(
    warehouse, tmp_path, monkeypatch
):
    monkeypatch.setattr(papers_with_code, "MAX_RECORD_REJECTS", 2)
    links = dump(tmp_path / "links.json.gz", [link(f"p{i}", "") for i in range(5)])

    summary = load_links(warehouse, [links])

    assert [item for item, _ in summary["rejects"]] == [
        f"{links} record 0",
        f"{links} record 1",
        str(links),
    ]
    assert summary["rejects"][-1][1] == "3 more records rejected"
    assert rows(warehouse, "select records_rejected from raw.pwc_dumps") == [(5,)]


def test_newline_delimited_records_read_like_an_array(tmp_path):
    records = [link("a", "https://github.com/x/a"), link("b", "https://github.com/x/b")]
    path = dump(tmp_path / "links.json", [], text="\n".join(json.dumps(r) for r in records) + "\n")

    assert list(pwc_stream.iter_json_records(path)) == [(0, records[0]), (1, records[1])]


_TEXT = st.text(alphabet=st.sampled_from('ab{}[]",:\\ \n\té€😀'), max_size=12)
_RECORDS = st.lists(
    st.dictionaries(
        st.sampled_from(["paper_url", "t", "n", "l"]),
        _TEXT | st.integers() | st.lists(_TEXT, max_size=3),
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(
    records=_RECORDS,
    chunk=st.integers(min_value=1, max_value=40),
    indent=st.sampled_from([None, 1]),
)
def test_the_stream_reader_gives_what_json_loads_gives_at_any_chunk_size(records, chunk, indent):
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "dump.json"
        path.write_text(json.dumps(records, indent=indent), encoding="utf-8")
        original, pwc_stream.CHUNK_CHARS = pwc_stream.CHUNK_CHARS, chunk
        try:
            streamed = [record for _, record in pwc_stream.iter_json_records(path)]
        finally:
            pwc_stream.CHUNK_CHARS = original

    assert streamed == records


def test_the_memory_limit_is_back_to_duckdbs_default_after_a_load(warehouse, tmp_path):
    before = rows(warehouse, "select current_setting('memory_limit')")

    load_links(warehouse, [dump(tmp_path / "l.json.gz", [link("a", "https://github.com/x/a")])])

    assert rows(warehouse, "select current_setting('memory_limit')") == before


def test_an_unchanged_url_is_not_downloaded_or_loaded_again(warehouse, tmp_path, dump_server):
    content = gzip.compress(json.dumps([link("a", "https://github.com/x/a")]).encode())
    dump_server.publish("/links.json.gz", content)
    url = dump_server.url("/links.json.gz")
    cache = tmp_path / "cache"

    first = load_links(warehouse, [url], cache=cache)
    second = load_links(warehouse, [url], cache=cache)

    assert (first["rows"], second["rows"], second["skipped"]) == (1, 0, 1)
    assert dump_server.statuses("/links.json.gz") == [200, 304]
    conditional = dump_server.requests[1][2]
    assert conditional["if-none-match"] == dump_server.files["/links.json.gz"][1]
    assert conditional["if-modified-since"] == dump_server.files["/links.json.gz"][2]
    assert rows(warehouse, "select origin, etag is not null from raw.pwc_dumps") == [(url, True)]


def test_a_changed_url_is_downloaded_and_replaces_rows(warehouse, tmp_path, dump_server):
    dump_server.publish(
        "/l.json.gz",
        gzip.compress(json.dumps([link("a", "https://github.com/x/a", "tf")]).encode()),
    )
    url = dump_server.url("/l.json.gz")
    load_links(warehouse, [url], cache=tmp_path)
    dump_server.publish(
        "/l.json.gz", gzip.compress(json.dumps([link("a", "https://github.com/x/a")]).encode())
    )

    summary = load_links(warehouse, [url], cache=tmp_path)

    assert summary["rows"] == 1
    assert dump_server.statuses("/l.json.gz") == [200, 200]
    assert rows(warehouse, "select framework from raw.pwc_code_links") == [("pytorch",)]


def test_a_download_that_stops_half_way_loads_nothing_and_the_next_run_starts_again(
    warehouse, tmp_path, dump_server
):
    content = gzip.compress(
        json.dumps([link(f"p{i}", f"https://github.com/x/{i}") for i in range(500)]).encode()
    )
    dump_server.publish("/links.json.gz", content)
    dump_server.drop_next("/links.json.gz", after=len(content) // 2)
    url = dump_server.url("/links.json.gz")
    cache = tmp_path / "cache"

    broken = load_links(warehouse, [url], cache=cache)

    assert broken["rows"] == 0
    assert broken["rejects"][0][0] == url
    assert "the download stopped after" in broken["rejects"][0][1]
    assert count(warehouse, "select count(*) from raw.pwc_code_links") == 0
    assert sorted(p.name for p in cache.iterdir()) == []  # no .part, no file, no validators

    resumed = load_links(warehouse, [url], cache=cache)

    assert resumed["rows"] == 500
    assert dump_server.statuses("/links.json.gz") == [200, 200]
    assert "if-none-match" not in dump_server.requests[1][2]


def test_http_errors_are_rejected_with_the_status(warehouse, tmp_path, dump_server):
    summary = load_links(warehouse, [dump_server.url("/missing.json.gz")], cache=tmp_path)

    assert summary["rows"] == 0
    assert "HTTP 404" in summary["rejects"][0][1]
