-- The key columns and the value are never null; the value lies within its bounds.
select *
from marts.adoption_monthly
where segment is null or technology is null or month is null or value is null
    or value < value_low - 1e-9 or value > value_high + 1e-9
