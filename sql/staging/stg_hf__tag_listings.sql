-- How far each Hub framework tag has been listed: every model carrying the tag and
-- created before listed_at is in stg_hf__models. A tag never listed completely has no row.
-- grain: one row per framework tag
-- tag: the framework tag queried, lower case
-- listed_at: when the last complete listing of the tag began (UTC)
-- newest_created_at: the newest model the tag's listings have seen; null when none
-- load_id: the load that last listed the tag

with hf_tag_listings as (
    select * from raw.hf_tag_listings
),

final as (
    select
        lower(tag) as tag,
        listed_at,
        newest_created_at,
        load_id
    from hf_tag_listings
)

select * from final
