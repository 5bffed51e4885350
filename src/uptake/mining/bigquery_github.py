"""Imports at scale from BigQuery's `github_repos` snapshot.

`github_repos` holds one snapshot of many public repositories (the tree at `files.ref`),
not their history, so this mode gives one month per repository: the month the snapshot
was taken. The heavy scan stays in BigQuery: the query selects Python file ids from the
small `files` table first, reads only those from the terabyte `contents` table, and
returns per blob just its top-level import roots (found by a line regex, the same rule
as the extractor's fallback), never file contents.

Blob ids in `github_repos` are git blob shas, so results land in the same tables as
local and API mining; they are cached under a negative extractor version, so a later
local or API run parses those blobs again with the full extractor.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

from google.cloud import bigquery

from uptake.mining import store
from uptake.sources.bigquery_jobs import DEFAULT_CAP, run_within_budget
from uptake.warehouse import Load, Warehouse

SOURCE = "mining_bigquery"
BIGQUERY_EXTRACTOR_VERSION = -1  # never equal to store.EXTRACTOR_VERSION: not the full extractor

IMPORTS_QUERY = r"""
WITH python_files AS (
  SELECT repo_name, path, id
  FROM `bigquery-public-data.github_repos.files`
  WHERE repo_name IN UNNEST(@repos)
    AND (ENDS_WITH(path, '.py') OR ENDS_WITH(path, '.ipynb'))
    AND mode IN (33188, 33261)
),
python_contents AS (
  SELECT id, content
  FROM `bigquery-public-data.github_repos.contents`
  WHERE id IN (SELECT DISTINCT id FROM python_files)
    AND NOT binary
),
import_lines AS (
  SELECT id, line
  FROM python_contents, UNNEST(SPLIT(content, '\n')) AS line
  WHERE REGEXP_CONTAINS(line, r'^[\s"]*(import|from)\s+[A-Za-z_]')
),
blob_roots AS (
  SELECT id, REGEXP_EXTRACT(line, r'^[\s"]*(?:import|from)\s+([A-Za-z_][A-Za-z0-9_]*)') AS import_root
  FROM import_lines
)
SELECT
  f.repo_name,
  f.path,
  f.id AS blob_sha,
  ARRAY(SELECT DISTINCT r.import_root FROM blob_roots AS r
        WHERE r.id = f.id AND r.import_root IS NOT NULL ORDER BY r.import_root) AS import_roots
FROM python_files AS f
ORDER BY f.repo_name, f.path
"""


def imports_query(repos: list[str]) -> tuple[str, list]:
    return IMPORTS_QUERY, [bigquery.ArrayQueryParameter("repos", "STRING", sorted(set(repos)))]


def fetch_snapshot_imports(
    client, repos: list[str], maximum_bytes_billed: int = DEFAULT_CAP
) -> list[dict]:
    sql, params = imports_query(repos)
    rows = run_within_budget(
        client,
        sql,
        params,
        maximum_bytes_billed,
        what=f"imports of {len(set(repos))} repositories in github_repos",
        hint="mine fewer repositories per job",
    )
    return [dict(row.items()) for row in rows]


def load_snapshot_imports(
    warehouse: Warehouse,
    client,
    repos: list[str],
    snapshot_date: date,
    *,
    maximum_bytes_billed: int = DEFAULT_CAP,
) -> dict:
    """One month per repository (the snapshot's), written like local mining's rows."""
    rows = fetch_snapshot_imports(client, repos, maximum_bytes_billed)
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_repo[row["repo_name"]].append(row)
    month = snapshot_date.replace(day=1)
    snapshot_time = datetime.combine(snapshot_date, datetime.min.time())
    blobs = {
        row["blob_sha"]: store.BlobImports(
            row["blob_sha"], tuple(row["import_roots"] or ()), (), (), "bigquery_regex", None, -1
        )
        for row in rows
    }
    cached = store.cached_blobs(warehouse.con, blobs)
    store.save_blobs(
        warehouse.con,
        store.blob_table([b for sha, b in blobs.items() if sha not in cached]),
        extractor_version=BIGQUERY_EXTRACTOR_VERSION,
    )
    snapshots = [
        store.MonthSnapshot(
            repo=repo,
            month=month,
            commit_sha=f"github_repos@{snapshot_date.isoformat()}",
            committed_at=snapshot_time,
            python_files=sum(1 for f in files if f["path"].endswith(".py")),
            notebook_files=sum(1 for f in files if f["path"].endswith(".ipynb")),
            fallback_files=0,
            skipped_files=0,
            blob_files=dict(Counter(f["blob_sha"] for f in files)),
        )
        for repo, files in sorted(by_repo.items())
    ]
    load = Load(SOURCE, {"repos": sorted(set(repos)), "snapshot_date": snapshot_date.isoformat()})
    for missing in sorted(set(repos) - by_repo.keys()):
        load.reject(missing, "no Python files for this repository in github_repos")
    with warehouse.load(SOURCE, load.parameters, load):
        load.rows_loaded = store.replace_months(warehouse.con, snapshots, "bigquery", load.load_id)
    return load.summary()
