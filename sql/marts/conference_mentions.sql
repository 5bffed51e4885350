-- Framework mentions per conference edition under three counting rules, side by side,
-- since the published figures and what the files give differ by a few points and an
-- analysis must say which rule it uses: the published table's counts (full-text search
-- of the PDFs); the per-paper lists' own counts; and the per-paper counts without
-- Google- or Facebook-affiliated papers (those whose words include google.com, fb.com or
-- google brain), as He (2019) counted. The table's columns are null for editions it
-- lacks; the per-paper columns are null for editions whose list carries no word flags.
-- A technology appears when the table counts, or the lists flag, one of its paper words.
-- grain: one row per conference edition and technology
-- tests: unique(conference, year, technology)
-- conference: lower-case conference id ('neurips' for NeurIPS and NIPS)
-- conference_label: the conference as the mentions table writes it
-- year: the edition's year
-- edition_month: first day of the month the conference was held
-- technology: study technology id
-- table_papers_mentioning: papers mentioning the technology, from the published table
-- table_total_papers: papers of the edition, from the published table
-- listed_papers_mentioning: papers of the per-paper list whose words include one of the technology's words
-- listed_papers: papers in the per-paper list
-- unaffiliated_papers_mentioning: listed_papers_mentioning without Google- or Facebook-affiliated papers
-- unaffiliated_papers: listed_papers without Google- or Facebook-affiliated papers

with mention_counts as (
    select * from staging.stg_conference__mention_counts
),

conference_papers as (
    select * from intermediate.int_conference_papers
),

paper_words as (
    select * from meta.study_paper_words
),

affiliation_words as (
    select * from (values ('google.com'), ('fb.com'), ('google brain')) as t (word)
),

table_counts as (
    select
        mention_counts.conference,
        mention_counts.year,
        paper_words.technology,
        sum(mention_counts.papers_mentioning) as table_papers_mentioning,
        max(mention_counts.total_papers) as table_total_papers
    from mention_counts
    inner join paper_words on mention_counts.word = paper_words.word
    group by mention_counts.conference, mention_counts.year, paper_words.technology
),

flagged_papers as (
    select
        *,
        len(list_intersect(words, (select list(word) from affiliation_words))) > 0 as is_affiliated
    from conference_papers
    where edition_has_flags
),

tracked_words as (
    -- the strings the lists flag at all: a technology none of whose words is among them
    -- cannot be counted from the lists
    select distinct unnest(words) as word from flagged_papers
),

listed_technologies as (
    select distinct paper_words.technology
    from paper_words
    inner join tracked_words on paper_words.word = tracked_words.word
),

paper_mentions as (
    select distinct flagged_papers.paper_key, paper_words.technology
    from flagged_papers, unnest(flagged_papers.words) as u (word)
    inner join paper_words on u.word = paper_words.word
),

listed_counts as (
    select
        flagged_papers.conference,
        flagged_papers.year,
        listed_technologies.technology,
        count(paper_mentions.paper_key) as listed_papers_mentioning,
        count(*) as listed_papers,
        count(paper_mentions.paper_key) filter (where not flagged_papers.is_affiliated)
            as unaffiliated_papers_mentioning,
        count(*) filter (where not flagged_papers.is_affiliated) as unaffiliated_papers
    from flagged_papers
    cross join listed_technologies
    left join paper_mentions
        on flagged_papers.paper_key = paper_mentions.paper_key
        and listed_technologies.technology = paper_mentions.technology
    group by flagged_papers.conference, flagged_papers.year, listed_technologies.technology
),

editions as (
    select distinct conference, conference_label, year, edition_month from mention_counts
    union
    select distinct conference, conference_label, year, edition_month from conference_papers
),

final as (
    select
        editions.conference,
        editions.conference_label,
        editions.year,
        editions.edition_month,
        coalesce(table_counts.technology, listed_counts.technology) as technology,
        table_counts.table_papers_mentioning,
        table_counts.table_total_papers,
        listed_counts.listed_papers_mentioning,
        listed_counts.listed_papers,
        listed_counts.unaffiliated_papers_mentioning,
        listed_counts.unaffiliated_papers
    from table_counts
    full outer join listed_counts
        on table_counts.conference = listed_counts.conference
        and table_counts.year = listed_counts.year
        and table_counts.technology = listed_counts.technology
    inner join editions
        on editions.conference = coalesce(table_counts.conference, listed_counts.conference)
        and editions.year = coalesce(table_counts.year, listed_counts.year)
)

select * from final
