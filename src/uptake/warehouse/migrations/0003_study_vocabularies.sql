-- The rest of the study, so SQL models can map words, framework labels and import roots
-- to technologies without naming any technology in SQL.
create table meta.study_paper_words (
    technology varchar not null,
    word       varchar not null,            -- lower case
    primary key (technology, word)
);
create table meta.study_pwc_frameworks (
    technology varchar not null,
    framework  varchar not null,            -- Papers with Code `framework` label, lower case
    primary key (technology, framework)
);
create table meta.study_import_roots (
    technology  varchar not null,
    import_root varchar not null,           -- top-level module name, e.g. 'torch'
    primary key (technology, import_root)
);
