-- Downloads per project in each top-PyPI-packages snapshot, names normalised (PEP 503).
-- grain: one row per snapshot and project
-- snapshot_at: the snapshot (see stg_top_pypi__snapshots)
-- measured_month: the month the snapshot measures
-- project: PyPI project, lower case with runs of '-', '_', '.' as one '-'
-- download_count: downloads in the 30 days before snapshot_at

with downloads as (
    select * from raw.top_pypi_downloads
),

snapshots as (
    select * from staging.stg_top_pypi__snapshots
),

normalised as (
    select
        snapshot_at,
        lower(regexp_replace(project, '[-_.]+', '-', 'g')) as project,
        download_count
    from downloads
),

deduplicated as (
    select snapshot_at, project, max(download_count) as download_count
    from normalised
    group by snapshot_at, project
),

final as (
    select
        deduplicated.snapshot_at,
        snapshots.measured_month,
        deduplicated.project,
        deduplicated.download_count
    from deduplicated
    inner join snapshots on deduplicated.snapshot_at = snapshots.snapshot_at
)

select * from final
