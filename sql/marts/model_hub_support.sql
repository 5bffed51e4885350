-- Which frameworks new Hugging Face Hub models support, per rivalry and month: the share
-- of new models supporting only one of the rivalry's technologies (a row per technology)
-- or several of them ('both': every technology of a two-way rivalry, as all the default
-- study's rivalries are), out of the new models supporting any of them. It answers "what
-- share of new models support only PyTorch, only TensorFlow, or both". A model supports a
-- technology as in the model_hub segment: any of its Hub tags is one of the technology's
-- framework labels in the study. A month enters only when every technology of the rivalry
-- has a model_hub value (its tags were listed through that month) and some model supports
-- one of them; every class then has a row, zeros included, so the shares sum to one.
-- share_low and share_high are the 95% Wilson score interval of models out of n_total.
-- grain: one row per rivalry, month, support and technology
-- tests: unique(rivalry, month, support, technology); accepted_values(support: only, both)
-- rivalry: study rivalry id
-- month: first day of the month the models were created in
-- support: 'only' (exactly one of the rivalry's technologies) or 'both' (more than one)
-- technology: the technology supported, for 'only'; null for 'both'
-- models: new models that month in this class
-- share: models / n_total
-- share_low: lower end of the share's 95% Wilson score interval
-- share_high: upper end of the share's 95% Wilson score interval
-- n_total: new models that month supporting at least one of the rivalry's technologies

with model_technologies as (
    select * from intermediate.int_hf_model_technologies
),

study_rivalries as (
    select * from meta.study_rivalries
),

model_hub as (
    select * from intermediate.int_segment__model_hub
),

rivalry_sizes as (
    select rivalry, count(*) as n_technologies
    from study_rivalries
    group by rivalry
),

covered_months as (
    select study_rivalries.rivalry, model_hub.month
    from study_rivalries
    inner join model_hub on study_rivalries.technology = model_hub.technology
    inner join rivalry_sizes on study_rivalries.rivalry = rivalry_sizes.rivalry
    group by study_rivalries.rivalry, model_hub.month, rivalry_sizes.n_technologies
    having count(*) = rivalry_sizes.n_technologies
),

model_support as (
    -- per rivalry and model: how many of the rivalry's technologies it supports, and which
    select
        study_rivalries.rivalry,
        model_technologies.month,
        model_technologies.model_id,
        count(*) as n_supported,
        min(model_technologies.technology) as technology
    from model_technologies
    inner join study_rivalries on model_technologies.technology = study_rivalries.technology
    inner join covered_months
        on study_rivalries.rivalry = covered_months.rivalry
        and model_technologies.month = covered_months.month
    group by study_rivalries.rivalry, model_technologies.month, model_technologies.model_id
),

classified as (
    select
        rivalry,
        month,
        case when n_supported = 1 then 'only' else 'both' end as support,
        case when n_supported = 1 then technology end as technology
    from model_support
),

class_counts as (
    select rivalry, month, support, technology, count(*) as models
    from classified
    group by rivalry, month, support, technology
),

totals as (
    select rivalry, month, count(*) as n_total
    from model_support
    group by rivalry, month
),

classes as (
    select totals.rivalry, totals.month, 'only' as support, study_rivalries.technology
    from totals
    inner join study_rivalries on totals.rivalry = study_rivalries.rivalry
    union all
    select rivalry, month, 'both' as support, null as technology
    from totals
),

shares as (
    select
        classes.rivalry,
        classes.month,
        classes.support,
        classes.technology,
        coalesce(class_counts.models, 0) as models,
        coalesce(class_counts.models, 0) / totals.n_total as share,
        totals.n_total
    from classes
    inner join totals on classes.rivalry = totals.rivalry and classes.month = totals.month
    left join class_counts
        on classes.rivalry = class_counts.rivalry
        and classes.month = class_counts.month
        and classes.support = class_counts.support
        and classes.technology is not distinct from class_counts.technology
),

final as (
    select
        rivalry,
        month,
        support,
        technology,
        models,
        share,
        wilson_low(share, n_total) as share_low,
        wilson_high(share, n_total) as share_high,
        n_total
    from shares
)

select * from final
