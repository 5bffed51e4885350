-- Monthly PyPI downloads of every project the study follows, from every download source.
-- Counts are "downloads per 30 days" so that sources and partial months compare: the
-- top-PyPI dump is a 30-day count already; BigQuery and pypistats month totals are
-- scaled by 30 / days_covered. A month with several top-PyPI snapshots (weekly in
-- 2018-19) takes their mean. A project absent from a snapshot had fewer downloads than
-- the snapshot's cut-off: it is censored, bounded by 0 and the cut-off, never zero.
-- grain: one row per technology, project, month and source
-- tests: unique(technology, project, month, source); not_null(technology, project, month, source);
--     accepted_values(source: top_pypi, bigquery, pypistats)
-- technology: study technology id
-- project: PyPI project, PEP 503 normalised
-- month: first day of the month measured
-- source: 'top_pypi', 'bigquery' or 'pypistats'
-- downloads: downloads per 30 days; null when censored
-- downloads_low: lower bound (censored snapshots counted as 0)
-- downloads_high: upper bound (censored snapshots counted at their cut-off)
-- is_censored: true when the project was below the cut-off in a snapshot of the month
-- censor_limit: the cut-off the project was below, when censored
-- n_observations: snapshots (top_pypi) or days (bigquery, pypistats) behind the figure

with study_projects as (
    select * from meta.study_projects
),

top_pypi_snapshots as (
    select * from staging.stg_top_pypi__snapshots
),

top_pypi_downloads as (
    select * from staging.stg_top_pypi__downloads
),

bigquery_downloads as (
    select * from staging.stg_bigquery__pypi_downloads
),

pypistats_downloads as (
    select * from staging.stg_pypistats__downloads
),

top_pypi_observations as (
    -- every study project in every snapshot: listed, or censored below the cut-off; a
    -- compact copy says nothing of the projects it was not made for
    select
        study_projects.technology,
        study_projects.project,
        top_pypi_snapshots.measured_month as month,
        top_pypi_snapshots.cutoff,
        top_pypi_downloads.download_count
    from study_projects
    cross join top_pypi_snapshots
    left join top_pypi_downloads
        on top_pypi_downloads.project = study_projects.project
        and top_pypi_downloads.snapshot_at = top_pypi_snapshots.snapshot_at
    where top_pypi_snapshots.covers_projects is null
        or list_contains(top_pypi_snapshots.covers_projects, study_projects.project)
),

top_pypi_monthly as (
    select
        technology,
        project,
        month,
        'top_pypi' as source,
        sum(coalesce(download_count, 0)) / count(*) as downloads_low,
        sum(coalesce(download_count, cutoff)) / count(*) as downloads_high,
        count(download_count) < count(*) as is_censored,
        max(cutoff) filter (where download_count is null) as censor_limit,
        count(*) as n_observations
    from top_pypi_observations
    group by technology, project, month
),

bigquery_monthly as (
    select
        study_projects.technology,
        study_projects.project,
        bigquery_downloads.month,
        'bigquery' as source,
        bigquery_downloads.downloads * 30.0 / bigquery_downloads.days_covered as downloads_low,
        bigquery_downloads.downloads * 30.0 / bigquery_downloads.days_covered as downloads_high,
        false as is_censored,
        cast(null as bigint) as censor_limit,
        bigquery_downloads.days_covered as n_observations
    from bigquery_downloads
    inner join study_projects on bigquery_downloads.project = study_projects.project
),

pypistats_monthly as (
    select
        study_projects.technology,
        study_projects.project,
        pypistats_downloads.month,
        'pypistats' as source,
        pypistats_downloads.downloads * 30.0 / pypistats_downloads.days_covered as downloads_low,
        pypistats_downloads.downloads * 30.0 / pypistats_downloads.days_covered as downloads_high,
        false as is_censored,
        cast(null as bigint) as censor_limit,
        pypistats_downloads.days_covered as n_observations
    from pypistats_downloads
    inner join study_projects on pypistats_downloads.project = study_projects.project
),

all_sources as (
    select * from top_pypi_monthly
    union all
    select * from bigquery_monthly
    union all
    select * from pypistats_monthly
),

final as (
    select
        technology,
        project,
        month,
        source,
        case when not is_censored then cast(downloads_low as double) end as downloads,
        cast(downloads_low as double) as downloads_low,
        cast(downloads_high as double) as downloads_high,
        is_censored,
        censor_limit,
        n_observations
    from all_sources
)

select * from final
