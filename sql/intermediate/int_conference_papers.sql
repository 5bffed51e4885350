-- Papers of the conferences' per-paper lists, each placed in its edition's month: the
-- month of the framework-mentions table where it has the edition, else the
-- conference's usual month (the loader's table of typical months).
-- grain: one row per conference edition and paper
-- tests: unique(paper_key); not_null(paper_key, conference, year, paper_id);
--     accepted_values(month_basis: mentions_table, typical_month)
-- paper_key: conference, year and id ('cvpr-2019:b2eb0c03'), unique across editions
-- conference: lower-case conference id ('neurips' for NeurIPS and NIPS)
-- conference_label: the conference as the mentions table writes it, else upper case
-- year: the edition's year
-- paper_id: the list's id, unique within the edition
-- title: the paper's title
-- authors: author names, HTML entities unescaped
-- pdf_link: link to the paper's PDF, URL-unescaped
-- words: tracked strings the paper's full text contains, lower case
-- edition_has_flags: true when the edition's list carries word flags at all
-- edition_month: first day of the month the conference was held
-- month_basis: 'mentions_table' or 'typical_month'
-- code_url: the paper's code repository as listed
-- code_repo_url: code_url normalised like Papers with Code repository URLs
-- code_repo_is_github: true when the repository is on github.com

with papers as (
    select * from staging.stg_conference__papers
),

paper_lists as (
    select * from staging.stg_conference__paper_lists
),

mention_counts as (
    select * from staging.stg_conference__mention_counts
),

table_editions as (
    select distinct conference, conference_label, year, edition_month
    from mention_counts
),

editions as (
    select
        paper_lists.conference,
        coalesce(table_editions.conference_label, upper(paper_lists.conference)) as conference_label,
        paper_lists.year,
        coalesce(table_editions.edition_month, paper_lists.typical_month) as edition_month,
        case
            when table_editions.edition_month is not null then 'mentions_table'
            when paper_lists.typical_month is not null then 'typical_month'
        end as month_basis
    from paper_lists
    left join table_editions
        on paper_lists.conference = table_editions.conference
        and paper_lists.year = table_editions.year
),

flagged_editions as (
    select conference, year, bool_or(len(words) > 0) as edition_has_flags
    from papers
    group by conference, year
),

final as (
    select
        papers.paper_key,
        papers.conference,
        editions.conference_label,
        papers.year,
        papers.paper_id,
        papers.title,
        papers.authors,
        papers.pdf_link,
        papers.words,
        flagged_editions.edition_has_flags,
        editions.edition_month,
        editions.month_basis,
        papers.code_url,
        papers.code_repo_url,
        papers.code_repo_is_github
    from papers
    inner join editions
        on papers.conference = editions.conference
        and papers.year = editions.year
    inner join flagged_editions
        on papers.conference = flagged_editions.conference
        and papers.year = flagged_editions.year
)

select * from final
