-- Monthly PyPI downloads from pypistats.org (mirrors already excluded by the API).
-- pypistats keeps 180 days, so the first and the current month are partial.
-- grain: one row per month and project
-- month: first day of the month
-- project: PyPI project, PEP 503 normalised
-- downloads: downloads on the days covered
-- days_covered: days of the month with data

with daily as (
    select * from raw.pypistats_downloads
),

without_mirrors as (
    select * from daily where category = 'without_mirrors'
),

monthly as (
    select
        cast(date_trunc('month', day) as date) as month,
        lower(regexp_replace(project, '[-_.]+', '-', 'g')) as project,
        sum(downloads) as downloads,
        count(distinct day) as days_covered
    from without_mirrors
    group by 1, 2
),

final as (
    select * from monthly
)

select * from final
