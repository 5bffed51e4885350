-- The share of each technology within its rivalry: X / (sum over the rivalry).
-- Shares survive changes of collection method that scale every count (the 2021 jump in
-- PyPI counts, the 2025 switch to ClickHouse). A month enters only when every technology
-- of the rivalry has a value in that segment and the total is above zero.
-- share_low and share_high bound the share. Where values count independent items (papers,
-- repositories, models: is_count), they are the 95% Wilson score interval (sql/macros) of value out of
-- the rivalry's total, so a month with 4 papers is not read like a month with 400. Where
-- values are download volumes, they are the extremes the censored counts allow (X at its
-- low bound against the others at their high bound, and the reverse).
-- grain: one row per rivalry, segment, month and technology
-- tests: unique(rivalry, segment, month, technology); not_null(rivalry, segment, month, technology, share);
--     accepted_values(interval_method: wilson_95, censoring_bounds)
-- rivalry: study rivalry id
-- segment: the kind of adoption measured
-- month: first day of the month
-- technology: study technology id
-- value: the technology's adoption value that month
-- share: value / total of the rivalry
-- share_low: lower end of the share's interval
-- share_high: upper end of the share's interval
-- interval_method: 'wilson_95' for counts, 'censoring_bounds' for download volumes
-- n_total: the rivalry's total that month (the binomial n for counts)

with adoption_monthly as (
    select * from marts.adoption_monthly
),

study_rivalries as (
    select * from meta.study_rivalries
),

rivalry_sizes as (
    select rivalry, count(*) as n_technologies
    from study_rivalries
    group by rivalry
),

members as (
    select study_rivalries.rivalry, adoption_monthly.*
    from study_rivalries
    inner join adoption_monthly on study_rivalries.technology = adoption_monthly.technology
),

totals as (
    select
        members.rivalry,
        members.segment,
        members.month,
        sum(members.value) as total,
        sum(members.value_low) as total_low,
        sum(members.value_high) as total_high
    from members
    inner join rivalry_sizes on members.rivalry = rivalry_sizes.rivalry
    group by members.rivalry, members.segment, members.month, rivalry_sizes.n_technologies
    having count(*) = rivalry_sizes.n_technologies and sum(members.value) > 0
),

shares as (
    select
        members.rivalry,
        members.segment,
        members.month,
        members.technology,
        members.value,
        members.is_count,
        totals.total,
        members.value / totals.total as share,
        members.value_low / nullif(members.value_low + totals.total_high - members.value_high, 0) as bound_low,
        members.value_high / nullif(members.value_high + totals.total_low - members.value_low, 0) as bound_high
    from members
    inner join totals
        on members.rivalry = totals.rivalry
        and members.segment = totals.segment
        and members.month = totals.month
),

final as (
    select
        rivalry,
        segment,
        month,
        technology,
        value,
        share,
        case
            when is_count then wilson_low(share, total)
            else coalesce(bound_low, 0.0)
        end as share_low,
        case
            when is_count then wilson_high(share, total)
            else coalesce(bound_high, 1.0)
        end as share_high,
        case when is_count then 'wilson_95' else 'censoring_bounds' end as interval_method,
        total as n_total
    from shares
)

select * from final
