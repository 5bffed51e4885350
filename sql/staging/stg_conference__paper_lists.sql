-- The conference editions whose per-paper lists were loaded, with the month each
-- conference is usually held (the loader's table of typical months).
-- grain: one row per conference edition
-- tests: unique(conference, year); not_null(conference, year, papers)
-- conference: lower-case conference id
-- year: the edition's year
-- typical_month: first day of the conference's usual month that year; null when unknown
-- papers: papers in the edition's list

with paper_lists as (
    select * from raw.conference_paper_lists
),

final as (
    select conference, year, typical_month, papers
    from paper_lists
)

select * from final
