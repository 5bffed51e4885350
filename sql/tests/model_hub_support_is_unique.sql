-- model_hub_support has one row per rivalry, month, support and technology.
select rivalry, month, support, technology, count(*) as n_rows
from marts.model_hub_support
group by rivalry, month, support, technology
having count(*) > 1
