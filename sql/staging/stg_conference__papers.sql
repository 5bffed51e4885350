-- Papers of the conferences' per-paper lists (one list per edition), as loaded: keyed
-- across editions, tracked words in lower case.
-- grain: one row per conference edition and paper
-- tests: unique(paper_key); not_null(paper_key, conference, year, paper_id, title)
-- paper_key: conference, year and id ('cvpr-2019:b2eb0c03'), unique across editions
-- conference: lower-case conference id ('neurips' for NeurIPS and NIPS)
-- year: the edition's year
-- paper_id: the list's id, unique within the edition
-- title: the paper's title
-- authors: author names, HTML entities unescaped
-- pdf_link: link to the paper's PDF, URL-unescaped
-- words: tracked strings the paper's full text contains, lower case
-- code_url: the paper's code repository as listed
-- code_repo_url: code_url normalised like Papers with Code repository URLs
-- code_repo_is_github: true when the repository is on github.com

with papers as (
    select * from raw.conference_papers
),

final as (
    select
        conference || '-' || year || ':' || paper_id as paper_key,
        conference,
        year,
        paper_id,
        title,
        authors,
        pdf_link,
        list_transform(words, lambda w: lower(w)) as words,
        code_url,
        code_repo_url,
        code_repo_is_github
    from papers
)

select * from final
