-- The monthly most-starred Python repositories (EvanLi/Github-Ranking), one list a month.
-- grain: one row per cohort, month and repository listed
-- cohort: 'popular_python'
-- month: first day of the month of the list
-- listed_on: the day of the list
-- rank: position by stars, 1 = most starred
-- repo: owner/name, lower case
-- stars: stargazers that day
-- forks: forks that day
-- last_commit: the repository's last commit as of that day

with listings as (
    select * from raw.github_ranking
),

final as (
    select cohort, month, listed_on, rank, repo, stars, forks, last_commit
    from listings
)

select * from final
