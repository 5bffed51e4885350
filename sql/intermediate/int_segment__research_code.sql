-- The research_code segment: papers whose code repository is attributed to the
-- technology, by the paper's month (its Papers with Code date).
-- Attribution and its basis (mined imports before Papers with Code's label) come from
-- int_pwc_paper_attributions.
-- A paper counts once per technology however many of its repositories carry the label.
-- Papers without a date are left out (marts.papers keeps them, is_dated false). Every
-- technology with PwC labels has a row in every month with a dated paper with code, 0
-- where none of them is attributed to it, so a rivalry's months compare like with like.
-- grain: one row per technology and month
-- segment: 'research_code'
-- technology: study technology id
-- month: first day of the papers' month
-- value: dated papers with code attributed to the technology
-- value_low: equals value
-- value_high: equals value
-- is_censored: false
-- is_count: true: papers are counted
-- n_observations: dated papers with at least one code link that month, whatever the label
-- source: the month's basis: 'pwc_label', 'mined_imports' or 'mixed'

with code_links as (
    select * from staging.stg_pwc__code_links
),

papers as (
    select * from staging.stg_pwc__papers
),

attributions as (
    select * from intermediate.int_pwc_paper_attributions
),

pwc_frameworks as (
    select * from meta.study_pwc_frameworks
),

import_roots as (
    select * from meta.study_import_roots
),

papers_per_month as (
    select papers.month, count(distinct code_links.paper_url) as papers_with_code
    from code_links
    inner join papers on code_links.paper_url = papers.paper_url
    where papers.month is not null
    group by papers.month
),

attributed as (
    select technology, month, count(distinct paper_url) as papers
    from attributions
    where month is not null
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
    from attributions
    where month is not null
    group by month
),

technologies as (
    select technology from pwc_frameworks
    union
    select technology from import_roots
),

technology_months as (
    select technologies.technology, papers_per_month.month, papers_per_month.papers_with_code
    from technologies
    cross join papers_per_month
),

final as (
    select
        'research_code' as segment,
        technology_months.technology,
        technology_months.month,
        coalesce(attributed.papers, 0) as value,
        coalesce(attributed.papers, 0) as value_low,
        coalesce(attributed.papers, 0) as value_high,
        false as is_censored,
        true as is_count,
        technology_months.papers_with_code as n_observations,
        coalesce(month_basis.basis, 'pwc_label') as source
    from technology_months
    left join attributed
        on technology_months.technology = attributed.technology
        and technology_months.month = attributed.month
    left join month_basis on technology_months.month = month_basis.month
)

select * from final
