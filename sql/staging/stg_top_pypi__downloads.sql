-- Downloads per project in each top-PyPI-packages snapshot, names normalised (PEP 503).
-- grain: one row per snapshot and project
-- tests: unique(snapshot_at, project); not_null(snapshot_at, project, download_count)
-- snapshot_at: the snapshot (see stg_top_pypi__snapshots)
-- project: PyPI project, lower case with runs of '-', '_', '.' as one '-'
-- download_count: downloads in the 30 days before snapshot_at

with downloads as (
    select * from raw.top_pypi_downloads
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
    select * from deduplicated
)

select * from final
