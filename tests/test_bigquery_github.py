"""BigQuery github_repos mining, checked offline: the SQL runs on DuckDB tables with the
real schema of `files` and `contents`, through a fake client that answers like BigQuery."""

from datetime import date

import duckdb
import pytest
import sqlglot

from uptake.errors import BudgetExceededError
from uptake.mining import bigquery_github

# As Jupyter writes notebooks: indented JSON, one line per source line.
NOTEBOOK = """{
 "cells": [
  {
   "cell_type": "code",
   "source": [
    "import jax\\n",
    "from flax import linen\\n"
   ]
  }
 ]
}
"""


def github_repos_tables() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("attach ':memory:' as \"bigquery-public-data\"")
    con.execute('create schema "bigquery-public-data".github_repos')
    con.execute(
        'create table "bigquery-public-data".github_repos.files '
        "(repo_name varchar, ref varchar, path varchar, mode bigint, id varchar, symlink_target varchar)"
    )
    con.execute(
        'create table "bigquery-public-data".github_repos.contents '
        '(id varchar, size bigint, content varchar, "binary" boolean, copies bigint)'
    )
    files = [
        ("ml/app", "refs/heads/master", "train.py", 33188, "b1", None),
        ("ml/app", "refs/heads/master", "copy/train.py", 33188, "b1", None),
        ("ml/app", "refs/heads/master", "nb.ipynb", 33188, "b2", None),
        ("ml/app", "refs/heads/master", "README.md", 33188, "b3", None),
        ("ml/app", "refs/heads/master", "link.py", 40960, "b4", "train.py"),
        ("other/repo", "refs/heads/master", "x.py", 33188, "b5", None),
        ("web/site", "refs/heads/main", "bin.py", 33261, "b6", None),
    ]
    contents = [
        (
            "b1",
            60,
            "import torch.nn as nn\nfrom os import path\n# import nothing\nx = 1\n",
            False,
            2,
        ),
        ("b2", 80, NOTEBOOK, False, 1),
        ("b3", 20, "import markdown_is_not_python\n", False, 1),
        ("b5", 10, "import requests\n", False, 1),
        ("b6", 10, "\x00\x01", True, 1),
    ]
    con.executemany(
        'insert into "bigquery-public-data".github_repos.files values (?, ?, ?, ?, ?, ?)', files
    )
    con.executemany(
        'insert into "bigquery-public-data".github_repos.contents values (?, ?, ?, ?, ?)', contents
    )
    return con


class FakeJob:
    def __init__(self, rows=(), total_bytes_processed=0):
        self._rows = rows
        self.total_bytes_processed = total_bytes_processed

    def result(self):
        return self._rows


class Row(dict):
    def items(self):
        return super().items()


class DuckDBBackedClient:
    """Answers dry runs with a fixed estimate and real runs by executing the transpiled SQL."""

    def __init__(self, con, estimate=10**9):
        self.con = con
        self.estimate = estimate
        self.configs = []

    def query(self, sql, job_config):
        self.configs.append(job_config)
        if job_config.dry_run:
            return FakeJob(total_bytes_processed=self.estimate)
        params = {p.name: p.values for p in job_config.query_parameters}
        duck_sql = sqlglot.transpile(sql, read="bigquery", write="duckdb")[0]
        cursor = self.con.execute(duck_sql, params)
        columns = [d[0] for d in cursor.description]
        return FakeJob([Row(zip(columns, row, strict=True)) for row in cursor.fetchall()])


def test_the_query_reads_only_python_files_and_returns_roots_per_blob():
    client = DuckDBBackedClient(github_repos_tables())

    rows = bigquery_github.fetch_snapshot_imports(client, ["ml/app", "web/site"])

    assert [(r["repo_name"], r["path"], r["blob_sha"], list(r["import_roots"])) for r in rows] == [
        ("ml/app", "copy/train.py", "b1", ["os", "torch"]),
        ("ml/app", "nb.ipynb", "b2", ["flax", "jax"]),
        ("ml/app", "train.py", "b1", ["os", "torch"]),
        ("web/site", "bin.py", "b6", []),
    ]
    assert client.configs[0].dry_run and client.configs[1].maximum_bytes_billed == 10**12


def test_the_query_selects_file_ids_before_touching_contents():
    tree = sqlglot.parse_one(bigquery_github.IMPORTS_QUERY, read="bigquery")

    contents_scan = next(t for t in tree.find_all(sqlglot.exp.Table) if t.name == "contents")
    where = contents_scan.find_ancestor(sqlglot.exp.Select).args["where"]
    assert "python_files" in where.sql(), "contents must be filtered by the ids chosen from files"


def test_snapshot_imports_land_as_one_month_per_repository(warehouse):
    client = DuckDBBackedClient(github_repos_tables())

    summary = bigquery_github.load_snapshot_imports(
        warehouse, client, ["ml/app", "absent/repo"], snapshot_date=date(2022, 11, 28)
    )

    snapshots = warehouse.con.execute(
        "select repo, month, python_files, notebook_files, source from raw.repo_snapshots"
    ).fetchall()
    blobs = warehouse.con.execute(
        "select blob_sha, files from raw.repo_snapshot_blobs order by blob_sha"
    ).fetchall()
    assert snapshots == [("ml/app", date(2022, 11, 1), 2, 1, "bigquery")]
    assert blobs == [("b1", 2), ("b2", 1)]
    assert summary["rejects"] == [
        ("absent/repo", "no Python files for this repository in github_repos")
    ]
    versions = warehouse.con.execute(
        "select distinct extractor_version from raw.blob_imports"
    ).fetchall()
    assert versions == [(-1,)]


def test_a_job_over_budget_is_refused_before_it_runs(warehouse):
    client = DuckDBBackedClient(github_repos_tables(), estimate=5 * 10**12)

    with pytest.raises(
        BudgetExceededError, match=r"would scan 5,000.0 GB .* above the cap of 1,000.0 GB"
    ):
        bigquery_github.load_snapshot_imports(
            warehouse, client, ["ml/app"], snapshot_date=date(2022, 11, 28)
        )

    assert len(client.configs) == 1 and client.configs[0].dry_run
    assert warehouse.con.execute("select count(*) from raw.repo_snapshots").fetchone() == (0,)
