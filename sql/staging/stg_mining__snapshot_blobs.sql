-- The distinct blobs in each mined month-end tree, with how many paths hold each.
-- grain: one row per repository, month and blob
-- tests: unique(repo, month, blob_sha)
-- repo: repository
-- month: first day of the month
-- blob_sha: git blob id
-- files: paths holding the blob in the tree

with snapshot_blobs as (
    select * from raw.repo_snapshot_blobs
),

final as (
    select repo, month, blob_sha, files from snapshot_blobs
)

select * from final
