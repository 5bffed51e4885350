-- The industry_downloads segment: PyPI downloads per 30 days summed over each
-- technology's projects. Each month takes one download source for every technology, so
-- a share never mixes sources: BigQuery first, then pypistats, then the top-PyPI dump.
-- A censored project counts at the middle of its bounds in `value`.
-- grain: one row per technology and month
-- segment: 'industry_downloads'
-- technology: study technology id
-- month: first day of the month
-- value: downloads per 30 days
-- value_low: lower bound of value (censoring)
-- value_high: upper bound of value (censoring)
-- is_censored: true when part of value is only known as a bound
-- is_count: false: downloads are not a count of independent items
-- n_observations: snapshots or days of downloads behind value
-- source: the download source the month's value comes from

with downloads_monthly as (
    select * from intermediate.int_downloads_monthly
),

source_precedence as (
    select * from (values ('bigquery', 1), ('pypistats', 2), ('top_pypi', 3)) as t (source, precedence)
),

month_source as (
    select downloads_monthly.month, arg_min(downloads_monthly.source, source_precedence.precedence) as source
    from downloads_monthly
    inner join source_precedence on downloads_monthly.source = source_precedence.source
    group by downloads_monthly.month
),

industry_downloads as (
    select
        'industry_downloads' as segment,
        downloads_monthly.technology,
        downloads_monthly.month,
        sum(coalesce(downloads_monthly.downloads,
            (downloads_monthly.downloads_low + downloads_monthly.downloads_high) / 2)) as value,
        sum(downloads_monthly.downloads_low) as value_low,
        sum(downloads_monthly.downloads_high) as value_high,
        bool_or(downloads_monthly.is_censored) as is_censored,
        false as is_count,
        max(downloads_monthly.n_observations) as n_observations,
        month_source.source
    from downloads_monthly
    inner join month_source
        on downloads_monthly.month = month_source.month
        and downloads_monthly.source = month_source.source
    group by downloads_monthly.technology, downloads_monthly.month, month_source.source
),

final as (
    select * from industry_downloads
)

select * from final
