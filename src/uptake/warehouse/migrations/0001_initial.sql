-- The four schemas, the load journal and the raw tables of the PyPI download sources.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists marts;
create schema if not exists meta;

-- One row per load attempt, successful or not.
create table meta.loads (
    load_id       varchar primary key,
    source        varchar not null,
    parameters    varchar not null,      -- JSON; never holds credentials
    rows_loaded   bigint not null,
    items_skipped bigint not null,       -- items already in the warehouse (same content)
    items_rejected bigint not null,
    status        varchar not null,      -- succeeded | failed
    error         varchar,
    started_at    timestamp not null,
    finished_at   timestamp not null,
    duration_s    double not null
);

-- Items a load could not read, with the reason. Nothing is dropped silently.
create sequence meta.reject_seq;
create table meta.rejects (
    reject_id   bigint primary key default nextval('meta.reject_seq'),
    load_id     varchar,
    source      varchar not null,
    item        varchar not null,        -- file, URL, project or record that failed
    reason      varchar not null,
    rejected_at timestamp not null
);

-- The study as last synced, so SQL models can join on it.
create table meta.study_technologies (
    technology varchar primary key,
    label      varchar not null
);
create table meta.study_projects (
    technology varchar not null,
    project    varchar not null,          -- PEP 503 normalised
    primary key (technology, project)
);
create table meta.study_rivalries (
    rivalry    varchar not null,
    technology varchar not null,
    primary key (rivalry, technology)
);

-- top-PyPI-packages: one row per snapshot file ...
create table raw.top_pypi_snapshots (
    snapshot_at        timestamp primary key,  -- the dump's last_update (UTC)
    content_sha256     varchar not null,       -- of the bytes as read: unchanged files are skipped
    origin             varchar not null,       -- path, URL or github commit it came from
    top_n              integer not null,       -- rows in the dump
    min_download_count bigint not null,        -- the cut-off: an absent project had fewer
    data_source        varchar,                -- 'BigQuery' until 2025-06, then 'ClickHouse'
    bytes_processed    bigint,                 -- what the BigQuery query scanned, when published
    load_id            varchar not null,
    loaded_at          timestamp not null
);
-- ... and one row per snapshot and project (natural key snapshot_at, project; no index,
-- because loads replace whole snapshots and an ART index would double the load time).
create table raw.top_pypi_downloads (
    snapshot_at    timestamp not null,
    project        varchar not null,       -- as published, not normalised
    download_count bigint not null,
    load_id        varchar not null
);

-- BigQuery pypi.file_downloads aggregated per month, project, installer and CI flag.
create table raw.bigquery_pypi_downloads (
    month        date not null,
    project      varchar not null,
    installer    varchar not null,         -- details.installer.name, '' when absent
    is_ci        boolean not null,         -- details.ci, false when absent
    downloads    bigint not null,
    days_covered integer not null,         -- days of the month the query covered
    load_id      varchar not null,
    loaded_at    timestamp not null,
    primary key (month, project, installer, is_ci)
);

-- pypistats.org /overall?mirrors=false: one row per day and project.
create table raw.pypistats_downloads (
    day        date not null,
    project    varchar not null,
    category   varchar not null,           -- 'without_mirrors'
    downloads  bigint not null,
    load_id    varchar not null,
    loaded_at  timestamp not null,
    primary key (day, project, category)
);
