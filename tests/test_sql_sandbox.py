"""`uptake sql` and the notebooks' connection: the warehouse read-only, nothing else reachable.

Every hostile statement below must be refused with a one-line reason and exit status 1,
leave the warehouse exactly as it was, write nothing outside the warehouse's folder,
and make no request to the network (a local server counts any that arrive).
"""

from __future__ import annotations

import http.server
import threading

import pytest
from click.testing import CliRunner

from tests.hostile.isolation import WriteGuard
from uptake.cli import cli
from uptake.warehouse import Warehouse
from uptake.warehouse.sandbox import SandboxRefusal, check_statement, connect_sandboxed


@pytest.fixture(scope="module")
def listener():
    """A local HTTP server that counts the requests it gets; none may ever arrive."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server protocol)
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"a,b\n1,2\n")

        def do_HEAD(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.fixture
def warehouse_dir(tmp_path):
    folder = tmp_path / "warehouse"
    folder.mkdir()
    with Warehouse.open(folder / "w.duckdb") as warehouse:
        warehouse.con.execute(
            "insert into raw.top_pypi_downloads values ('2024-01-01', 'torch', 10, 'l1')"
        )
    secret = tmp_path / "outside.csv"
    secret.write_text("token\nghp_not_for_sql\n")
    return folder


def fingerprint(db) -> list[tuple]:
    with Warehouse.open(db, read_only=True) as warehouse:
        tables = warehouse.con.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables() order by all"
        ).fetchall()
        rows = warehouse.con.execute("select * from raw.top_pypi_downloads").fetchall()
    return [*tables, *rows]


def hostile_statements(outside: str, url: str) -> dict[str, tuple[str, str]]:
    """class/name -> (statement, a word the refusal must contain)."""
    return {
        "file write: copy to": (f"copy (select 1) to '{outside}.out'", "COPY"),
        "file write: export database": (f"export database '{outside}.dir'", "EXPORT"),
        "file write: attach a new file": (f"attach '{outside}.duckdb' as n", "ATTACH"),
        "file read: read_csv": (f"select * from read_csv('{outside}')", "Permission"),
        "file read: replacement scan": (f"select * from '{outside}'", "Permission"),
        "file read: read_text": (f"select content from read_text('{outside}')", "Permission"),
        "file read: read_blob": (f"select content from read_blob('{outside}')", "Permission"),
        "file read: glob": ("select * from glob('/etc/*')", "Permission"),
        "file read: import_database pragma": (f"pragma import_database('{outside}')", "Permission"),
        "network: read_csv of a URL": (f"select * from read_csv('{url}/a.csv')", "Permission"),
        "network: replacement scan of a URL": (f"select * from '{url}/b.csv'", "Permission"),
        "extension: install": ("install httpfs", "LOAD"),
        "extension: load": ("load httpfs", "LOAD"),
        "extension: force install from a URL": (f"force install x from '{url}'", "LOAD"),
        "attach: detach the warehouse": ("detach warehouse", "DETACH"),
        "attach: use another catalog": ("use memory", "SET"),
        "attach: in-memory database": ("attach ':memory:' as scratch", "ATTACH"),
        "settings: external access back on": ("set enable_external_access = true", "SET"),
        "settings: unlock": ("set lock_configuration = false", "SET"),
        "settings: pragma": ("pragma enable_profiling", "locked"),
        "settings: reset": ("reset lock_configuration", "SET"),
        "settings: secret": ("create secret (type s3, key_id 'k', secret 's')", "CREATE"),
        "write: drop a table": ("drop table raw.top_pypi_downloads", "DROP"),
        "write: delete rows": ("delete from raw.top_pypi_downloads", "DELETE"),
        "write: create a temp table": ("create temp table t as select 1", "CREATE"),
        "write: transaction": ("begin transaction", "TRANSACTION"),
        "multi-statement: read then drop": (
            "select 1; drop table raw.top_pypi_downloads",
            "one statement at a time",
        ),
        "multi-statement: unlock then read": (
            "set enable_external_access = true; select 1",
            "one statement at a time",
        ),
    }


HOSTILE_NAMES = list(hostile_statements("x", "http://h"))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_statement_is_refused_and_changes_nothing(
    name, warehouse_dir, listener, tmp_path
):
    url, hits = listener
    db = warehouse_dir / "w.duckdb"
    statement, word = hostile_statements(str(tmp_path / "outside.csv"), url)[name]
    before = fingerprint(db)
    guard = WriteGuard(tmp_path, allowed=[warehouse_dir])
    hits_before = len(hits)

    result = CliRunner().invoke(cli, ["--db", str(db), "sql", statement])

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert word in result.stderr, result.stderr
    assert "ghp_not_for_sql" not in result.output
    assert fingerprint(db) == before
    guard.assert_untouched()
    assert len(hits) == hits_before, f"the prompt reached the network: {hits}"


@pytest.mark.parametrize(
    "statement",
    [
        "select count(*) as n from raw.top_pypi_downloads",
        "describe raw.top_pypi_downloads",
        "show tables",
        "summarize raw.top_pypi_downloads",
        "explain select 1",
        "pragma table_info('raw.top_pypi_downloads')",
        "call pragma_version()",
        "with t as (select 41 as n) select n + 1 from t",
    ],
)
def test_reading_statements_still_run(statement, warehouse_dir):
    result = CliRunner().invoke(cli, ["--db", str(warehouse_dir / "w.duckdb"), "sql", statement])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


def test_the_sandboxed_connection_keeps_its_settings_locked(warehouse_dir, tmp_path):
    con = connect_sandboxed(warehouse_dir / "w.duckdb")
    try:
        settings = dict(
            con.execute(
                "select name, value from duckdb_settings() where name in "
                "('enable_external_access', 'lock_configuration', 'autoload_known_extensions',"
                " 'autoinstall_known_extensions', 'temp_directory')"
            ).fetchall()
        )
        # A caller that skips check_statement still cannot reach a file.
        with pytest.raises(Exception, match="disabled by configuration"):
            con.execute(f"select * from read_csv('{tmp_path / 'outside.csv'}')")
        with pytest.raises(SandboxRefusal, match="no SQL statement"):
            check_statement(con, "  ;  ")
    finally:
        con.close()
    assert settings["enable_external_access"] == "false"
    assert settings["lock_configuration"] == "true"
    assert settings["autoload_known_extensions"] == "false"
    assert settings["autoinstall_known_extensions"] == "false"
    assert settings["temp_directory"].startswith(str(warehouse_dir.resolve()))
