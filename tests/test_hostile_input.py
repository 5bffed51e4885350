"""Hostile input at every place a string or a file enters uptake.

Each hostile item must be rejected with a reason in meta.rejects (or, where it is data and
not an attack on anything, stored as inert data), while the run goes on for the good
items; no payload may ever run, no SQL text may change the database, and nothing may be
written outside the warehouse's folder. The corpus is in tests/hostile/; large files
(a 2 GB sparse file, gzip bombs) are made at test time in tmp_path.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import count
from tests.fakes import github_server as fake_github
from tests.fakes.hf_hub_server import FakeHub
from tests.fakes.hf_hub_server import Reply as HubReply
from tests.fakes.pypistats_server import FakePypistats
from tests.fakes.pypistats_server import Reply as StatsReply
from tests.git_repos import RepoBuilder
from tests.hostile import git_trees
from tests.hostile.isolation import WriteGuard
from tests.hostile.payloads import (
    INVALID_UTF8,
    LONE_SURROGATE,
    SQL_DROP,
    deeply_nested_array,
    deeply_nested_object,
    gzip_bomb,
    json_with_lone_surrogate,
    repository_names,
    sparse_file,
    symlink_loop,
)
from uptake.errors import SourceError, StudyError
from uptake.flow_loader import load_flow
from uptake.mining.repositories import parse_repository
from uptake.sources.unicode_text import printable
from uptake.warehouse import Warehouse

github_server = fake_github.github_server  # the fixture


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Folders for one run: inputs/, warehouse/ (the only place a run may write) and a
    working folder; git may use no transport but file://, so nothing can reach a network."""
    folders = {name: tmp_path / name for name in ("inputs", "warehouse", "cwd")}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.chdir(folders["cwd"])
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    return folders


def rejects(db: Path | str, source: str | None = None) -> dict[str, str]:
    with Warehouse.open(db, read_only=True) as warehouse:
        rows = warehouse.con.execute(
            "select item, reason from meta.rejects where source = coalesce(?, source)", [source]
        ).fetchall()
    return dict(rows)


def assert_rejected(found: dict[str, str], item: str, *reason_words: str) -> None:
    stored = printable(item)
    assert stored in found, f"no reject for {stored!r}; rejects: {sorted(found)}"
    for word in reason_words:
        assert word in found[stored], (stored, found[stored])


# -- repository names and URLs ------------------------------------------------------------


def test_repository_names_with_shell_sql_and_traversal_are_rejected_and_never_run(
    prefect_harness, sandbox, tmp_path
):
    good = RepoBuilder(sandbox["inputs"] / "good")
    good.commit("2021-01-10T00:00:00Z", {"train.py": "import torch\n"})
    names = repository_names(sandbox["cwd"], "raw.repo_snapshots")
    db = sandbox["warehouse"] / "w.duckdb"
    guard = WriteGuard(tmp_path, allowed=[sandbox["warehouse"]])
    github_imports = load_flow("github_imports", "github_imports")

    summary = github_imports(
        repositories=[f"lab/good={good.path}", *names],
        db=str(db),
        until=date(2021, 3, 1),
        workers=1,
    )

    guard.assert_untouched()
    assert summary["months"] == 2  # the good clone was mined
    found = rejects(db, "mining_local")
    for name in names:
        label, separator, location = name.partition("=")
        if separator and label == "lab":  # named: rejected under its name, for its location
            assert_rejected(found, "lab", location)
        elif name and Path(name).exists():  # ".." is a path: mined, and refused, as a folder
            assert_rejected(found, Path(name).resolve().name, "not a git repository")
        else:
            assert_rejected(found, name)
            assert found[printable(name)].strip()
    with Warehouse.open(db, read_only=True) as warehouse:
        assert warehouse.table_exists("raw.repo_snapshots")
        assert count(warehouse, "select count(*) from raw.repo_snapshots") == 2


@pytest.mark.parametrize(
    "text, reason",
    [
        ("https://github.com/../../etc", "not a GitHub repository URL"),
        ("https://github.com/owner/name;touch PWNED", "not a GitHub owner/name"),
        ("https://github.com/owner/name;touch /tmp/PWNED", "not a GitHub repository URL"),
        ("http://../escape.git", "not a host name"),
        ("--upload-pack=touch PWNED", "not a usable repository name"),
        ("", "empty"),
        ("owner/..", "neither"),
        ("owner/na" + LONE_SURROGATE + "me", "neither"),
    ],
)
def test_parse_repository_refuses_names_that_escape_a_path_or_read_as_options(
    text, reason, tmp_path
):
    from uptake.mining.repositories import clone_or_update

    with pytest.raises(SourceError, match=reason):
        clone_or_update(parse_repository(text), tmp_path / "clones")
    assert not (tmp_path / "clones").exists() or not any((tmp_path / "clones").rglob("*"))


def test_a_clone_whose_remote_claims_a_traversal_name_is_refused(tmp_path):
    repo = RepoBuilder(tmp_path / "clone")
    repo.git("config", "remote.origin.url", "https://github.com/../..")

    with pytest.raises(SourceError, match="not a GitHub owner/name"):
        parse_repository(str(repo.path))


def test_a_clone_in_a_folder_whose_name_is_not_utf8_must_be_named(tmp_path):
    from uptake.mining.history_miner import mine_repositories

    folder = Path(tmp_path.as_posix() + "/bad" + LONE_SURROGATE)  # b"bad\xff" on disk
    repo = RepoBuilder(folder)
    repo.commit("2021-01-10T00:00:00Z", {"a.py": "import torch\n"})

    with pytest.raises(SourceError, match="not printable UTF-8.*NAME=PATH"):
        parse_repository(str(folder))
    named = parse_repository(f"lab/named={folder}")
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        summary = mine_repositories(
            warehouse, [(named.name, named.location)], until=date(2021, 2, 1), workers=1
        )
    assert (summary["months"], summary["rejected"]) == (1, 0)


# -- a hostile repository -----------------------------------------------------------------


def test_a_hostile_repository_is_mined_without_following_links_or_running_its_config(
    prefect_harness, sandbox, tmp_path
):
    repo = git_trees.hostile_repository(sandbox["inputs"] / "hostile", sandbox["cwd"])
    db = sandbox["warehouse"] / "w.duckdb"
    guard = WriteGuard(tmp_path, allowed=[sandbox["warehouse"]])
    github_imports = load_flow("github_imports", "github_imports")

    summary = github_imports(
        repositories=[f"lab/hostile={repo.path}", str(repo.path), f"file://{repo.path}"],
        db=str(db),
        until=date(2021, 3, 1),
        workers=2,
    )

    guard.assert_untouched()
    assert (summary["months"], summary["rejected"]) == (4, 1)  # the path, and its clone
    assert (sandbox["warehouse"] / "clones" / "local" / "hostile.git" / "HEAD").is_file()
    assert_rejected(rejects(db, "mining_local"), str(repo.path), "not a GitHub owner/name")
    with Warehouse.open(db, read_only=True) as warehouse:
        files = warehouse.con.execute(
            "select month, python_files from raw.repo_snapshots where repo = 'lab/hostile'"
            " order by month"
        ).fetchall()
        cloned = warehouse.con.execute(
            "select month, python_files from raw.repo_snapshots where repo = 'local/hostile'"
            " order by month"
        ).fetchall()
        roots = {
            root
            for (roots,) in warehouse.con.execute(
                "select import_roots from raw.blob_imports"
            ).fetchall()
            for root in roots
        }
    assert files == [
        (date(2021, 1, 1), git_trees.JANUARY_PYTHON_FILES),
        (date(2021, 2, 1), git_trees.FEBRUARY_PYTHON_FILES),
    ]
    assert cloned == files
    assert roots == {"torch", "flask", "numpy"}  # read from blobs, never through a link


# -- top-PyPI snapshots --------------------------------------------------------------------


def snapshot(day: str, projects: list[tuple[str, int]]) -> dict:
    return {
        "last_update": f"{day} 08:13:25",
        "query": {"bytes_processed": 1},
        "rows": [{"download_count": n, "project": p} for p, n in projects],
    }


def test_hostile_top_pypi_snapshots_are_rejected_and_the_good_one_loads(
    prefect_harness, sandbox, tmp_path
):
    folder = sandbox["inputs"] / "snapshots"
    folder.mkdir()
    sql_name = SQL_DROP.format(table="raw.top_pypi_downloads")
    (folder / "good.json").write_text(
        json.dumps(snapshot("2024-04-01", [("torch", 30), (sql_name, 20)]))
    )
    hostile = {
        "nested.json": ('{"last_update": "2024-05-01", "rows": ' + deeply_nested_array() + "}"),
        "surrogate.json": json_with_lone_surrogate(snapshot("2024-06-01", [("to@SURROGATE@", 3)])),
        "invalid-utf8.json": json.dumps(snapshot("2024-07-01", [("torch", 3)]))
        .encode()
        .replace(b"torch", b"to" + INVALID_UTF8),
        "not-json.json": "'; drop table raw.top_pypi_downloads; --",
        "blank.json": " \n" * 1000,
    }
    for name, content in hostile.items():
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    gzip_bomb(folder / "bomb.json.gz", b'{"last_update": "2024-08-01", "rows": [', 1 << 30)
    gzip_bomb(folder / "blank-bomb.json.gz", b"", 1 << 30)  # only whitespace: no document
    sparse_file(folder / "sparse.json")
    loop = symlink_loop(folder, "loop_a.json", "loop_b.json")
    odd_name = folder.as_posix() + "/odd" + LONE_SURROGATE + ".json"  # b"odd\xff.json"
    Path(odd_name).write_text(json.dumps(snapshot("2024-09-01", [("torch", 1)])))
    db = sandbox["warehouse"] / "w.duckdb"
    guard = WriteGuard(tmp_path, allowed=[sandbox["warehouse"]])
    pypi_downloads = load_flow("pypi_downloads", "pypi_downloads")

    summary = pypi_downloads(source="top_pypi", locations=[str(folder)], db=str(db))

    guard.assert_untouched()
    assert summary["rows"] == 2
    found = rejects(db, "top_pypi")
    assert_rejected(found, str(folder / "nested.json"), "not a snapshot")
    assert_rejected(found, str(folder / "surrogate.json"), "surrogate")
    assert_rejected(found, str(folder / "invalid-utf8.json"), "UTF-8")
    assert_rejected(found, str(folder / "not-json.json"), "not a snapshot")
    assert_rejected(found, str(folder / "bomb.json.gz"), "gzip inflates past")
    assert_rejected(found, str(folder / "blank-bomb.json.gz"), "gzip inflates past")
    assert_rejected(found, str(folder / "blank.json"), "no JSON document")
    assert_rejected(found, str(folder / "sparse.json"), "larger than")
    for link in loop:
        assert_rejected(found, str(link), "symbolic links")
    assert_rejected(found, odd_name, "not valid UTF-8")
    with Warehouse.open(db, read_only=True) as warehouse:
        projects = warehouse.con.execute(
            "select project from raw.top_pypi_downloads order by project"
        ).fetchall()
    assert projects == [(sql_name,), ("torch",)]  # the SQL text is data, stored as such


# -- conference papers ---------------------------------------------------------------------


def paper(paper_id: str, title: str, **extra) -> dict:
    return {"id": paper_id, "name": title, "authors": ["A. Author"], **extra}


def test_hostile_conference_files_are_rejected_and_the_good_papers_load(
    prefect_harness, sandbox, tmp_path
):
    inputs = sandbox["inputs"]
    sql_title = SQL_DROP.format(table="raw.conference_papers")
    (inputs / "cvpr_2019.json").write_text(
        json_with_lone_surrogate(
            [
                paper("good", "A good paper", metadata={"words": ["pytorch"]}),
                paper("sql", sql_title, metadata={"words": []}),
                paper("surrogate", "Bad @SURROGATE@ title"),
                paper("meta-list", "Metadata is a list", metadata=["pytorch"]),
                paper("meta-text", "Metadata is text", metadata="pytorch"),
                paper("nested", "Nested", metadata={"words": json.loads("[[[1]]]")}),
            ]
        )
    )
    (inputs / "iclr_2019.json").write_text(deeply_nested_array())
    gzip_bomb(inputs / "naacl_2019.json.gz", b"[", 1 << 30)
    sparse_file(inputs / "icml_2019.json")
    (inputs / "eccv_2018.json.gz").write_bytes(gzip.compress(b"[" + INVALID_UTF8 + b"]"))
    (inputs / "wide.csv").write_text("CVPR," + "x" * 200_000 + ",1,2,3\n")
    (inputs / "invalid-utf8.csv").write_bytes(b"CVPR" + INVALID_UTF8 + b",06/19,1,2,3\n")
    (inputs / "formula.csv").write_text(
        f"=cmd|' /C calc'!A0,06/19,1,2,3\n\"{sql_title}\",06/19,1,2,3\nNUL\x00,06/19,1,2,3\n"
    )
    db = sandbox["warehouse"] / "w.duckdb"
    guard = WriteGuard(tmp_path, allowed=[sandbox["warehouse"]])
    research_signals = load_flow("research_signals", "research_signals")
    files = [
        "cvpr_2019.json", "iclr_2019.json", "naacl_2019.json.gz", "icml_2019.json",
        "eccv_2018.json.gz", "wide.csv", "invalid-utf8.csv", "formula.csv",
    ]  # fmt: skip

    summary = research_signals(
        source="conference_papers", locations=[str(inputs / f) for f in files], db=str(db)
    )

    guard.assert_untouched()
    found = rejects(db, "conference_papers")
    cvpr = str(inputs / "cvpr_2019.json")
    assert_rejected(found, f"{cvpr} record 2", "not valid Unicode")
    assert_rejected(found, f"{cvpr} record 3", "metadata is not an object")
    assert_rejected(found, f"{cvpr} record 4", "metadata is not an object")
    assert_rejected(found, f"{cvpr} record 5", "wrong type")
    assert_rejected(found, str(inputs / "iclr_2019.json"), "nested too deep")
    assert_rejected(found, str(inputs / "naacl_2019.json.gz"), "gzip inflates past")
    assert_rejected(found, str(inputs / "icml_2019.json"), "larger than")
    assert_rejected(found, str(inputs / "eccv_2018.json.gz"), "not JSON")
    assert_rejected(found, str(inputs / "wide.csv"), "field larger than field limit")
    assert_rejected(found, str(inputs / "invalid-utf8.csv"), "not UTF-8")
    with Warehouse.open(db, read_only=True) as warehouse:
        titles = warehouse.con.execute(
            "select title from raw.conference_papers order by paper_id"
        ).fetchall()
        labels = warehouse.con.execute(
            "select distinct conference_label from raw.conference_mention_counts order by 1"
        ).fetchall()
    assert titles == [("A good paper",), (sql_title,)]
    # Inert text, kept as written: nothing here is ever a formula, a command or SQL.
    assert labels == [(sql_title,), ("=cmd|' /C calc'!A0",), ("NUL\x00",)]
    assert summary["rows"] == 2 + 3 * 2


# -- Papers with Code dumps ---------------------------------------------------------------


def test_hostile_papers_with_code_records_are_rejected_and_the_rest_load(sandbox, tmp_path):
    from uptake.sources.papers_with_code import load_papers

    inputs = sandbox["inputs"]
    good = {"paper_url": "https://paperswithcode.com/paper/good", "title": "Good"}
    sql = {"paper_url": "https://paperswithcode.com/paper/sql", "title": SQL_DROP.format(
        table="raw.pwc_papers")}  # fmt: skip
    surrogate = {"paper_url": "https://paperswithcode.com/paper/bad", "title": "x@SURROGATE@"}
    records = [
        json.dumps(good),
        deeply_nested_object("paper_url"),
        json_with_lone_surrogate(surrogate),
        json.dumps(sql),
        '{"paper_url": "https://paperswithcode.com/paper/bytes", "title": "B@@"}',
    ]
    dump = ("[" + ",\n".join(records) + "]").encode().replace(b"@@", INVALID_UTF8)
    (inputs / "papers.json").write_bytes(dump)
    gzip_bomb(inputs / "bomb.json.gz", b'[{"paper_url": "x", "title": "', 1 << 30, b"a")
    sparse_file(inputs / "sparse.json")
    db = sandbox["warehouse"] / "w.duckdb"
    guard = WriteGuard(tmp_path, allowed=[sandbox["warehouse"]])

    with Warehouse.open(db) as warehouse:
        summary = load_papers(
            warehouse, [inputs / "papers.json", inputs / "bomb.json.gz", inputs / "sparse.json"]
        )
        titles = warehouse.con.execute("select title from raw.pwc_papers order by 1").fetchall()

    guard.assert_untouched()
    assert summary["rows"] == 3
    assert titles == [(sql["title"],), ("B\ufffd\ufffd\ufffd(",), ("Good",)]  # bytes replaced
    found = rejects(db, "papers_with_code")
    assert_rejected(found, f"{inputs / 'papers.json'} record 1", "nested too deep")
    assert_rejected(found, f"{inputs / 'papers.json'} record 2", "not valid Unicode")
    assert_rejected(found, str(inputs / "bomb.json.gz"), "larger than")
    assert_rejected(found, str(inputs / "sparse.json"), "not a dump")


# -- answers from web services -------------------------------------------------------------


def test_hostile_hub_answers_are_rejected_and_the_other_tags_load(warehouse, monkeypatch):
    from tests.fakes.loopback import bypass_proxies
    from uptake.sources.huggingface_hub import load_hf_models

    bypass_proxies(monkeypatch)
    with FakeHub() as hub:
        hub.always("pytorch", HubReply(200, deeply_nested_array().encode()))
        hub.always("keras", HubReply(200, b"[" + INVALID_UTF8 + b"]"))
        models = [
            {"_id": "1", "id": "org/ok", "createdAt": "2024-01-02T00:00:00.000Z", "tags": ["tf"]},
            {"_id": "2", "id": "org/x@SURROGATE@", "createdAt": "2024-01-02T00:00:00.000Z"},
            {
                "_id": "3",
                "id": SQL_DROP.format(table="raw.hf_models"),
                "createdAt": "2024-01-01T00:00:00.000Z",
                "tags": ["tf"],
            },  # fmt: skip
            {"_id": "4", "id": "../../etc/passwd", "createdAt": "2024-01-01T00:00:00.000Z"},
        ]
        hub.always("tf", HubReply(200, json_with_lone_surrogate(models).encode()))
        hub.add_model("org/jax-model", "2024-01-03T00:00:00.000Z", ["jax"])

        summary = load_hf_models(
            warehouse, ["pytorch", "keras", "tf", "jax"], endpoint=hub.endpoint, retry_delays=()
        )

    found = dict(summary["rejects"])
    assert "nested too deep" in found["pytorch"]
    assert "bad JSON" in found["keras"]
    assert "not valid Unicode" in found[printable("org/x" + LONE_SURROGATE)]
    ids = {row[0] for row in warehouse.con.execute("select model_id from raw.hf_models").fetchall()}
    assert ids == {"org/ok", "org/jax-model", models[2]["id"], "../../etc/passwd"}
    assert warehouse.table_exists("raw.hf_models")


def test_hostile_pypistats_answers_are_rejected_and_the_good_project_loads(warehouse, monkeypatch):
    from tests.fakes.loopback import bypass_proxies
    from uptake.sources.pypistats_api import load_pypistats_downloads

    bypass_proxies(monkeypatch)
    sql_name = SQL_DROP.format(table="raw.pypistats_downloads")
    with FakePypistats() as stats:
        stats.add_project("good", {date(2024, 5, 1): 10})
        stats.always(
            "nested", StatsReply(200, b'{"data": ' + deeply_nested_array().encode() + b"}")
        )
        stats.always("bytes", StatsReply(200, b'{"data": "' + INVALID_UTF8 + b'"}'))
        stats.always(
            "surrogate",
            StatsReply(200, json_with_lone_surrogate({"data": [
                {"category": "without_mirrors", "date": "2024-05-01@SURROGATE@", "downloads": 1}
            ]}).encode()),
        )  # fmt: skip
        stats.always("huge", StatsReply(200, b'{"data": [' + b" " * (8 << 20) + b"]}"))

        summary = load_pypistats_downloads(
            warehouse,
            ["good", "nested", "bytes", "surrogate", sql_name, "../../admin", "huge"],
            base_url=stats.base_url,
            retry_delays=(),
        )
        requested = list(stats.paths)

    found = dict(summary["rejects"])
    assert "nested too deep" in found["nested"]
    assert "bad JSON" in found["bytes"]
    assert "unexpected JSON" in found["surrogate"]
    assert "HTTP 404" in found[sql_name] and "HTTP 404" in found["../../admin"]
    assert summary["projects_loaded"] == ["good", "huge"]  # huge: an empty list, no rows
    assert all(path.startswith("/api/packages/") for path in requested)
    assert any("..%2F..%2Fadmin" in path for path in requested)  # one quoted path segment
    assert count(warehouse, "select count(*) from raw.pypistats_downloads") == 1


def test_hostile_github_trees_and_blobs_are_read_as_data(github_server, warehouse, sandbox):
    from uptake.mining.github_miner import mine_github_repositories

    served = github_server.add_repo("owner/hostile")
    served.commit(
        {
            "../escape.py": "import torch\n",
            ".git/config.py": "import flask\n",
            "$(touch PWNED).py": b"import numpy\n" + INVALID_UTF8,
            "ok.py": b"# " + INVALID_UTF8 + b"\nimport pandas\n",
            "nb.ipynb": deeply_nested_object("cells"),
        },
        date="2021-01-10T00:00:00Z",
    )

    summary = mine_github_repositories(
        warehouse,
        ["owner/hostile", SQL_DROP.format(table="raw.repo_snapshots")],
        until=date(2021, 2, 1),
        base_url=github_server.base_url,
        seconds_between_requests=0,
    )

    assert summary["months"] == 1
    assert not list(Path.cwd().glob("PWNED*"))
    roots = {
        root
        for (roots,) in warehouse.con.execute(
            "select import_roots from raw.blob_imports"
        ).fetchall()
        for root in roots
    }
    methods = dict(
        warehouse.con.execute("select method, count(*) from raw.blob_imports group by 1").fetchall()
    )
    assert roots == {"torch", "flask", "numpy", "pandas"}
    assert methods["fallback"] >= 3  # the broken files and the notebook, read line by line
    assert warehouse.table_exists("raw.repo_snapshots")


# -- the study ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, key, value, message",
    [
        ('technologies."torch\'; drop table meta.loads; --"', "label", '"x"', "technology id"),
        ('technologies."torch\\n"', "label", '"x"', "technology id"),
        ("technologies.torch", "pypi_projects", '["torch; drop table raw.x"]', "PyPI project"),
        ("technologies.torch", "pypi_projects", '["../../admin"]', "PyPI project"),
        ("technologies.torch", "import_roots", '["torch\'; --"]', "Python module"),
        ("technologies.torch", "paper_words", '["torch\\u0000"]', "control characters"),
    ],
)
def test_study_values_that_could_be_sql_or_paths_are_refused(tmp_path, table, key, value, message):
    from uptake.study import load_study

    study = tmp_path / "study.toml"
    study.write_text(
        textwrap.dedent(f"""
        [technologies.tf]
        pypi_projects = ["tensorflow"]

        [{table}]
        {key} = {value}
        """)
    )

    with pytest.raises(StudyError, match=message):
        load_study(study)


def test_study_text_with_sql_quotes_is_data_to_the_models(tmp_path):
    from uptake.models import build_models
    from uptake.study import load_study

    sql = SQL_DROP.format(table="raw.top_pypi_downloads")
    study = tmp_path / "study.toml"
    study.write_text(
        textwrap.dedent(f"""
        [technologies.torch]
        label = "{sql}"
        import_roots = ["torch"]
        pypi_projects = ["torch"]
        pwc_frameworks = ["{sql}"]
        paper_words = ["{sql}"]

        [technologies.tf]
        label = "TensorFlow\\"; drop table meta.loads; --"
        pypi_projects = ["tensorflow"]

        [rivalries.torch-vs-tf]
        technologies = ["torch", "tf"]
        label = "{sql}"
        """)
    )
    loaded = load_study(study)

    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        warehouse.sync_study(loaded)
        build_models(warehouse.con)
        labels = warehouse.con.execute(
            "select label from meta.study_technologies order by 1"
        ).fetchall()
        assert warehouse.table_exists("raw.top_pypi_downloads")
        assert warehouse.table_exists("meta.loads")
    assert labels == [(sql,), ('TensorFlow"; drop table meta.loads; --',)]


# -- bounded memory -------------------------------------------------------------------------

MEMORY_PROBE = """
import json, sys
from pathlib import Path
from uptake.warehouse import Warehouse
from uptake.sources import top_pypi
from uptake.sources.conference_papers import load_conference_papers
from uptake.sources.papers_with_code import load_papers

inputs = Path(sys.argv[1])
with Warehouse.open(inputs / "w.duckdb") as warehouse:
    failures = []
    files = list(top_pypi.read_snapshot_files(
        [str(inputs / "sparse.json"), str(inputs / "bomb.json.gz")],
        lambda item, reason: failures.append((item, reason))))
    results = [top_pypi.load_snapshot_files(warehouse, files, read_failures=failures)]
    results.append(load_conference_papers(
        warehouse, [inputs / "icml_2019.json", inputs / "naacl_2019.json.gz"]))
    results.append(load_papers(warehouse, [inputs / "sparse.json", inputs / "bomb.json.gz"]))
# VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across fork and exec, so a
# probe started from a large pytest process would report the parent's size.
status = Path("/proc/self/status").read_text()
peak = int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:"))) * 1024
print(json.dumps({"peak": peak, "rejected": [r["rejected"] for r in results]}))
"""


def test_a_2gb_sparse_file_and_2gb_gzip_bombs_are_refused_within_bounded_memory(tmp_path):
    sparse = sparse_file(tmp_path / "sparse.json", 2 << 30)
    for name in ("icml_2019.json",):
        (tmp_path / name).symlink_to(sparse)
    gzip_bomb(tmp_path / "bomb.json.gz", b'{"last_update": "2024-08-01", "rows": [', 2 << 30)
    (tmp_path / "naacl_2019.json.gz").symlink_to(tmp_path / "bomb.json.gz")

    result = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(tmp_path)], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout)
    assert figures["rejected"] == [2, 2, 2]
    # Reading any of these whole would take 2 GB; the limits keep the process far below.
    assert figures["peak"] < 800 * 2**20, figures


def test_hostile_versions_in_the_archive_history_are_rejected_and_the_good_one_loads(
    prefect_harness, github_server, sandbox, tmp_path, monkeypatch
):
    archive = github_server.add_repo("hugovk/top-pypi-packages")
    path = "top-pypi-packages-30-days.json"
    bomb = gzip_bomb(tmp_path / "bomb.gz", b'{"last_update": "2024-02-01", "rows": [', 1 << 30)
    versions = [
        ("2024-01-01", json.dumps(snapshot("2024-01-01", [("torch", 30)])).encode()),
        ("2024-02-01", bomb.read_bytes()),
        ("2024-03-01", b'{"last_update": "2024-03-01", "rows": ' + deeply_nested_array().encode()),
        (
            "2024-04-01",
            json.dumps(snapshot("2024-04-01", [("to" + "@@", 3)]))
            .encode()
            .replace(b"@@", INVALID_UTF8),
        ),  # fmt: skip
    ]
    commits = [
        archive.commit({path: content}, date=f"{day}T09:00:00Z") for day, content in versions
    ]
    monkeypatch.setenv("GITHUB_API_URL", github_server.base_url)
    db = sandbox["warehouse"] / "w.duckdb"
    guard = WriteGuard(tmp_path, allowed=[sandbox["warehouse"]])
    pypi_downloads = load_flow("pypi_downloads", "pypi_downloads")

    summary = pypi_downloads(source="top_pypi_history", db=str(db))

    guard.assert_untouched()
    assert summary["rows"] == 1
    found = rejects(db, "top_pypi")
    origin = "github:hugovk/top-pypi-packages@{}:" + path
    assert_rejected(found, origin.format(commits[1].sha), "gzip inflates past")
    assert_rejected(found, origin.format(commits[2].sha), "not a snapshot")
    assert_rejected(found, origin.format(commits[3].sha), "UTF-8")


def test_uptake_mine_rejects_an_argument_that_is_not_utf8_instead_of_crashing(
    prefect_harness, sandbox
):
    from click.testing import CliRunner

    from uptake.cli import cli

    db = sandbox["warehouse"] / "w.duckdb"
    name = "bad" + LONE_SURROGATE  # what the shell hands Python for the bytes b"bad\xff"

    result = CliRunner().invoke(cli, ["--db", str(db), "mine", "-q", name])

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert_rejected(rejects(db, "mining_local"), printable(name), "neither a local repository")


def test_uptake_refresh_rejects_a_path_that_is_not_utf8_instead_of_crashing(
    prefect_harness, sandbox
):
    from click.testing import CliRunner

    from uptake.cli import cli

    db = sandbox["warehouse"] / "w.duckdb"
    path = "bad" + LONE_SURROGATE + ".json"

    result = CliRunner().invoke(cli, ["--db", str(db), "refresh", "--source", f"top_pypi={path}"])

    assert result.exit_code == 1, result.output  # the only file was rejected: nothing loaded
    assert "nothing loaded: all 1 rejected" in result.output
    assert_rejected(rejects(db, "top_pypi"), printable(path), "No such file")


def test_a_repository_url_carrying_a_token_is_refused_before_any_run_stores_it(tmp_path):
    from click.testing import CliRunner

    from uptake.cli import cli
    from uptake.errors import SourceError
    from uptake.mining.repositories import parse_repository

    token = "ghp_" + "a1B2c3D4e5" * 4
    for text in (f"https://x:{token}@github.com/a/b.git", f"b=https://{token}@example.org/b.git"):
        with pytest.raises(SourceError, match="give the token as GITHUB_TOKEN") as refused:
            parse_repository(text)
        assert token not in str(refused.value)

    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "w.duckdb"), "mine", f"https://x:{token}@github.com/a/b.git"]
    )

    assert result.exit_code == 2 and "give the token as GITHUB_TOKEN" in result.output
    assert token not in result.output
    assert not (tmp_path / "w.duckdb").exists()  # refused before the flow, its run and the file
