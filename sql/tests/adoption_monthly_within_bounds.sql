-- Every value lies within its bounds.
select *
from marts.adoption_monthly
where value < value_low - 1e-9 or value > value_high + 1e-9
