-- Papers of the Paper Copilot lists, each placed in its edition's month (the month the
-- conference opened, from the loader's documented table of editions).
-- grain: one row per conference edition and paper
-- paper_key: conference, year and list id ('cvpr-2023:t:0123456789ab' when the list has no id)
-- conference: lower-case conference id ('neurips' for NeurIPS and NIPS)
-- year: the edition's year
-- paper_id: the list's id, else a digest of the title and page
-- title: the paper's title
-- status: Oral, Poster, Spotlight, ... as listed
-- track: the list's track
-- site: the paper's page
-- edition_month: first day of the month the conference opened
-- month_basis: the edition's opening day and place, where its month comes from
-- code_field: the code field as listed
-- github_repos: GitHub repositories the code field names, owner/name, lower case
-- other_code_urls: code links on other hosts, normalised (kept, never mined)
-- has_github_code: true when the paper names at least one GitHub repository

with papers as (
    select * from raw.paper_list_papers
),

editions as (
    select * from raw.paper_list_editions
),

final as (
    select
        papers.conference || '-' || papers.year || ':' || papers.paper_id as paper_key,
        papers.conference,
        papers.year,
        papers.paper_id,
        papers.title,
        papers.status,
        papers.track,
        papers.site,
        editions.edition_month,
        editions.month_basis,
        papers.code_field,
        papers.github_repos,
        papers.other_code_urls,
        len(papers.github_repos) > 0 as has_github_code
    from papers
    inner join editions
        on papers.conference = editions.conference
        and papers.year = editions.year
)

select * from final
