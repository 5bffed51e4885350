-- Papers of the conferences' lists (Paper Copilot's and He's) and the GitHub
-- repositories their code fields name, each paper in its conference's month.
-- title_key (the title's letters and digits, lower case) identifies a paper across
-- lists, so a paper listed twice (ICML 2019 is in both) counts once downstream.
-- grain: one row per paper and GitHub repository
-- paper_key: conference, year and list id
-- source: 'paper_list' (Paper Copilot) or 'conference_list' (He's per-paper lists)
-- title_key: lower-case letters and digits of the title
-- month: first day of the conference's month
-- repo: owner/name, lower case

with paper_lists as (
    select * from staging.stg_paper_lists__papers
),

conference_papers as (
    select * from intermediate.int_conference_papers
),

listed as (
    select paper_key, 'paper_list' as source, title, edition_month as month, repo
    from paper_lists, unnest(paper_lists.github_repos) as u (repo)
    union all
    select
        paper_key,
        'conference_list' as source,
        title,
        edition_month as month,
        lower(regexp_extract(code_repo_url, 'github\.com/([^/]+/[^/]+)', 1)) as repo
    from conference_papers
    where code_repo_is_github
),

final as (
    select distinct
        paper_key,
        source,
        regexp_replace(lower(title), '[^a-z0-9]', '', 'g') as title_key,
        month,
        repo
    from listed
    where repo is not null and repo <> '' and month is not null
)

select * from final
