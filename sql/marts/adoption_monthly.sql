-- Adoption of each technology per month, one series per segment, all segments in one
-- table. Segments: industry_downloads (PyPI downloads per 30 days), oss_imports (active
-- open-source repositories importing it), model_hub (new Hugging Face Hub models
-- published for it), research_mentions (papers mentioning it, by conference month) and
-- research_code (papers whose code uses it, by paper month).
-- Each segment is built in sql/intermediate/int_segment__<segment>.sql.
-- grain: one row per segment, technology and month
-- tests: unique(segment, technology, month); not_null(segment, technology, month, value);
--     accepted_values(segment: research_mentions, research_code, oss_imports, industry_downloads,
--     ecosystem_dependents, model_hub)
-- segment: the kind of adoption measured
-- technology: study technology id
-- month: first day of the month
-- value: the adoption measure (downloads per 30 days; or a count of papers, repositories, models)
-- value_low: lower bound of value (censoring); equals value where nothing is censored
-- value_high: upper bound of value (censoring); equals value where nothing is censored
-- is_censored: true when part of value is only known as a bound
-- is_count: true when value counts independent items, so shares get binomial intervals
-- n_observations: observations behind value (snapshots, days, papers, repositories)
-- source: where the month's value comes from

with industry_downloads as (
    select * from intermediate.int_segment__industry_downloads
),

oss_imports as (
    select * from intermediate.int_segment__oss_imports
),

model_hub as (
    select * from intermediate.int_segment__model_hub
),

research_mentions as (
    select * from intermediate.int_segment__research_mentions
),

research_code as (
    select * from intermediate.int_segment__research_code
),

all_segments as (
    select * from industry_downloads
    union all by name
    select * from oss_imports
    union all by name
    select * from model_hub
    union all by name
    select * from research_mentions
    union all by name
    select * from research_code
),

final as (
    select
        segment,
        technology,
        month,
        cast(value as double) as value,
        cast(value_low as double) as value_low,
        cast(value_high as double) as value_high,
        is_censored,
        is_count,
        cast(n_observations as bigint) as n_observations,
        source
    from all_segments
)

select * from final
