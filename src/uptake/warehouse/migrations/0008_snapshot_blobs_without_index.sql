-- raw.repo_snapshot_blobs is the largest mining table (a row per repository, month and
-- blob) and written only by store.write_months, which deletes a month's rows before it
-- inserts them. Its primary key's index cost more than the insert itself (11 of 19 ms
-- for a 60-month repository's 13,239 rows) and served no lookup: every reader scans by
-- repository. Uniqueness is checked by the data test
-- tests.stg_mining__snapshot_blobs__unique (declared in the staging model's header) instead.
create table raw.repo_snapshot_blobs_unindexed (
    repo     varchar not null,
    month    date not null,
    blob_sha varchar not null,
    files    integer not null               -- paths holding this blob in the tree
);
insert into raw.repo_snapshot_blobs_unindexed
select repo, month, blob_sha, files from raw.repo_snapshot_blobs order by repo, month, blob_sha;
drop table raw.repo_snapshot_blobs;
alter table raw.repo_snapshot_blobs_unindexed rename to repo_snapshot_blobs;
