-- A mining corpus: papers' code links from the Paper Copilot lists, the monthly most-starred
-- Python repositories (an open-source cohort), and what became of each repository uptake
-- tried to mine.

-- One row per conference edition loaded from a Paper Copilot list.
create table raw.paper_list_editions (
    conference     varchar not null,        -- lower case: 'cvpr', 'neurips', ...
    year           integer not null,
    edition_month  date not null,           -- first day of the month the conference was held
    month_basis    varchar not null,        -- where that month comes from (see paper_lists.EDITION_MONTHS)
    papers         integer not null,
    content_sha256 varchar not null,
    origin         varchar not null,        -- file or URL read
    load_id        varchar not null,
    loaded_at      timestamp not null,
    primary key (conference, year)
);

-- One row per paper of a Paper Copilot list.
create table raw.paper_list_papers (
    conference        varchar not null,
    year              integer not null,
    paper_id          varchar not null,     -- the list's id, else a digest of the title
    title             varchar not null,
    status            varchar,              -- Oral, Poster, Spotlight, ...
    track             varchar,
    site              varchar,              -- the paper's page
    code_field        varchar,              -- the `github` field as listed
    github_repos      varchar[] not null,   -- owner/name of each GitHub repository named, lower case
    other_code_urls   varchar[] not null,   -- code links on other hosts, normalised, kept and flagged
    load_id           varchar not null,
    loaded_at         timestamp not null,
    primary key (conference, year, paper_id)
);

-- One row per month and listed repository of the monthly most-starred Python ranking.
create table raw.github_ranking (
    cohort         varchar not null,        -- 'popular_python'
    month          date not null,           -- first day of the month the list was taken
    listed_on      date not null,           -- the day of the list (the month's first daily file)
    rank           integer not null,
    repo           varchar not null,        -- owner/name, lower case
    stars          integer,
    forks          integer,
    language       varchar,
    last_commit    timestamp,
    description    varchar,
    content_sha256 varchar not null,
    origin         varchar not null,
    load_id        varchar not null,
    loaded_at      timestamp not null,
    primary key (cohort, month, repo)
);

-- What happened the last time uptake tried to mine each repository.
create table raw.repo_mining_outcomes (
    repo        varchar primary key,        -- as mined (owner/name for GitHub)
    outcome     varchar not null,           -- mined | no_python | empty | gone | private | not_fetched | unreadable | failed
    reason      varchar,                    -- why, for every outcome but mined
    head_commit varchar,                    -- the newest commit mined
    months      integer not null,           -- month-end snapshots it has in raw.repo_snapshots
    source      varchar not null,           -- local | corpus
    load_id     varchar,
    checked_at  timestamp not null
);
