-- Imports mined from code: a cache of parsed blobs, and month-end snapshots per repository.

-- One row per parsed blob. Blobs are content-addressed, so a row serves every month,
-- repository and run that meets the same file again.
create table raw.blob_imports (
    blob_sha          varchar primary key,
    import_roots      varchar[] not null,   -- top-level modules imported (absolute imports)
    modules           varchar[] not null,   -- absolute imported modules as written
    relative_imports  varchar[] not null,   -- relative imports, kept apart, never mapped
    method            varchar not null,     -- ast | fallback | skipped
    reason            varchar,              -- why fallback or skipped
    size_bytes        bigint,
    extractor_version integer not null,     -- rows from an older extractor are re-parsed
    parsed_at         timestamp not null
);

-- One row per repository and month: the tree at the last first-parent commit before the
-- month ended.
create table raw.repo_snapshots (
    repo           varchar not null,        -- owner/name for GitHub, else the clone's name
    month          date not null,
    commit_sha     varchar not null,
    committed_at   timestamp not null,
    python_files   integer not null,        -- .py files in the tree
    notebook_files integer not null,        -- .ipynb files in the tree
    fallback_files integer not null,        -- files read by the line-based fallback
    skipped_files  integer not null,        -- binary, oversized, LFS pointers, unreadable
    source         varchar not null,        -- local | api | bigquery
    load_id        varchar not null,
    loaded_at      timestamp not null,
    primary key (repo, month)
);

-- One row per repository, month and distinct blob in that month's tree: joined to
-- raw.blob_imports it says exactly how many files import each module, for any study,
-- without mining again.
create table raw.repo_snapshot_blobs (
    repo     varchar not null,
    month    date not null,
    blob_sha varchar not null,
    files    integer not null,              -- paths holding this blob in the tree
    primary key (repo, month, blob_sha)
);

-- Repository metadata from the GitHub API.
create table raw.github_repos (
    repo             varchar primary key,   -- owner/name as GitHub spells it
    created_at       timestamp,
    pushed_at        timestamp,
    stars            integer,
    is_fork          boolean,
    is_archived      boolean,
    owner_type       varchar,               -- User | Organization
    language         varchar,
    topics           varchar[],
    default_branch   varchar,
    discovered_by    varchar,               -- search | list | paper_links
    load_id          varchar not null,
    loaded_at        timestamp not null
);
