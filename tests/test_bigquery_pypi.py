"""The BigQuery PyPI source, checked offline: its SQL runs on DuckDB tables with the real
nested schema of `bigquery-public-data.pypi.file_downloads`, and a fake client stands in
for google.cloud.bigquery.Client."""

import json
from datetime import date, datetime

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from google.api_core import exceptions as google_errors
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from sqlglot import exp

from tests.conftest import count
from uptake.errors import BudgetExceededError, SourceError
from uptake.sources import bigquery_pypi
from uptake.sources.bigquery_pypi import (
    estimate_bytes,
    fetch_monthly_downloads,
    load_bigquery_downloads,
    make_client,
    monthly_downloads_query,
    months_to_load,
)

# BigQuery's table name -> the local DuckDB table that plays it in these tests.
TABLE_MAP = {"bigquery-public-data.pypi.file_downloads": "file_downloads"}

FILE_DOWNLOADS_DDL = """
create table file_downloads (
    timestamp timestamp,
    country_code varchar,
    url varchar,
    project varchar,
    file struct(filename varchar, project varchar, version varchar, type varchar),
    details struct(
        installer struct(name varchar, version varchar),
        python varchar,
        implementation struct(name varchar, version varchar),
        distro struct(
            name varchar, version varchar, id varchar,
            libc struct(lib varchar, version varchar)
        ),
        system struct(name varchar, release varchar),
        cpu varchar,
        openssl_version varchar,
        setuptools_version varchar,
        rustc_version varchar,
        ci boolean
    ),
    tls_protocol varchar,
    tls_cipher varchar
)
"""

EVIL = "torch'; drop table file_downloads; --"
UNSET = object()


def download(timestamp: str, project: str, installer=UNSET, ci=None, details=True) -> list:
    """One file_downloads row; installer=None gives a null installer name, details=False
    a null details struct."""
    installer_struct = None if installer is UNSET else {"name": installer, "version": "24.0"}
    details_struct = {
        "installer": {"name": "pip", "version": "24.0"} if installer is UNSET else installer_struct,
        "python": "3.12.1",
        "implementation": {"name": "CPython", "version": "3.12.1"},
        "distro": {
            "name": "Ubuntu",
            "version": "22.04",
            "id": "jammy",
            "libc": {"lib": "glibc", "version": "2.35"},
        },
        "system": {"name": "Linux", "release": "6.5.0"},
        "cpu": "x86_64",
        "openssl_version": "OpenSSL 3.0.2",
        "setuptools_version": "69.0.0",
        "rustc_version": None,
        "ci": ci,
    }
    file = {
        "filename": f"{project}-1.0.tar.gz",
        "project": project,
        "version": "1.0",
        "type": "sdist",
    }
    return [
        datetime.fromisoformat(timestamp),
        "US",
        f"/packages/{project}-1.0.tar.gz",
        project,
        file,
        details_struct if details else None,
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
    ]


ROWS = [
    download("2023-12-31 23:59:59.999999", "torch"),  # before the first month
    download("2024-01-15 08:00:00", "torch"),
    download("2024-01-31 12:00:00", "torch", ci=False),
    download("2024-01-31 23:59:59", "torch"),  # ci null -> false, same day as above
    download("2024-01-20 10:00:00", "torch", details=False),  # no details at all
    download("2024-01-10 10:00:00", "numpy"),  # a project nobody asked for
    download("2024-02-01 00:00:00", "torch", ci=True),
    download("2024-02-01 00:00:00", "torch", installer=None),  # details.installer.name null
    download("2024-02-29 23:00:00", "torch", installer=None),
    download("2024-02-10 10:00:00", "tensorflow", installer="bandersnatch"),  # mirrors are kept
    download("2024-03-01 00:00:00", "torch"),  # end is exclusive
    download("2024-01-05 10:00:00", EVIL),
]

EXPECTED_JAN_FEB = [
    # month, project, installer, is_ci, downloads, days_covered
    (date(2024, 1, 1), "torch", "", False, 1, 1),
    (date(2024, 1, 1), "torch", "pip", False, 3, 2),
    (date(2024, 2, 1), "tensorflow", "bandersnatch", False, 1, 1),
    (date(2024, 2, 1), "torch", "", False, 2, 2),
    (date(2024, 2, 1), "torch", "pip", True, 1, 1),
]


def file_downloads(rows=ROWS) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")  # BigQuery's TIMESTAMP() reads dates as UTC
    con.execute(FILE_DOWNLOADS_DDL)
    con.executemany("insert into file_downloads values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def to_duckdb(sql: str) -> str:
    """BigQuery SQL as DuckDB SQL, with the public table renamed to its local stand-in."""
    tree = sqlglot.parse_one(sql, read="bigquery")
    for table in list(tree.find_all(exp.Table)):
        name = ".".join(part.name for part in table.parts)
        if name in TABLE_MAP:
            table.replace(exp.to_table(TABLE_MAP[name]))
    return tree.sql(dialect="duckdb")


def duckdb_parameters(params) -> dict:
    """BigQuery query parameters as DuckDB named prepared parameters ($name)."""
    return {p.name: list(p.values) if hasattr(p, "values") else p.value for p in params}


def run_on_duckdb(con, sql: str, params) -> pa.Table:
    """What BigQuery would return: DuckDB's DATE_TRUNC gives a TIMESTAMP, BigQuery a DATE."""
    table = con.sql(to_duckdb(sql), params=duckdb_parameters(params)).to_arrow_table()
    month = table.schema.get_field_index("month")
    return table.set_column(month, "month", table["month"].cast(pa.date32()))


def as_tuples(table: pa.Table) -> list[tuple]:
    columns = ["month", "project", "installer", "is_ci", "downloads", "days_covered"]
    return [tuple(row[c] for c in columns) for row in table.to_pylist()]


class FakeJob:
    def __init__(self, total_bytes_processed, rows):
        self.total_bytes_processed = total_bytes_processed
        self._rows = rows

    def result(self):
        return self._rows


class FakeRows:
    def __init__(self, table):
        self._table = table

    def to_arrow(self, create_bqstorage_client=True):
        return self._table


class FakeClient:
    """Answers dry runs with a fixed estimate and runs real queries on DuckDB."""

    def __init__(self, con=None, estimate=10**9, error=None):
        self.con = con if con is not None else file_downloads()
        self.estimate = estimate
        self.error = error
        self.configs = []

    def query(self, sql, job_config=None):
        self.configs.append(job_config)
        if self.error is not None:
            raise self.error
        if job_config.dry_run:
            return FakeJob(self.estimate, None)
        table = run_on_duckdb(self.con, sql, job_config.query_parameters)
        return FakeJob(self.estimate, FakeRows(table))

    @property
    def real_jobs(self):
        return [c for c in self.configs if not c.dry_run]


# 1. The SQL gives the exact monthly counts on the real nested schema.


def test_query_counts_downloads_per_month_installer_and_ci_on_the_real_schema():
    con = file_downloads()
    sql, params = monthly_downloads_query(
        ["torch", "tensorflow"], date(2024, 1, 1), date(2024, 3, 1)
    )

    result = run_on_duckdb(con, sql, params)

    assert as_tuples(result) == EXPECTED_JAN_FEB


def test_fetch_returns_the_raw_table_schema():
    client = FakeClient()

    table = fetch_monthly_downloads(client, ["torch"], date(2024, 1, 1), date(2024, 3, 1), 10**12)

    assert table.schema == bigquery_pypi.SCHEMA
    assert as_tuples(table) == [row for row in EXPECTED_JAN_FEB if row[1] == "torch"]


# 2. The partition column is bounded and the clustering column filtered.


def test_query_bounds_timestamp_and_filters_project_in_its_where_clause():
    sql, _ = monthly_downloads_query(["torch"], date(2024, 1, 1), date(2024, 2, 1))

    where = sqlglot.parse_one(sql, read="bigquery").args["where"]
    conditions = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]

    def bound(kind, parameter):
        return any(
            isinstance(c, kind)
            and c.this.name == "timestamp"
            and isinstance(c.expression, exp.Timestamp)
            and c.expression.this.name == parameter
            for c in conditions
        )

    assert bound(exp.GTE, "first_month")
    assert bound(exp.LT, "end_exclusive")
    assert any(
        isinstance(c, exp.In)
        and c.this.name == "project"
        and isinstance(c.args.get("unnest"), exp.Unnest)
        and c.args["unnest"].expressions[0].name == "projects"
        for c in conditions
    )


# 3. The cost guard.


def test_estimate_above_the_cap_raises_and_never_runs_the_query():
    client = FakeClient(estimate=1_500 * 10**9)

    with pytest.raises(BudgetExceededError) as raised:
        fetch_monthly_downloads(client, ["torch"], date(2024, 1, 1), date(2024, 2, 1), 10**12)

    message = str(raised.value)
    assert "1,500.0 GB" in message and "1,000.0 GB" in message
    assert "maximum_bytes_billed" in message and "\n" not in message
    assert client.real_jobs == []
    assert client.configs[0].dry_run and client.configs[0].use_query_cache is False


def test_estimate_below_the_cap_runs_the_query_capped():
    client = FakeClient(estimate=40 * 10**9)

    fetch_monthly_downloads(client, ["torch"], date(2024, 1, 1), date(2024, 2, 1), 10**12)

    assert [c.maximum_bytes_billed for c in client.real_jobs] == [10**12]
    assert client.real_jobs[0].to_api_repr()["query"]["maximumBytesBilled"] == "1000000000000"


def test_estimate_bytes_reads_the_dry_run():
    client = FakeClient(estimate=123_456)
    sql, params = monthly_downloads_query(["torch"], date(2024, 1, 1), date(2024, 2, 1))

    assert estimate_bytes(client, sql, params) == 123_456


# 4. User values travel only as parameters.


def test_a_hostile_project_name_travels_only_as_a_parameter():
    con = file_downloads()

    sql, params = monthly_downloads_query([EVIL], date(2024, 1, 1), date(2024, 2, 1))
    result = run_on_duckdb(con, sql, params)

    assert "drop table" not in sql.lower() and "torch" not in sql
    assert [p.values for p in params if p.name == "projects"] == [[EVIL]]
    assert as_tuples(result) == [(date(2024, 1, 1), EVIL, "pip", False, 1, 1)]
    assert con.execute("select count(*) from file_downloads").fetchone()[0] == len(ROWS)


def test_the_real_client_library_sends_the_name_as_a_typed_parameter_in_a_dry_run():
    client = bigquery.Client(project="billing-project", credentials=AnonymousCredentials())
    sent = []

    def api_request(method, path, data=None, **kwargs):  # the HTTP layer, replaced: no network
        sent.append(data)
        return {**data, "statistics": {"query": {"totalBytesProcessed": "4096"}}}

    client._connection.api_request = api_request
    sql, params = monthly_downloads_query([EVIL], date(2024, 1, 1), date(2024, 2, 1))

    estimated = estimate_bytes(client, sql, params)

    query = sent[0]["configuration"]["query"]
    assert estimated == 4096 and sent[0]["configuration"]["dryRun"] is True
    assert query["useLegacySql"] is False and query["useQueryCache"] is False
    assert EVIL not in query["query"]
    assert {p["name"]: p["parameterType"]["type"] for p in query["queryParameters"]} == {
        "projects": "ARRAY",
        "first_month": "DATE",
        "end_exclusive": "DATE",
    }
    assert query["queryParameters"][0]["parameterValue"] == {"arrayValues": [{"value": EVIL}]}


# 5. Loads: idempotent, journaled, and secret-free when they fail.


def raw_rows(warehouse):
    return warehouse.con.execute(
        "select month, project, installer, is_ci, downloads, days_covered"
        " from raw.bigquery_pypi_downloads order by all"
    ).fetchall()


def test_loading_twice_gives_identical_rows_and_two_journaled_loads(warehouse):
    client = FakeClient()
    today = date(2024, 2, 15)

    first = load_bigquery_downloads(warehouse, client, ["Torch", "tensorflow"], today=today)
    after_first = raw_rows(warehouse)
    second = load_bigquery_downloads(warehouse, client, ["Torch", "tensorflow"], today=today)

    assert after_first == [(date(2023, 12, 1), "torch", "pip", False, 1, 1), *EXPECTED_JAN_FEB]
    assert raw_rows(warehouse) == after_first
    assert (first["first_month"], first["end"]) == (date(2016, 1, 1), date(2024, 3, 1))
    assert (second["first_month"], second["end"]) == (date(2024, 2, 1), date(2024, 3, 1))
    loads = warehouse.con.execute(
        "select status, rows_loaded from meta.loads where source = 'bigquery_pypi' order by started_at"
    ).fetchall()
    assert loads == [("succeeded", 6), ("succeeded", 3)]


def test_a_failing_client_leaves_no_rows_and_a_redacted_failed_load(
    warehouse, tmp_path, monkeypatch
):
    private_key = (
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
    )
    credentials = tmp_path / "service-account.json"
    credentials.write_text(json.dumps({"type": "service_account", "private_key": private_key}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(credentials))
    client = FakeClient(error=google_errors.Forbidden(f"bad signature for key {private_key}"))

    with pytest.raises(SourceError) as raised:
        load_bigquery_downloads(warehouse, client, ["torch"], today=date(2024, 2, 15))

    assert private_key not in str(raised.value) and "***" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert count(warehouse, "select count(*) from raw.bigquery_pypi_downloads") == 0
    status, error = warehouse.con.execute("select status, error from meta.loads").fetchone()
    assert status == "failed" and "Forbidden" in error
    for (table,) in warehouse.con.execute(
        "select table_name from information_schema.tables where table_schema = 'meta'"
    ).fetchall():
        dump = str(warehouse.con.execute(f'select * from meta."{table}"').fetchall())  # noqa: S608
        assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in dump, table


def test_make_client_turns_missing_credentials_into_a_source_error(monkeypatch):
    from google.auth.exceptions import DefaultCredentialsError

    def no_credentials(project=None):
        raise DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.setattr(bigquery_pypi.bigquery, "Client", no_credentials)

    with pytest.raises(SourceError, match="Application Default Credentials"):
        make_client()


# Which months a load fetches.


def test_months_to_load_starts_at_the_earliest_month_on_an_empty_warehouse(warehouse):
    assert months_to_load(warehouse.con, ["torch"], date(2024, 2, 15)) == (
        date(2016, 1, 1),
        date(2024, 3, 1),
    )


def test_a_month_loaded_before_it_ended_is_loaded_again(warehouse):
    client = FakeClient()
    load_bigquery_downloads(
        warehouse, client, ["torch"], today=date(2024, 1, 20), earliest=date(2023, 6, 1)
    )

    since = {"earliest": date(2023, 6, 1)}
    assert months_to_load(warehouse.con, ["torch"], date(2024, 2, 2), **since) == (
        date(2024, 1, 1),
        date(2024, 3, 1),
    )
    assert months_to_load(warehouse.con, ["torch"], date(2024, 1, 25), **since) == (
        date(2024, 1, 1),
        date(2024, 2, 1),
    )
    assert months_to_load(warehouse.con, ["torch"], date(2024, 2, 2)) == (
        date(2016, 1, 1),
        date(2024, 3, 1),
    )


def test_months_without_downloads_count_as_loaded_and_a_new_project_starts_over(warehouse):
    client = FakeClient()
    load_bigquery_downloads(warehouse, client, ["torch"], today=date(2024, 2, 15))

    assert months_to_load(warehouse.con, ["torch"], date(2024, 2, 20)) == (
        date(2024, 2, 1),
        date(2024, 3, 1),
    )
    assert months_to_load(warehouse.con, ["torch", "jax"], date(2024, 2, 20)) == (
        date(2016, 1, 1),
        date(2024, 3, 1),
    )


def test_rows_without_to_arrow_are_built_into_the_raw_schema():
    row = {"month": date(2024, 1, 1), "project": "torch", "installer": "pip", "is_ci": False}
    client = FakeClient()
    client.query = lambda sql, job_config=None: FakeJob(
        1, [{**row, "downloads": 7, "days_covered": 3}]
    )

    table = fetch_monthly_downloads(client, ["torch"], date(2024, 1, 1), date(2024, 2, 1), 10**12)

    assert table.schema == bigquery_pypi.SCHEMA
    assert as_tuples(table) == [(date(2024, 1, 1), "torch", "pip", False, 7, 3)]
