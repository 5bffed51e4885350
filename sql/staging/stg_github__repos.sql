-- Repository metadata from the GitHub API.
-- grain: one row per repository
-- repo: owner/name, lower case (GitHub names are case-insensitive)
-- created_at: when the repository was created
-- pushed_at: the last push
-- stars: stargazers
-- is_fork: a fork of another repository
-- is_archived: archived (read-only)
-- owner_type: User or Organization
-- language: GitHub's primary language
-- topics: GitHub topics
-- discovered_by: how uptake found it: search, list or paper_links

with github_repos as (
    select * from raw.github_repos
),

final as (
    select
        lower(repo) as repo,
        created_at,
        pushed_at,
        stars,
        is_fork,
        is_archived,
        owner_type,
        language,
        topics,
        discovered_by
    from github_repos
)

select * from final
