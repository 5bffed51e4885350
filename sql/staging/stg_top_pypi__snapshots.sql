-- Top-PyPI-packages snapshots, each placed in the month it measures.
-- A snapshot counts the 30 days before its last_update, so it belongs to the month that
-- holds the middle of that window: the 2024-04-01 snapshot measures March 2024.
-- grain: one row per snapshot
-- snapshot_at: when the dump was made (its last_update, UTC)
-- window_start: start of the 30 days the counts cover
-- measured_month: first day of the month holding the window's middle
-- top_n: how many projects the dump lists
-- cutoff: the smallest count listed; an absent project had fewer downloads than this
-- data_source: the system the dump was computed on ('BigQuery', later 'ClickHouse')
-- bytes_processed: bytes the BigQuery query scanned, where the dump says
-- covers_projects: the only projects a compact copy lists; null for a full snapshot

with snapshots as (
    select * from raw.top_pypi_snapshots
),

placed_in_month as (
    select
        snapshot_at,
        snapshot_at - interval 30 day as window_start,
        cast(date_trunc('month', snapshot_at - interval 15 day) as date) as measured_month,
        top_n,
        min_download_count as cutoff,
        data_source,
        bytes_processed,
        covers_projects
    from snapshots
),

final as (
    select * from placed_in_month
)

select * from final
