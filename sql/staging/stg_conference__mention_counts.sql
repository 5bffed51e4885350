-- Framework mention counts per conference edition and word, from the published table
-- (framework_mentions.csv: full-text search of each edition's PDFs).
-- grain: one row per conference edition and word
-- conference: lower-case conference id ('neurips' for NeurIPS and NIPS)
-- conference_label: the conference as the table writes it ('NeurIPS')
-- year: the edition's year
-- edition_month: first day of the month the conference was held
-- word: the counted word, lower case
-- papers_mentioning: papers whose full text contains the word
-- total_papers: papers of the edition

with mention_counts as (
    select * from raw.conference_mention_counts
),

renamed as (
    select
        conference,
        conference_label,
        year,
        edition_month,
        lower(word) as word,
        papers as papers_mentioning,
        total_papers
    from mention_counts
),

final as (
    select * from renamed
)

select * from final
