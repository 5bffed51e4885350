-- The oss_imports segment: open-source repositories importing each technology.
-- Open source means a mined repository of a ranking cohort (the most-starred Python
-- repositories), or one mined by hand that is no paper's code (cohort 'other'); a paper's
-- code is the research_code segment unless it is also in a ranking cohort.
-- A repository counts in a month when it was active (had a commit during the month) and
-- its month-end tree imports the technology in at least one file. Every technology with
-- import roots has a row in every month with an active repository, 0 where none imports
-- it, so a rivalry's months compare like with like.
-- grain: one row per technology and month
-- segment: 'oss_imports'
-- technology: study technology id
-- month: first day of the month
-- value: active repositories importing the technology
-- value_low: equals value
-- value_high: equals value
-- is_censored: false
-- is_count: true: repositories are counted
-- n_observations: active open-source repositories with Python files that month
-- source: 'mined_imports'

with snapshots as (
    select * from staging.stg_mining__repo_snapshots
),

repo_month_technologies as (
    select * from intermediate.int_repo_month_technologies
),

import_roots as (
    select * from meta.study_import_roots
),

cohorts as (
    select * from intermediate.int_repo_cohorts
),

open_source as (
    select distinct repo from cohorts where cohort <> 'paper_code'
),

active_repos as (
    select snapshots.repo, snapshots.month
    from snapshots
    where snapshots.is_active
        and snapshots.python_files + snapshots.notebook_files > 0
        and lower(snapshots.repo) in (select repo from open_source)
),

active_per_month as (
    select month, count(*) as n_active
    from active_repos
    group by month
),

importing as (
    select
        repo_month_technologies.technology,
        active_repos.month,
        count(distinct active_repos.repo) as repositories
    from active_repos
    inner join repo_month_technologies
        on active_repos.repo = repo_month_technologies.repo
        and active_repos.month = repo_month_technologies.month
    group by repo_month_technologies.technology, active_repos.month
),

technology_months as (
    select technologies.technology, active_per_month.month, active_per_month.n_active
    from (select distinct technology from import_roots) as technologies
    cross join active_per_month
),

final as (
    select
        'oss_imports' as segment,
        technology_months.technology,
        technology_months.month,
        coalesce(importing.repositories, 0) as value,
        coalesce(importing.repositories, 0) as value_low,
        coalesce(importing.repositories, 0) as value_high,
        false as is_censored,
        true as is_count,
        technology_months.n_active as n_observations,
        'mined_imports' as source
    from technology_months
    left join importing
        on technology_months.technology = importing.technology
        and technology_months.month = importing.month
)

select * from final
