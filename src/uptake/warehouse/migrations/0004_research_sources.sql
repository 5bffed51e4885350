-- Research sources: conference framework-mention tables and Papers with Code dumps.

-- framework_mentions.csv, long form: one row per conference edition and counted word.
-- The CSV's two count columns are the counts for the words 'pytorch' and 'tensorflow';
-- which technology a word means is the study's business (meta.study_paper_words).
create table raw.conference_mention_counts (
    conference       varchar not null,     -- lower-case id; NeurIPS and NIPS are 'neurips'
    conference_label varchar not null,     -- as the CSV writes it ('NeurIPS')
    year             integer not null,     -- the edition's year (from MM/YY)
    edition_month    date not null,        -- first day of the conference month (from MM/YY)
    word             varchar not null,     -- lower case
    papers           bigint not null,      -- papers whose full text contains the word
    total_papers     bigint not null,      -- papers of the edition
    content_sha256   varchar not null,     -- of the CSV as read: an unchanged file is skipped
    origin           varchar not null,     -- path it came from
    load_id          varchar not null,
    loaded_at        timestamp not null,
    primary key (conference, year, word)
);

-- One row per per-paper list (`<conference>_<year>.json.gz`), i.e. per edition.
create table raw.conference_paper_lists (
    conference     varchar not null,       -- lower-case id, as in raw.conference_mention_counts
    year           integer not null,
    typical_month  date,                   -- the conference's usual month (module table); the
                                           -- CSV's month wins in staging where it has the edition
    papers         integer not null,       -- papers loaded from the list
    content_sha256 varchar not null,
    origin         varchar not null,
    load_id        varchar not null,
    loaded_at      timestamp not null,
    primary key (conference, year)
);

-- One row per paper of a per-paper list.
create table raw.conference_papers (
    conference          varchar not null,
    year                integer not null,
    paper_id            varchar not null,  -- the list's `id`, unique within the edition
    title               varchar not null,  -- the list's `name`
    authors             varchar[] not null, -- HTML entities unescaped, surrounding blanks trimmed
    pdf_link            varchar,           -- URL-unescaped where the list escaped it
    words               varchar[] not null, -- metadata.words: tracked strings the full text
                                           -- contains (empty for editions without flags)
    code_url            varchar,           -- metadata.code as published
    code_repo_url       varchar,           -- metadata.code normalised (see stg_pwc__code_links)
    code_repo_is_github boolean,
    load_id             varchar not null,
    loaded_at           timestamp not null,
    primary key (conference, year, paper_id)
);

-- Papers with Code: one row per dump file loaded (content-hash skipping, provenance).
create table raw.pwc_dumps (
    dump_sha256       varchar not null,    -- of the file's bytes as stored (gzip or Parquet)
    kind              varchar not null,    -- 'links' | 'papers'
    origin            varchar not null,    -- path or URL
    format            varchar not null,    -- 'json' | 'parquet'
    etag              varchar,             -- HTTP ETag, for URLs
    last_modified     varchar,             -- HTTP Last-Modified, for URLs
    records_read      bigint not null,     -- records in the dump
    records_loaded    bigint not null,     -- rows written after deduplication
    records_duplicate bigint not null,     -- records repeating a key of the same dump
    records_rejected  bigint not null,     -- records sent to meta.rejects
    load_id           varchar not null,
    loaded_at         timestamp not null,
    primary key (dump_sha256, kind)
);

-- links-between-papers-and-code: one row per paper and normalised repository URL.
-- No index: loads replace by natural key with set-based deletes, which an ART index slows.
create table raw.pwc_code_links (
    paper_url           varchar not null,  -- the paper's Papers with Code page
    paper_title         varchar,
    paper_arxiv_id      varchar,
    paper_url_abs       varchar,
    paper_url_pdf       varchar,
    repo_url            varchar not null,  -- normalised: https://host/path, lower-case
                                           -- github.com/owner/repo, no .git, www., query, slash
    repo_url_published  varchar not null,  -- as the dump has it
    repo_host           varchar not null,  -- lower case, without www.
    is_github           boolean not null,  -- false for any other host (kept, flagged)
    is_official         boolean,
    mentioned_in_paper  boolean,
    mentioned_in_github boolean,
    framework           varchar,           -- PwC's own label as published ('none', 'pytorch', 'tf', ...)
    record_index        bigint not null,   -- position of the record in its dump (0-based)
    dump_sha256         varchar not null,  -- the dump it came from (raw.pwc_dumps)
    load_id             varchar not null,
    loaded_at           timestamp not null
);

-- papers-with-abstracts: one row per paper.
create table raw.pwc_papers (
    paper_url      varchar not null,       -- the paper's Papers with Code page; joins the links
    arxiv_id       varchar,
    title          varchar,
    abstract       varchar,
    url_abs        varchar,
    url_pdf        varchar,
    proceeding     varchar,                -- e.g. 'neurips-2019-12'; null for preprints
    authors        varchar[],
    tasks          varchar[],
    methods        varchar[],              -- the names of the dump's nested method objects
    published_date date,                   -- the dump's `date`; null when it has none
    record_index   bigint not null,
    dump_sha256    varchar not null,
    load_id        varchar not null,
    loaded_at      timestamp not null
);
