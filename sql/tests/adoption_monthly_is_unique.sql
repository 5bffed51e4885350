-- adoption_monthly has one row per segment, technology and month.
select segment, technology, month, count(*) as n_rows
from marts.adoption_monthly
group by segment, technology, month
having count(*) > 1
