import gzip
import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import count
from uptake.errors import SourceError
from uptake.sources import top_pypi


def snapshot(last_update: str, rows: list[tuple[str, int]], **extra) -> bytes:
    document = {
        "last_update": last_update,
        "query": {
            "bytes_billed": 0,
            "bytes_processed": 123,
            "cached": False,
            "estimated_cost": "0",
        },
        "rows": [{"download_count": n, "project": p} for p, n in rows],
        **extra,
    }
    return json.dumps(document).encode()


def load_paths(warehouse, paths):
    failures = []
    files = top_pypi.read_snapshot_files(
        top_pypi.snapshot_locations(paths), lambda item, reason: failures.append((item, reason))
    )
    return top_pypi.load_snapshot_files(warehouse, files, read_failures=failures)


def table_rows(warehouse, table: str, order: str):
    return warehouse.con.execute(
        f"select * exclude (load_id) from {table} order by {order}"
    ).fetchall()


def test_all_real_snapshots_load_with_their_cutoffs(warehouse, shared_data):
    summary = load_paths(warehouse, [shared_data / "top-pypi-packages"])

    assert summary["rows"] == 971_000
    assert summary["rejected"] == 0
    assert count(warehouse, "select count(*) from raw.top_pypi_snapshots") == 158
    cutoff = warehouse.con.execute(
        "select top_n, min_download_count, data_source from raw.top_pypi_snapshots "
        "where snapshot_at = '2024-04-01 08:13:25'"
    ).fetchone()
    assert cutoff == (8000, 51485, "BigQuery")
    assert warehouse.con.execute(
        "select data_source from raw.top_pypi_snapshots where snapshot_at = '2025-08-01 06:34:07'"
    ).fetchone() == ("ClickHouse",)


def test_torch_first_exceeds_tensorflow_in_the_2024_04_01_snapshot(warehouse, shared_data):
    load_paths(warehouse, [shared_data / "top-pypi-packages"])

    rows = warehouse.con.execute(
        """
        select snapshot_at,
            max(download_count) filter (where project = 'torch') as torch,
            max(download_count) filter (where project = 'tensorflow') as tensorflow
        from raw.top_pypi_downloads
        group by snapshot_at
        order by snapshot_at
        """
    ).fetchall()

    ahead = [
        str(at) for at, torch, tf in rows if torch is not None and tf is not None and torch > tf
    ]
    assert ahead[0] == "2024-04-01 08:13:25"
    assert len(ahead) == len([r for r in rows if str(r[0]) >= "2024-04-01"])
    by_date = {str(at)[:10]: (torch, tf) for at, torch, tf in rows}
    assert by_date["2024-04-01"] == (23_190_107, 22_594_480)
    assert by_date["2024-03-01"] == (18_664_850, 19_310_420)


def test_loading_the_same_files_twice_changes_nothing(warehouse, shared_data):
    first = load_paths(warehouse, [shared_data / "top-pypi-packages"])
    before = table_rows(warehouse, "raw.top_pypi_downloads", "all")

    second = load_paths(warehouse, [shared_data / "top-pypi-packages"])

    assert (first["rows"], second["rows"], second["skipped"]) == (971_000, 0, 158)
    assert table_rows(warehouse, "raw.top_pypi_downloads", "all") == before


def test_bad_files_are_rejected_with_reasons_and_good_ones_still_load(warehouse, tmp_path):
    good = tmp_path / "2024-04-01.json.gz"
    good.write_bytes(
        gzip.compress(snapshot("2024-04-01 08:13:25", [("torch", 30), ("tensorflow", 20)]))
    )
    corrupt = tmp_path / "corrupt.json.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00" + b"not really gzip" * 10)
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(snapshot("2024-05-01 08:13:25", [("torch", 3)])[:-20])
    missing_rows = tmp_path / "missing_rows.json"
    missing_rows.write_bytes(json.dumps({"last_update": "2024-06-01 08:00:00"}).encode())
    missing_count = tmp_path / "missing_count.json"
    missing_count.write_bytes(
        json.dumps({"last_update": "2024-07-01 08:00:00", "rows": [{"project": "torch"}]}).encode()
    )
    missing_date = tmp_path / "missing_date.json"
    missing_date.write_bytes(
        json.dumps({"rows": [{"project": "torch", "download_count": 1}]}).encode()
    )

    bare_array = tmp_path / "bare_array.json"  # the archive's very first version looked like this
    bare_array.write_bytes(json.dumps([{"project": "torch", "download_count": 1}] * 3).encode())

    summary = load_paths(
        warehouse,
        [
            good,
            corrupt,
            truncated,
            missing_rows,
            missing_count,
            missing_date,
            bare_array,
            tmp_path / "absent.json",
        ],
    )

    reasons = dict(summary["rejects"])
    assert summary["rows"] == 2
    assert count(warehouse, "select count(*) from raw.top_pypi_snapshots") == 1
    assert reasons[str(corrupt)].startswith("corrupt gzip")
    assert reasons[str(truncated)].startswith("not a snapshot JSON document")
    assert reasons[str(missing_rows)] == "missing field rows (or no rows)"
    assert reasons[str(missing_count)] == "a row lacks the field download_count"
    assert reasons[str(missing_date)] == "missing field last_update"
    assert reasons[str(bare_array)].startswith("not a snapshot JSON document: ")
    assert "Expected OBJECT, but got ARRAY" in reasons[str(bare_array)]
    assert "/tmp" not in reasons[str(bare_array)]
    assert reasons[str(tmp_path / "absent.json")].startswith("cannot read")
    assert count(warehouse, "select count(*) from meta.rejects") == 7


def test_the_same_snapshot_plain_and_gzipped_loads_once(warehouse, tmp_path):
    content = snapshot("2024-04-01 08:13:25", [("torch", 30), ("tensorflow", 20)])
    (tmp_path / "a.json").write_bytes(content)
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(content))

    summary = load_paths(warehouse, [tmp_path])

    assert (summary["rows"], summary["skipped"], summary["rejected"]) == (2, 1, 0)
    assert count(warehouse, "select count(*) from raw.top_pypi_downloads") == 2


def test_a_republished_snapshot_replaces_the_earlier_copy_whole(warehouse, tmp_path):
    (tmp_path / "old.json").write_bytes(
        snapshot("2024-04-01 08:13:25", [("torch", 30), ("gone", 5)])
    )
    load_paths(warehouse, [tmp_path / "old.json"])
    (tmp_path / "new.json").write_bytes(snapshot("2024-04-01 08:13:25", [("torch", 31)]))

    load_paths(warehouse, [tmp_path / "new.json"])

    rows = warehouse.con.execute(
        "select project, download_count from raw.top_pypi_downloads"
    ).fetchall()
    assert rows == [("torch", 31)]


def test_project_names_with_quotes_and_sql_are_data(warehouse, tmp_path):
    hostile = "x'); drop table raw.top_pypi_snapshots; --\"ünï"
    (tmp_path / "s.json").write_bytes(
        snapshot("2024-04-01 08:13:25", [(hostile, 9), ("torch", 10)])
    )

    load_paths(warehouse, [tmp_path / "s.json"])

    stored = warehouse.con.execute(
        "select project from raw.top_pypi_downloads where download_count = 9"
    ).fetchone()
    assert stored == (hostile,)
    assert count(warehouse, "select count(*) from raw.top_pypi_snapshots") == 1


def test_snapshots_load_from_urls(warehouse, tmp_path):
    (tmp_path / "s.json.gz").write_bytes(
        gzip.compress(snapshot("2024-04-01 08:13:25", [("torch", 30)]))
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        summary = load_paths(warehouse, [f"{base}/s.json.gz", f"{base}/missing.json"])
    finally:
        server.shutdown()

    assert summary["rows"] == 1
    assert summary["rejects"][0][0] == f"{base}/missing.json"
    assert "404" in summary["rejects"][0][1]
    origin = warehouse.con.execute("select origin from raw.top_pypi_snapshots").fetchone()[0]
    assert origin == f"{base}/s.json.gz"


def test_a_gzip_bomb_is_refused(warehouse, tmp_path):
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(
        gzip.compress(
            b'{"last_update": "2024-04-01 00:00:00", "rows": [' + b" " * (80 * 2**20) + b"]}"
        )
    )

    summary = load_paths(warehouse, [bomb])

    assert summary["rows"] == 0
    assert "inflates past 64 MB" in summary["rejects"][0][1]


def test_no_files_is_an_error_naming_what_to_pass(tmp_path):
    with pytest.raises(SourceError, match="no snapshot files found"):
        top_pypi.require_files(top_pypi.snapshot_locations([tmp_path]))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
