-- Who leads each rivalry in each segment now, and since when without interruption.
-- The leader is the technology whose share is above one half in the latest month.
-- leading_since is the first month from which its share stays above one half in every
-- later month with data (months without data are gaps, not interruptions).
-- grain: one row per rivalry and segment
-- tests: unique(rivalry, segment)
-- rivalry: study rivalry id
-- segment: the kind of adoption measured
-- leader: the technology above one half in the latest month; null when none is
-- status: 'crossed over', 'led throughout' or 'no majority'
-- leading_since: first month of the leader's unbroken run above one half
-- latest_month: the latest month with data
-- latest_share: the leader's share in the latest month
-- first_month: the first month with data
-- n_months: months with data

with rivalry_shares as (
    select * from marts.rivalry_shares
),

spans as (
    select
        rivalry,
        segment,
        min(month) as first_month,
        max(month) as latest_month,
        count(distinct month) as n_months
    from rivalry_shares
    group by rivalry, segment
),

latest_leaders as (
    select rivalry_shares.rivalry, rivalry_shares.segment, rivalry_shares.technology, rivalry_shares.share
    from rivalry_shares
    inner join spans
        on rivalry_shares.rivalry = spans.rivalry
        and rivalry_shares.segment = spans.segment
        and rivalry_shares.month = spans.latest_month
    where rivalry_shares.share > 0.5
),

last_month_not_leading as (
    select
        latest_leaders.rivalry,
        latest_leaders.segment,
        max(rivalry_shares.month) filter (where rivalry_shares.share <= 0.5) as last_month_at_or_below_half
    from latest_leaders
    inner join rivalry_shares
        on rivalry_shares.rivalry = latest_leaders.rivalry
        and rivalry_shares.segment = latest_leaders.segment
        and rivalry_shares.technology = latest_leaders.technology
    group by latest_leaders.rivalry, latest_leaders.segment
),

leading_runs as (
    select
        last_month_not_leading.rivalry,
        last_month_not_leading.segment,
        min(rivalry_shares.month) as leading_since
    from last_month_not_leading
    inner join rivalry_shares
        on rivalry_shares.rivalry = last_month_not_leading.rivalry
        and rivalry_shares.segment = last_month_not_leading.segment
        and rivalry_shares.month > coalesce(last_month_not_leading.last_month_at_or_below_half, date '0001-01-01')
    group by last_month_not_leading.rivalry, last_month_not_leading.segment
),

final as (
    select
        spans.rivalry,
        spans.segment,
        latest_leaders.technology as leader,
        case
            when latest_leaders.technology is null then 'no majority'
            when leading_runs.leading_since = spans.first_month then 'led throughout'
            else 'crossed over'
        end as status,
        leading_runs.leading_since,
        spans.latest_month,
        latest_leaders.share as latest_share,
        spans.first_month,
        spans.n_months
    from spans
    left join latest_leaders
        on spans.rivalry = latest_leaders.rivalry
        and spans.segment = latest_leaders.segment
    left join leading_runs
        on spans.rivalry = leading_runs.rivalry
        and spans.segment = leading_runs.segment
)

select * from final
