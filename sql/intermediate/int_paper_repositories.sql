-- Repositories that are the code of a paper: discovered through papers' code links.
-- grain: one row per repository
-- repo: owner/name

with github_repos as (
    select * from raw.github_repos
),

final as (
    select distinct repo from github_repos where discovered_by = 'paper_links'
)

select * from final
