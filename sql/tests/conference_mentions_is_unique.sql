-- conference_mentions has one row per conference edition and technology.
select conference, year, technology, count(*) as n_rows
from marts.conference_mentions
group by conference, year, technology
having count(*) > 1
