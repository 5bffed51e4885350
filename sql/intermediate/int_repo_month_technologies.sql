-- Which of the study's technologies each mined repository's month-end tree imports, and
-- in how many files. A file imports a technology when it imports any of the technology's
-- import roots (`from torch.nn import X` is PyTorch through the root 'torch'); each file
-- counts once per technology even when it imports several of its roots.
-- grain: one row per repository, month and technology imported that month
-- repo: repository, as mined
-- month: first day of the month
-- technology: study technology id
-- files_importing: .py and .ipynb files of the month-end tree importing it

with snapshot_blobs as (
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

final as (
    select
        snapshot_blobs.repo,
        snapshot_blobs.month,
        blob_technologies.technology,
        sum(snapshot_blobs.files) as files_importing
    from snapshot_blobs
    inner join blob_technologies on snapshot_blobs.blob_sha = blob_technologies.blob_sha
    group by snapshot_blobs.repo, snapshot_blobs.month, blob_technologies.technology
)

select * from final
