-- rivalry_leaders has one row per rivalry and segment, and a leader has a start month.
select rivalry, segment, count(*) as n_rows
from marts.rivalry_leaders
group by rivalry, segment
having count(*) > 1 or bool_or(leader is not null and leading_since is null)
