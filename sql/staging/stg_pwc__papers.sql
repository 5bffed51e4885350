-- Papers from Papers with Code's papers-with-abstracts dump. A paper without a date is
-- kept with a null date; monthly series leave it out.
-- grain: one row per paper
-- paper_url: the paper's Papers with Code page; the key links join on
-- paper_id: 'pwc:' and the page's slug, unique across uptake's paper sources
-- arxiv_id: arXiv identifier, when the paper is on arXiv
-- title: the paper's title
-- abstract: the paper's abstract
-- url_abs: link to the abstract page
-- url_pdf: link to the PDF
-- proceeding: Papers with Code's proceeding id ('neurips-2019-12'); null for preprints
-- authors: author names
-- tasks: Papers with Code task names
-- methods: Papers with Code method names
-- published_date: the paper's date; null when the dump has none
-- month: first day of published_date's month

with papers as (
    select * from raw.pwc_papers
),

latest as (
    -- the loader keeps one row per paper; this guards the grain all the same
    select *
    from papers
    qualify row_number() over (partition by paper_url order by loaded_at desc, record_index) = 1
),

final as (
    select
        paper_url,
        'pwc:' || coalesce(nullif(regexp_extract(paper_url, '/paper/([^/?#]+)', 1), ''), paper_url) as paper_id,
        arxiv_id,
        title,
        abstract,
        url_abs,
        url_pdf,
        proceeding,
        authors,
        tasks,
        methods,
        published_date,
        cast(date_trunc('month', published_date) as date) as month
    from latest
)

select * from final
