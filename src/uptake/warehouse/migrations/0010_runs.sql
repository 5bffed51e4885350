-- Every flow run, written when it starts: a run killed before it ends stays visible.
create table meta.runs (
    run_id       varchar primary key,
    flow         varchar not null,         -- the flow's name: refresh, github-imports, ...
    parameters   varchar not null,         -- JSON, redacted; never holds credentials
    host         varchar not null,
    pid          integer not null,
    pid_started  varchar,                  -- the process's start time, so a reused pid is not taken for it
    status       varchar not null,         -- running | finished | failed | died
    error        varchar,
    started_at   timestamp not null,
    finished_at  timestamp                 -- null while running, and for a run that died
);
