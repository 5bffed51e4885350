-- The oss_imports segment: open-source repositories importing each technology.
-- A repository counts in a month when it was active (had a commit during the month) and
-- its month-end tree imports the technology in at least one file. Repositories that are
-- code of papers are left out: they are the research_code segment.
-- grain: one row per technology and month
-- segment: 'oss_imports'
-- technology: study technology id
-- month: first day of the month
-- value: active repositories importing the technology
-- value_low: equals value
-- value_high: equals value
-- is_censored: false
-- is_count: true: repositories are counted
-- n_observations: active repositories with Python files that month
-- source: 'mined_imports'

with repo_imports_monthly as (
    select * from marts.repo_imports_monthly
),

snapshots as (
    select * from staging.stg_mining__repo_snapshots
),

paper_repos as (
    select * from intermediate.int_paper_repositories
),

active_repos as (
    select repo, month
    from snapshots
    where is_active and python_files + notebook_files > 0
        and lower(repo) not in (select lower(repo) from paper_repos)
),

active_per_month as (
    select month, count(*) as n_active
    from active_repos
    group by month
),

importing as (
    select repo_imports_monthly.technology, repo_imports_monthly.month, count(*) as repositories
    from repo_imports_monthly
    inner join active_repos
        on repo_imports_monthly.repo = active_repos.repo
        and repo_imports_monthly.month = active_repos.month
    group by repo_imports_monthly.technology, repo_imports_monthly.month
),

final as (
    select
        'oss_imports' as segment,
        importing.technology,
        importing.month,
        importing.repositories as value,
        importing.repositories as value_low,
        importing.repositories as value_high,
        false as is_censored,
        true as is_count,
        active_per_month.n_active as n_observations,
        'mined_imports' as source
    from importing
    inner join active_per_month on importing.month = active_per_month.month
)

select * from final
