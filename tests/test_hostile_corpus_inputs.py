"""Hostile input at the places added with the mined corpus: paper lists, the GitHub
ranking, corpus files, `--unavailable` and `--clones`, and URLs carrying credentials.

Each hostile item is rejected with its reason (or stored as inert data) while the good
items of the run load; nothing leaves a credential in the warehouse or the output.
"""

from __future__ import annotations

import gzip
import json
import zipfile

import pytest
from click.testing import CliRunner

from tests.hostile.payloads import (
    INVALID_UTF8,
    PWNED,
    SQL_DROP,
    deeply_nested_array,
    gzip_bomb,
    sparse_file,
    symlink_loop,
)
from tests.test_github_ranking import HEADER, line
from tests.test_paper_lists import paper
from uptake.cli import cli
from uptake.errors import SourceError
from uptake.mining import corpus
from uptake.mining.corpus_file import load_corpus
from uptake.secrets import carries_credentials, redact
from uptake.sources.bundled_figures import bundled_corpus_path
from uptake.sources.github_ranking import load_github_ranking
from uptake.sources.local_files import read_location
from uptake.sources.paper_lists import load_paper_lists

PASSWORD = "hunter2-not-for-logs"


def everything_stored(warehouse) -> str:
    """Every row of every raw and meta table, as text."""
    tables = warehouse.con.execute(
        "select schema_name, table_name from duckdb_tables() where schema_name in ('raw', 'meta')"
    ).fetchall()
    return " ".join(
        str(warehouse.con.execute(f'select * from "{s}"."{t}"').fetchall())  # noqa: S608
        for s, t in tables
    )


def good_list(tmp_path):
    path = tmp_path / "cvpr2023.json.gz"
    path.write_bytes(gzip.compress(json.dumps([paper("Good", "github.com/lab/good")]).encode()))
    return path


# -- paper lists ---------------------------------------------------------------------------


def hostile_lists(folder) -> dict[str, tuple[object, str]]:
    """name -> (path, words its reason must hold)."""
    nested = folder / "icml2019.json"
    nested.write_text(deeply_nested_array())
    not_utf8 = folder / "iclr2020.json"
    not_utf8.write_bytes(b'[{"title": "' + INVALID_UTF8 + b'"}]')
    return {
        "gzip bomb": (
            gzip_bomb(folder / "neurips2018.json.gz", b"[", 2 << 30),
            "gzip inflates past",
        ),
        "2 GB file": (sparse_file(folder / "eccv2022.json"), "larger than"),
        "nested 100,000 deep": (nested, "nested too deep"),
        "not UTF-8": (not_utf8, "UTF-8"),
    }


def test_hostile_paper_lists_are_rejected_and_the_good_one_loads(warehouse, tmp_path):
    cases = hostile_lists(tmp_path)
    summary = load_paper_lists(warehouse, [good_list(tmp_path), *(p for p, _ in cases.values())])

    reasons = dict(summary["rejects"])
    for name, (path, words) in cases.items():
        assert words.lower() in reasons.get(str(path), "").lower(), (name, reasons)
    assert warehouse.con.execute("select title from raw.paper_list_papers").fetchall() == [
        ("Good",)
    ]


def test_sql_and_formulas_in_a_paper_list_are_data(warehouse, tmp_path):
    path = tmp_path / "cvpr2023.json.gz"
    titles = [SQL_DROP.format(table="raw.paper_list_papers"), "=cmd|' /C calc'!A0"]
    path.write_bytes(gzip.compress(json.dumps([paper(t) for t in titles]).encode()))

    load_paper_lists(warehouse, [path])

    stored = warehouse.con.execute("select title from raw.paper_list_papers order by 1").fetchall()
    assert sorted(stored) == sorted((t,) for t in titles)


# -- the GitHub ranking --------------------------------------------------------------------


def test_hostile_ranking_rows_are_rejected_with_their_line(warehouse, tmp_path):
    text = HEADER + line("2024-01-01", 1, "good/repo")
    text += line("2024-01-01", 2, f"$(touch {PWNED})/x")
    text += line("2024-01-01", 3, "../etc")
    text += line("2024-01-01", 4, "good/repo3", stars='=HYPERLINK("http://x")')
    path = tmp_path / "ranking.csv"
    path.write_text(text)

    summary = load_github_ranking(warehouse, [path, sparse_file(tmp_path / "huge.csv")])

    reasons = dict(summary["rejects"])
    assert "larger than" in reasons[str(tmp_path / "huge.csv")]
    assert {item.rsplit(":", 1)[-1] for item in reasons if item.startswith("ranking.csv")} == {
        "3",
        "4",
        "5",
    }
    assert warehouse.con.execute("select repo from raw.github_ranking").fetchall() == [
        ("good/repo",)
    ]
    assert not list(tmp_path.glob(f"**/{PWNED}"))


# -- corpus files --------------------------------------------------------------------------


def with_member(tmp_path, name: str, change) -> object:
    """The shipped corpus with one member changed (its manifest hash fixed to match)."""
    import hashlib

    target = tmp_path / "corpus.zip"
    with zipfile.ZipFile(bundled_corpus_path()) as old, zipfile.ZipFile(target, "w") as new:
        manifest = json.loads(old.read("manifest.json"))
        for info in old.infolist():
            if info.filename == "manifest.json":
                continue
            payload = old.read(info)
            if info.filename == f"{name}.parquet":
                payload = change(payload)
                manifest["sha256"][name] = hashlib.sha256(payload).hexdigest()
            new.writestr(info.filename, payload)
        new.writestr("manifest.json", json.dumps(manifest))
    return target


@pytest.mark.parametrize(
    "hostile",
    ["../../etc/passwd", "-uhack/x", f"$(touch {PWNED})/x", SQL_DROP.format(table="raw.x")],
)
def test_a_corpus_naming_a_repository_no_miner_could_is_refused(warehouse, tmp_path, hostile):
    import pyarrow as pa
    import pyarrow.parquet as pq

    def rename_first(payload: bytes) -> bytes:
        table = pq.read_table(pa.BufferReader(payload))
        repos = table.column("repo").to_pylist()
        table = table.set_column(
            table.schema.get_field_index("repo"), "repo", pa.array([hostile, *repos[1:]])
        )
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        return sink.getvalue().to_pybytes()

    path = with_member(tmp_path, "repositories", rename_first)

    with pytest.raises(SourceError, match="repositories: .* (owner/name|usable repository name)"):
        load_corpus(warehouse, path)
    assert warehouse.con.execute("select count(*) from raw.repo_snapshots").fetchone() == (0,)


def test_a_corpus_member_inflating_past_its_bound_is_refused(warehouse, tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps({"format": "x"}))
        archive.writestr("months.parquet", b"\0" * (300 << 20))

    with pytest.raises(SourceError):
        load_corpus(warehouse, path)


def test_a_2_gb_corpus_file_is_refused_by_its_size(warehouse, tmp_path):
    with pytest.raises(SourceError, match="larger than"):
        load_corpus(warehouse, sparse_file(tmp_path / "corpus.zip"))


# -- --unavailable and --clones --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "larger than"),
        (b"lab/ok\tgone\n" + INVALID_UTF8 + b"\tx\n", "not UTF-8"),
        (f"lab/ok\tgone\n$(touch {PWNED})/x\tgone\n".encode(), ":2: "),
        (b"../../etc\tx\n", ":1: "),
    ],
)
def test_a_hostile_unavailable_list_is_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "unavailable.tsv"
    if content is None:
        sparse_file(path)
    else:
        path.write_bytes(content)

    with pytest.raises(SourceError, match=message) as refused:
        corpus.read_unavailable(path)
    assert "\n" not in str(refused.value)


def test_a_clones_folder_with_loops_links_and_odd_names_finds_only_clones(tmp_path):
    clones = tmp_path / "clones"
    (clones / "lab" / "real" / ".git").mkdir(parents=True)
    (clones / "lab" / "real" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    symlink_loop(clones, "loop-a", "loop-b")
    (clones / "owner+..").mkdir()
    (clones / "owner+..").joinpath("repo").mkdir()
    (clones / "owner+..").joinpath("repo", "HEAD").write_text("x")
    (clones / "etc").symlink_to("/etc")
    (clones / "-uhack").mkdir()
    (clones / "-uhack" / "x").mkdir()
    (clones / "-uhack" / "x" / "HEAD").write_text("x")

    found = corpus.find_clones(clones)

    assert found == {"lab/real": clones / "lab" / "real" / ".git"}


# -- URLs carrying credentials ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{PASSWORD}@127.0.0.1:9/cvpr2023.json.gz",
        f"https://127.0.0.1:9/cvpr2023.json.gz?token={PASSWORD}",
        f"https://127.0.0.1:9/c.json.gz?X-Amz-Credential=AK&X-Amz-Signature={PASSWORD}",
    ],
)
def test_a_url_with_a_credential_is_refused_before_any_request_and_never_stored(
    warehouse, tmp_path, url
):
    with pytest.raises(SourceError, match="refused") as refused:
        read_location(url, 1024, "a paper list")
    assert PASSWORD not in str(refused.value)

    summary = load_paper_lists(warehouse, [good_list(tmp_path), url])

    assert summary["rejected"] == 1 and summary["rows"] == 1
    assert PASSWORD not in everything_stored(warehouse)


def test_refresh_output_never_shows_a_url_credential(tmp_path):
    url = f"https://user:{PASSWORD}@127.0.0.1:9/2024-01-01.json"
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "w.duckdb"), "refresh", "-q", "--source", f"top_pypi={url}"]
    )

    assert result.exit_code == 1, result.output
    assert PASSWORD not in result.output and "***@127.0.0.1" in result.output


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"https://u:{PASSWORD}@h/x", "https://***@h/x"),
        (f"https://h/x?page=2&access_token={PASSWORD}", "https://h/x?page=2&access_token=***"),
        (f"https://h/x?X-Goog-Signature={PASSWORD}&a=1", "https://h/x?X-Goog-Signature=***&a=1"),
        ("https://h/x?page=2", "https://h/x?page=2"),
        ("mail someone@example.org", "mail someone@example.org"),
    ],
)
def test_redact_hides_url_credentials(text, shown):
    assert redact(text) == shown
    assert carries_credentials(text) == (text != shown)
