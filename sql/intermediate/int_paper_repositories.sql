-- Repositories that are the code of a paper: GitHub repositories linked from Papers with
-- Code or from a conference's per-paper list (He's or Paper Copilot's), and those found
-- through papers' links.
-- grain: one row per repository
-- repo: owner/name, lower case

with code_links as (
    select * from staging.stg_pwc__code_links
),

paper_code_links as (
    select * from intermediate.int_paper_code_links
),

github_repos as (
    select * from staging.stg_github__repos
),

linked as (
    select github_repo as repo from code_links where github_repo is not null
    union
    select repo from paper_code_links
    union
    select repo from github_repos where discovered_by = 'paper_links'
),

final as (
    select distinct lower(repo) as repo from linked where repo is not null and repo <> ''
)

select * from final
