-- Which cohorts each repository belongs to: 'paper_code' (a paper's code), a ranking
-- cohort ('popular_python': once among the month's most-starred Python repositories), or
-- 'other' (mined, but in no cohort: a repository a user mined by hand).
-- grain: one row per repository and cohort
-- repo: owner/name, lower case
-- cohort: paper_code, popular_python, ... or other
-- entered: first month the repository was in the cohort (the paper's month for paper_code); null for other

with paper_repositories as (
    select * from intermediate.int_paper_repositories
),

paper_code_links as (
    select * from intermediate.int_paper_code_links
),

listings as (
    select * from staging.stg_github_ranking__listings
),

snapshots as (
    select * from staging.stg_mining__repo_snapshots
),

paper_code as (
    select
        paper_repositories.repo,
        'paper_code' as cohort,
        min(paper_code_links.month) as entered
    from paper_repositories
    left join paper_code_links on paper_repositories.repo = paper_code_links.repo
    group by paper_repositories.repo
),

ranked as (
    select repo, cohort, min(month) as entered
    from listings
    group by repo, cohort
),

in_cohorts as (
    select * from paper_code
    union all
    select * from ranked
),

unlisted as (
    select distinct lower(repo) as repo, 'other' as cohort, cast(null as date) as entered
    from snapshots
    where lower(repo) not in (select repo from in_cohorts)
),

final as (
    select * from in_cohorts
    union all
    select * from unlisted
)

select * from final
