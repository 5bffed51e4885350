-- Keys and months are never null; every count lies between 0 and its edition's papers,
-- and leaving affiliated papers out never adds any.
select *
from marts.conference_mentions
where conference is null or year is null or edition_month is null or technology is null
    or table_papers_mentioning < 0 or table_papers_mentioning > table_total_papers
    or listed_papers_mentioning < 0 or listed_papers_mentioning > listed_papers
    or unaffiliated_papers_mentioning > listed_papers_mentioning
    or unaffiliated_papers > listed_papers
    or unaffiliated_papers_mentioning > unaffiliated_papers
    or (table_papers_mentioning is null and listed_papers_mentioning is null)
