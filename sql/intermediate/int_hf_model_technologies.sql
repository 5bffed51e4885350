-- Which technologies each Hugging Face Hub model is published for: a model counts for a
-- technology when any of its tags is one of the technology's study pwc_frameworks labels
-- (the Hub's framework tags `pytorch`, `tf`, `jax`, `keras` coincide with them).
-- grain: one row per model and technology
-- model_id: the model's Hub id
-- month: first day of the month the model was created
-- technology: study technology id

with models as (
    select * from staging.stg_hf__models
),

pwc_frameworks as (
    select * from meta.study_pwc_frameworks
),

model_tags as (
    select model_id, created_month, unnest(tags) as tag
    from models
),

final as (
    select distinct
        model_tags.model_id,
        model_tags.created_month as month,
        pwc_frameworks.technology
    from model_tags
    inner join pwc_frameworks on model_tags.tag = pwc_frameworks.framework
)

select * from final
