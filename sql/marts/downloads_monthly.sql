-- Monthly PyPI downloads of every project the study follows, from every download source
-- (built in intermediate.int_downloads_monthly, which the industry segment reads).
-- Counts are "downloads per 30 days" so that sources and partial months compare: the
-- top-PyPI dump is a 30-day count already; BigQuery and pypistats month totals are
-- scaled by 30 / days_covered. A month with several top-PyPI snapshots (weekly in
-- 2018-19) takes their mean. A project absent from a snapshot had fewer downloads than
-- the snapshot's cut-off: it is censored, bounded by 0 and the cut-off, never zero.
-- grain: one row per technology, project, month and source
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

with downloads_monthly as (
    select * from intermediate.int_downloads_monthly
)

select * from downloads_monthly
