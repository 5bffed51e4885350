-- Every paper uptake knows, from Papers with Code, from the conferences' per-paper lists
-- (He's) and from Paper Copilot's lists, with its code repositories and the technologies
-- attributed to it, each with the basis of the attribution: 'mined_imports' (its
-- repository's mined code imports it; for listed papers, at the first snapshot with
-- Python from the paper's month to 12 months after, see int_list_paper_attributions),
-- 'pwc_label' (one of its repositories carries a Papers with Code framework label the
-- study maps to the technology; see int_pwc_paper_attributions) or 'paper_words' (its full text
-- contains one of the technology's paper words; conference lists only). The two sources
-- are not matched to each other: a paper in both has two rows, told apart by source.
-- Papers without a date are kept (is_dated false) and left out of monthly series.
-- grain: one row per paper
-- tests: unique(paper_id);
--     not_null(paper_id, source, code_repositories, technologies, attributions, is_dated);
--     accepted_values(source: papers_with_code, conference_list, paper_list)
-- paper_id: 'pwc:' and the Papers with Code page's slug ('pwc:attention-is-all-you-need'), or conference, year and list id ('cvpr-2019:b2eb0c03')
-- source: 'papers_with_code', 'conference_list' (He's lists) or 'paper_list' (Paper Copilot's)
-- title: the paper's title
-- paper_date: the paper's date (Papers with Code), or the first day of its conference's month
-- month: first day of paper_date's month
-- is_dated: false when the paper has no date, so monthly series leave it out
-- venue: Papers with Code's proceeding, or the conference edition ('CVPR 2019')
-- arxiv_id: arXiv identifier, when known
-- url: the paper's Papers with Code page, or its PDF for conference lists
-- code_repositories: normalised URLs of the paper's code repositories, sorted, GitHub or not
-- has_non_github_code: true when a code link is on another host than github.com (kept, never mined)
-- code_read_at: the month-end snapshot its mined code was read at; null when none was read
-- technologies: study technologies attributed to the paper, sorted
-- attributions: one {technology, basis} per technology and basis, sorted

with pwc_papers as (
    select * from staging.stg_pwc__papers
),

code_links as (
    select * from staging.stg_pwc__code_links
),

conference_papers as (
    select * from intermediate.int_conference_papers
),

paper_lists as (
    select * from staging.stg_paper_lists__papers
),

list_attributions as (
    select * from intermediate.int_list_paper_attributions
),

code_attributions as (
    select * from intermediate.int_pwc_paper_attributions
),

paper_words as (
    select * from meta.study_paper_words
),

pwc_all_papers as (
    -- papers of the papers dump, and papers only the links dump knows (no date)
    select paper_url, paper_id, title, published_date, proceeding, arxiv_id
    from pwc_papers
    union all
    select
        paper_url,
        'pwc:' || coalesce(nullif(regexp_extract(paper_url, '/paper/([^/?#]+)', 1), ''), paper_url),
        any_value(paper_title),
        null,
        null,
        null
    from code_links
    where paper_url not in (select paper_url from pwc_papers)
    group by paper_url
),

pwc_repositories as (
    select paper_url, list_sort(list_distinct(list(repo_url))) as code_repositories
    from code_links
    group by paper_url
),

pwc_attributions as (
    select
        paper_url,
        list({'technology': technology, 'basis': basis}) as attributions
    from code_attributions
    group by paper_url
),

conference_attributions as (
    select
        paper_key,
        list({'technology': technology, 'basis': basis}) as attributions
    from (
        select distinct conference_papers.paper_key, paper_words.technology, 'paper_words' as basis
        from conference_papers, unnest(conference_papers.words) as u (word)
        inner join paper_words on u.word = paper_words.word
        union
        select distinct paper_key, technology, 'mined_imports' as basis
        from list_attributions
        where technology is not null
    )
    group by paper_key
),

code_read as (
    select paper_key, min(snapshot_month) as code_read_at
    from list_attributions
    group by paper_key
),

pwc_rows as (
    select
        pwc_all_papers.paper_id,
        'papers_with_code' as source,
        pwc_all_papers.title,
        pwc_all_papers.published_date as paper_date,
        pwc_all_papers.paper_url as url,
        pwc_all_papers.proceeding as venue,
        pwc_all_papers.arxiv_id,
        coalesce(pwc_repositories.code_repositories, []) as code_repositories,
        pwc_attributions.attributions
    from pwc_all_papers
    left join pwc_repositories on pwc_all_papers.paper_url = pwc_repositories.paper_url
    left join pwc_attributions on pwc_all_papers.paper_url = pwc_attributions.paper_url
),

conference_rows as (
    select
        conference_papers.paper_key as paper_id,
        'conference_list' as source,
        conference_papers.title,
        conference_papers.edition_month as paper_date,
        conference_papers.pdf_link as url,
        conference_papers.conference_label || ' ' || conference_papers.year as venue,
        cast(null as varchar) as arxiv_id,
        case
            when conference_papers.code_repo_url is null then []
            else [conference_papers.code_repo_url]
        end as code_repositories,
        conference_attributions.attributions
    from conference_papers
    left join conference_attributions
        on conference_papers.paper_key = conference_attributions.paper_key
),

paper_list_rows as (
    select
        paper_lists.paper_key as paper_id,
        'paper_list' as source,
        paper_lists.title,
        paper_lists.edition_month as paper_date,
        paper_lists.site as url,
        upper(paper_lists.conference) || ' ' || paper_lists.year as venue,
        cast(null as varchar) as arxiv_id,
        list_concat(
            list_transform(paper_lists.github_repos, lambda r: 'https://github.com/' || r),
            paper_lists.other_code_urls
        ) as code_repositories,
        conference_attributions.attributions
    from paper_lists
    left join conference_attributions on paper_lists.paper_key = conference_attributions.paper_key
),

all_papers as (
    select * from pwc_rows
    union all by name
    select * from conference_rows
    union all by name
    select * from paper_list_rows
),

final as (
    select
        paper_id,
        source,
        title,
        paper_date,
        cast(date_trunc('month', paper_date) as date) as month,
        paper_date is not null as is_dated,
        venue,
        arxiv_id,
        url,
        list_sort(list_distinct(code_repositories)) as code_repositories,
        len(list_filter(code_repositories, lambda u: not starts_with(u, 'https://github.com/'))) > 0
            as has_non_github_code,
        code_read.code_read_at,
        list_sort(list_distinct(list_transform(coalesce(attributions, []), lambda a: a.technology)))
            as technologies,
        list_sort(list_distinct(coalesce(attributions, []))) as attributions
    from all_papers
    left join code_read on all_papers.paper_id = code_read.paper_key
)

select * from final
