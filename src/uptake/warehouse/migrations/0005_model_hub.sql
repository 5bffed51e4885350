-- Hugging Face Hub: models listed per framework tag, and how far each tag has been listed.

-- One row per model; loads upsert by model_id (downloads and tags change, the first tag
-- a model was listed under does not).
create table raw.hf_models (
    model_id       varchar primary key,     -- owner/name as the Hub spells it
    created_at     timestamp not null,      -- the Hub's createdAt (UTC)
    tags           varchar[] not null,      -- every tag of the model, as listed
    library_name   varchar,
    downloads      bigint,                  -- the Hub's rolling 30-day count when listed
    first_seen_tag varchar not null,        -- the framework tag it was first listed under
    load_id        varchar not null,
    loaded_at      timestamp not null
);

-- One row per framework tag whose listing has completed at least once: everything the
-- tag held when `listed_at` came was loaded (newest first, down to the previous
-- listing's newest model). A tag whose listing failed keeps its previous row, so a
-- segment can tell a month with no models from a month not yet listed.
create table raw.hf_tag_listings (
    tag               varchar primary key,  -- as queried: filter=<tag>
    listed_at         timestamp not null,   -- when the last complete listing began (UTC)
    newest_created_at timestamp,            -- newest createdAt listed so far; null when none
    load_id           varchar not null,
    loaded_at         timestamp not null
);
