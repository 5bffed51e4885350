-- The top-level modules each parsed blob imports (absolute imports only).
-- grain: one row per blob and imported top-level module
-- blob_sha: git blob id
-- import_root: top-level module imported, e.g. 'torch'
-- method: how the blob was read: ast or fallback

with blob_imports as (
    select * from raw.blob_imports
),

unnested as (
    select blob_sha, unnest(import_roots) as import_root, method
    from blob_imports
),

final as (
    select distinct blob_sha, import_root, method from unnested
)

select * from final
