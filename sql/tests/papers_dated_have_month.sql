-- A dated paper has a month and an undated one none.
select paper_id, source, paper_date, month, is_dated
from marts.papers
where is_dated <> (month is not null)
