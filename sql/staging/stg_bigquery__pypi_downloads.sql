-- Monthly PyPI downloads from BigQuery's pypi.file_downloads, without mirrors.
-- Mirrors (bandersnatch and the like) re-download every release and say nothing about use;
-- the list is pypistats.org's, so the two sources agree.
-- grain: one row per month and project
-- month: first day of the month
-- project: PyPI project, PEP 503 normalised
-- downloads: downloads in the month, mirrors excluded
-- ci_downloads: the part of downloads flagged as coming from CI
-- days_covered: days of the month the data covers (fewer in the current month)

with downloads as (
    select * from raw.bigquery_pypi_downloads
),

without_mirrors as (
    select *
    from downloads
    where installer not in (
        'bandersnatch', 'z3c.pypimirror', 'Artifactory', 'devpi'
    )
),

monthly as (
    select
        month,
        lower(regexp_replace(project, '[-_.]+', '-', 'g')) as project,
        sum(downloads) as downloads,
        coalesce(sum(downloads) filter (where is_ci), 0) as ci_downloads,
        max(days_covered) as days_covered
    from without_mirrors
    group by month, lower(regexp_replace(project, '[-_.]+', '-', 'g'))
),

final as (
    select * from monthly
)

select * from final
