-- Month-end snapshots of mined repositories, from any mining mode (local, api, bigquery).
-- grain: one row per repository and month
-- repo: owner/name (GitHub) or the clone's name
-- month: first day of the month; the snapshot is the tree at its last first-parent commit
-- commit_sha: that commit
-- committed_at: when it was committed (UTC)
-- is_active: true when the commit was made during the month (the repository changed)
-- python_files: .py files in the tree
-- notebook_files: .ipynb files in the tree
-- fallback_files: files read by the line-based fallback
-- skipped_files: files that could not be read (binary, oversized, LFS pointers)
-- source: local, api or bigquery

with snapshots as (
    select * from raw.repo_snapshots
),

final as (
    select
        repo,
        month,
        commit_sha,
        committed_at,
        committed_at >= month as is_active,
        python_files,
        notebook_files,
        fallback_files,
        skipped_files,
        source
    from snapshots
)

select * from final
