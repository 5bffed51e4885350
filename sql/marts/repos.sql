-- Every repository uptake knows: mined ones, ones it tried to mine, ones with GitHub
-- metadata, papers' code and the ranking cohorts' members.
-- grain: one row per repository
-- tests: unique(repo); not_null(repo, is_paper_code, cohorts);
--     accepted_values(mining_outcome: mined, no_python, empty, gone, private, not_fetched, unreadable, failed)
-- repo: owner/name (lower case for GitHub repositories)
-- created_at: creation time on GitHub, when known
-- stars: stargazers, when known
-- owner_type: User or Organization, when known
-- is_fork: a fork, when known
-- is_archived: archived, when known
-- topics: GitHub topics, when known
-- is_paper_code: the repository is the code of a paper
-- cohorts: the cohorts it belongs to, sorted: paper_code, popular_python, ... or other (mined by hand)
-- first_listed: first month it was among the most-starred Python repositories; null when never
-- mining_outcome: mined, no_python, empty, gone, private, not_fetched, unreadable or failed; null when never tried
-- mining_reason: why it could not be mined (or holds no Python); null when mined
-- head_commit: the newest commit mined
-- first_month_mined: first month-end snapshot mined
-- last_month_mined: last month-end snapshot mined
-- months_mined: month-end snapshots mined
-- active_months: mined months with a commit during the month

with github_repos as (
    select * from staging.stg_github__repos
),

snapshots as (
    select * from staging.stg_mining__repo_snapshots
),

paper_repositories as (
    select * from intermediate.int_paper_repositories
),

cohorts as (
    select * from intermediate.int_repo_cohorts
),

outcomes as (
    select * from staging.stg_mining__outcomes
),

repo_cohorts as (
    select
        repo,
        list_sort(list(distinct cohort)) as cohorts,
        min(entered) filter (where cohort = 'popular_python') as first_listed
    from cohorts
    group by repo
),

mined as (
    select
        lower(repo) as repo,
        min(month) as first_month_mined,
        max(month) as last_month_mined,
        count(*) as months_mined,
        count(*) filter (where is_active) as active_months
    from snapshots
    group by lower(repo)
),

known as (
    select repo from github_repos
    union
    select repo from mined
    union
    select repo from repo_cohorts
    union
    select repo from outcomes
),

final as (
    select
        known.repo,
        github_repos.created_at,
        github_repos.stars,
        github_repos.owner_type,
        github_repos.is_fork,
        github_repos.is_archived,
        github_repos.topics,
        known.repo in (select lower(repo) from paper_repositories) as is_paper_code,
        coalesce(repo_cohorts.cohorts, ['other']) as cohorts,
        repo_cohorts.first_listed,
        outcomes.outcome as mining_outcome,
        outcomes.reason as mining_reason,
        outcomes.head_commit,
        mined.first_month_mined,
        mined.last_month_mined,
        coalesce(mined.months_mined, 0) as months_mined,
        coalesce(mined.active_months, 0) as active_months
    from known
    left join github_repos on known.repo = github_repos.repo
    left join mined on known.repo = mined.repo
    left join repo_cohorts on known.repo = repo_cohorts.repo
    left join outcomes on known.repo = outcomes.repo
)

select * from final
