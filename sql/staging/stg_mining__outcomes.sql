-- What became of each repository uptake tried to mine, the last time it tried.
-- grain: one row per repository
-- repo: owner/name, lower case (else the clone's name)
-- outcome: mined, no_python (mined, but no .py or .ipynb file in any month), empty (no commits), gone (deleted or renamed upstream), private (needs credentials), not_fetched (no clone could be had), unreadable (not a git repository uptake can read), failed (anything else)
-- reason: why, for every outcome but mined
-- head_commit: the newest commit mined
-- months: month-end snapshots mined
-- source: local (mined here) or corpus (loaded from an exported corpus)
-- checked_at: when

with outcomes as (
    select * from raw.repo_mining_outcomes
),

final as (
    select lower(repo) as repo, outcome, reason, head_commit, months, source, checked_at
    from outcomes
)

select * from final
