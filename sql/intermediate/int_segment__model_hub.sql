-- The model_hub segment: new models on the Hugging Face Hub per month that support each
-- technology. A model supports a technology when any of its Hub tags is one of the
-- technology's framework labels in the study (meta.study_pwc_frameworks): the Papers with
-- Code labels 'pytorch', 'tf', 'jax' and 'keras' are also the Hub's framework tags, so the
-- study needs nothing new, and a model tagged both 'pytorch' and 'tf' counts for both.
-- A technology has a row for a month only when every tag meaning it has been listed
-- through that month (staging.stg_hf__tag_listings), so a tag whose listing failed leaves
-- its recent months out rather than undercounted; within that, a month with Hub models but
-- none for the technology is a zero.
-- grain: one row per technology and month
-- segment: 'model_hub'
-- technology: study technology id
-- month: first day of the month the models were created in
-- value: new models that month supporting the technology
-- value_low: equals value
-- value_high: equals value
-- is_censored: false
-- is_count: true: models are counted
-- n_observations: new models that month having any tag the study maps to a technology
-- source: 'huggingface_hub'

with model_technologies as (
    select * from intermediate.int_hf_model_technologies
),

tag_listings as (
    select * from staging.stg_hf__tag_listings
),

pwc_frameworks as (
    select * from meta.study_pwc_frameworks
),

mapped_models_per_month as (
    select month, count(distinct model_id) as n_models
    from model_technologies
    group by month
),

technology_listed_through as (
    -- complete only as far as the least recently listed of the technology's tags
    select pwc_frameworks.technology, min(tag_listings.listed_at) as listed_through
    from pwc_frameworks
    left join tag_listings on pwc_frameworks.framework = tag_listings.tag
    group by pwc_frameworks.technology
    having count(tag_listings.tag) = count(*)
),

covered_months as (
    select
        technology_listed_through.technology,
        mapped_models_per_month.month,
        mapped_models_per_month.n_models
    from technology_listed_through
    cross join mapped_models_per_month
    where mapped_models_per_month.month <= technology_listed_through.listed_through
),

models_per_technology as (
    select technology, month, count(*) as models
    from model_technologies
    group by technology, month
),

final as (
    select
        'model_hub' as segment,
        covered_months.technology,
        covered_months.month,
        coalesce(models_per_technology.models, 0) as value,
        coalesce(models_per_technology.models, 0) as value_low,
        coalesce(models_per_technology.models, 0) as value_high,
        false as is_censored,
        true as is_count,
        covered_months.n_models as n_observations,
        'huggingface_hub' as source
    from covered_months
    left join models_per_technology
        on covered_months.technology = models_per_technology.technology
        and covered_months.month = models_per_technology.month
)

select * from final
