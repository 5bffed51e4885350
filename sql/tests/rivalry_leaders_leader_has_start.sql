-- A leader has a start month.
select rivalry, segment, leader, leading_since
from marts.rivalry_leaders
where leader is not null and leading_since is null
