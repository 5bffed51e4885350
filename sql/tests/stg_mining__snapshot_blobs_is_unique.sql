-- stg_mining__snapshot_blobs (raw.repo_snapshot_blobs) has one row per repository, month and blob (no index holds it).
select repo, month, blob_sha, count(*) as n_rows
from staging.stg_mining__snapshot_blobs
group by repo, month, blob_sha
having count(*) > 1
