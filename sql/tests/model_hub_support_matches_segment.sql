-- In a two-way rivalry every model supporting a technology is 'only' it or 'both', so the
-- two classes add up to the technology's model_hub value that month.
with two_way as (
    select rivalry
    from meta.study_rivalries
    group by rivalry
    having count(*) = 2
),

supporting as (
    select only_rows.rivalry, only_rows.month, only_rows.technology, only_rows.models + both_rows.models as models
    from marts.model_hub_support as only_rows
    inner join marts.model_hub_support as both_rows
        on only_rows.rivalry = both_rows.rivalry
        and only_rows.month = both_rows.month
        and both_rows.support = 'both'
    where only_rows.support = 'only'
)

select supporting.*, int_segment__model_hub.value
from supporting
inner join two_way on supporting.rivalry = two_way.rivalry
left join intermediate.int_segment__model_hub
    on supporting.technology = int_segment__model_hub.technology
    and supporting.month = int_segment__model_hub.month
where int_segment__model_hub.value is distinct from supporting.models
