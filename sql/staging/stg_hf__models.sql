-- Hugging Face Hub models, one row per model, with the month it was created in. Tags are
-- lower-cased, deduplicated and sorted so they join to the study's framework labels.
-- grain: one row per model
-- model_id: owner/name as the Hub spells it
-- created_at: when the model was created on the Hub (UTC)
-- created_month: first day of the month of created_at
-- tags: the model's tags, lower case, distinct, sorted
-- library_name: the library the Hub attributes the model to; null when unknown
-- downloads: the Hub's downloads count when the model was last listed
-- first_seen_tag: the framework tag the model was first listed under
-- load_id: the load that last wrote the row

with hf_models as (
    select * from raw.hf_models
),

final as (
    select
        model_id,
        created_at,
        cast(date_trunc('month', created_at) as date) as created_month,
        list_sort(list_distinct(list_transform(tags, lambda tag: lower(tag)))) as tags,
        library_name,
        downloads,
        first_seen_tag,
        load_id
    from hf_models
)

select * from final
