-- Which of the study's technologies each mined repository imports, month by month.
-- A file imports a technology when it imports any of the technology's import roots
-- (`from torch.nn import X` is PyTorch through the root 'torch'); each file counts once
-- per technology even when it imports several of its roots.
-- grain: one row per repository, month and technology imported that month
-- repo: repository
-- month: first day of the month
-- technology: study technology id
-- files_importing: .py and .ipynb files of the month-end tree importing it
-- python_files: .py and .ipynb files in the tree
-- commit: the month-end commit mined
-- is_active: true when the repository had a commit during the month

with snapshots as (
    select * from staging.stg_mining__repo_snapshots
),

snapshot_blobs as (
    select * from staging.stg_mining__snapshot_blobs
),

blob_imports as (
    select * from staging.stg_mining__blob_imports
),

study_import_roots as (
    select * from meta.study_import_roots
),

blob_technologies as (
    select distinct blob_imports.blob_sha, study_import_roots.technology
    from blob_imports
    inner join study_import_roots on blob_imports.import_root = study_import_roots.import_root
),

files_per_technology as (
    select
        snapshot_blobs.repo,
        snapshot_blobs.month,
        blob_technologies.technology,
        sum(snapshot_blobs.files) as files_importing
    from snapshot_blobs
    inner join blob_technologies on snapshot_blobs.blob_sha = blob_technologies.blob_sha
    group by snapshot_blobs.repo, snapshot_blobs.month, blob_technologies.technology
),

final as (
    select
        files_per_technology.repo,
        files_per_technology.month,
        files_per_technology.technology,
        cast(files_per_technology.files_importing as integer) as files_importing,
        snapshots.python_files + snapshots.notebook_files as python_files,
        snapshots.commit_sha as commit,
        snapshots.is_active
    from files_per_technology
    inner join snapshots
        on files_per_technology.repo = snapshots.repo
        and files_per_technology.month = snapshots.month
)

select * from final
