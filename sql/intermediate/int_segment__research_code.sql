-- The research_code segment: papers whose code uses the technology, by the paper's month.
-- Papers come from the conferences' lists (Paper Copilot's and He's), read from their
-- mined repositories (int_list_paper_attributions: the first snapshot with Python from
-- the paper's month to 12 months after), and from Papers with Code, attributed by mined
-- imports where the repository was mined, else by its framework label
-- (int_pwc_paper_attributions). A paper is identified by its title's letters and digits,
-- so a paper in several lists or in a list and Papers with Code counts once: its list
-- month and mined code win over Papers with Code's date and label.
-- A paper counts once per technology however many of its repositories use it. Every
-- technology with import roots or Papers with Code labels has a row in every month with
-- a paper whose code was read, 0 where none uses it, so a rivalry's months compare like
-- with like. Papers without a date are left out (marts.papers keeps them).
-- grain: one row per technology and month
-- segment: 'research_code'
-- technology: study technology id
-- month: first day of the papers' month
-- value: papers whose code is attributed to the technology
-- value_low: equals value
-- value_high: equals value
-- is_censored: false
-- is_count: true: papers are counted
-- n_observations: papers that month whose code was read (a mined snapshot with Python, or a Papers with Code link), whatever it uses
-- source: the month's basis: 'mined_imports', 'pwc_label' or 'mixed'

with list_attributions as (
    select * from intermediate.int_list_paper_attributions
),

pwc_attributions as (
    select * from intermediate.int_pwc_paper_attributions
),

pwc_links as (
    select * from staging.stg_pwc__code_links
),

pwc_papers as (
    select * from staging.stg_pwc__papers
),

pwc_frameworks as (
    select * from meta.study_pwc_frameworks
),

import_roots as (
    select * from meta.study_import_roots
),

list_examined as (
    select distinct title_key, month from list_attributions
),

pwc_examined as (
    select distinct
        coalesce(nullif(regexp_replace(lower(pwc_papers.title), '[^a-z0-9]', '', 'g'), ''), pwc_papers.paper_url)
            as title_key,
        pwc_papers.paper_url,
        pwc_papers.month
    from pwc_links
    inner join pwc_papers on pwc_links.paper_url = pwc_papers.paper_url
    where pwc_papers.month is not null
),

pwc_only as (
    select * from pwc_examined
    where title_key not in (select title_key from list_examined)
),

examined as (
    select title_key, month, 'mined_imports' as basis from list_examined
    union
    select title_key, month, 'pwc_label' as basis from pwc_only
),

attributed as (
    select distinct title_key, month, technology, 'mined_imports' as basis
    from list_attributions
    where technology is not null
    union
    select distinct pwc_only.title_key, pwc_only.month, pwc_attributions.technology, pwc_attributions.basis
    from pwc_only
    inner join pwc_attributions on pwc_only.paper_url = pwc_attributions.paper_url
),

papers_per_month as (
    select
        month,
        count(distinct title_key) as papers_examined,
        -- a month where nothing is attributed takes the basis its papers would have had
        case when count(distinct basis) = 1 then any_value(basis) else 'mixed' end as examined_basis
    from examined
    group by month
),

attributed_per_month as (
    select technology, month, count(distinct title_key) as papers
    from attributed
    group by technology, month
),

month_basis as (
    select
        month,
        case
            when bool_and(basis = 'pwc_label') then 'pwc_label'
            when bool_and(basis = 'mined_imports') then 'mined_imports'
            else 'mixed'
        end as basis
    from attributed
    group by month
),

technologies as (
    select technology from pwc_frameworks
    union
    select technology from import_roots
),

technology_months as (
    select
        technologies.technology,
        papers_per_month.month,
        papers_per_month.papers_examined,
        papers_per_month.examined_basis
    from technologies
    cross join papers_per_month
),

final as (
    select
        'research_code' as segment,
        technology_months.technology,
        technology_months.month,
        coalesce(attributed_per_month.papers, 0) as value,
        coalesce(attributed_per_month.papers, 0) as value_low,
        coalesce(attributed_per_month.papers, 0) as value_high,
        false as is_censored,
        true as is_count,
        technology_months.papers_examined as n_observations,
        coalesce(month_basis.basis, technology_months.examined_basis) as source
    from technology_months
    left join attributed_per_month
        on technology_months.technology = attributed_per_month.technology
        and technology_months.month = attributed_per_month.month
    left join month_basis on technology_months.month = month_basis.month
)

select * from final
