-- The research_mentions segment: conference papers whose full text mentions the
-- technology, per conference month, from the published framework-mentions table.
-- Rule: a technology's value in a month is the sum, over the editions held that month,
-- of the papers the table counts for each of the technology's paper words (the table
-- counts 'pytorch' and 'tensorflow'; a technology none of whose words it counts gets no
-- rows). A paper mentioning both frameworks counts for both, as in the published study.
-- n_observations is the papers of the editions held that month, so a count is read
-- against how many papers stand behind it.
-- grain: one row per technology and month
-- segment: 'research_mentions'
-- technology: study technology id
-- month: first day of the month the editions were held
-- value: papers mentioning the technology
-- value_low: equals value
-- value_high: equals value
-- is_censored: false
-- is_count: true: papers are counted
-- n_observations: papers of the editions held that month
-- source: 'framework_mentions_table'

with mention_counts as (
    select * from staging.stg_conference__mention_counts
),

paper_words as (
    select * from meta.study_paper_words
),

editions_per_month as (
    select edition_month as month, sum(total_papers) as total_papers
    from (select distinct conference, year, edition_month, total_papers from mention_counts)
    group by edition_month
),

technology_mentions as (
    select
        paper_words.technology,
        mention_counts.edition_month as month,
        sum(mention_counts.papers_mentioning) as papers_mentioning
    from mention_counts
    inner join paper_words on mention_counts.word = paper_words.word
    group by paper_words.technology, mention_counts.edition_month
),

final as (
    select
        'research_mentions' as segment,
        technology_mentions.technology,
        technology_mentions.month,
        technology_mentions.papers_mentioning as value,
        technology_mentions.papers_mentioning as value_low,
        technology_mentions.papers_mentioning as value_high,
        false as is_censored,
        true as is_count,
        editions_per_month.total_papers as n_observations,
        'framework_mentions_table' as source
    from technology_mentions
    inner join editions_per_month on technology_mentions.month = editions_per_month.month
)

select * from final
