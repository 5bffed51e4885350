-- Every paper has an id, a known source and lists (possibly empty, never null); a dated
-- paper has a month and an undated one none.
select paper_id, source, paper_date, month, is_dated
from marts.papers
where paper_id is null
    or source is null or source not in ('papers_with_code', 'conference_list', 'paper_list')
    or code_repositories is null or technologies is null or attributions is null
    or is_dated is null or is_dated <> (month is not null)
