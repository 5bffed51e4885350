-- A schema for intermediate models: one adoption series per segment, before the marts
-- combine them.
create schema if not exists intermediate;
