-- papers has one row per paper_id.
select paper_id, count(*) as n_rows
from marts.papers
group by paper_id
having count(*) > 1
