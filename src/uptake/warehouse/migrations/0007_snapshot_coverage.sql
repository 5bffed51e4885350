-- A compact copy of a snapshot (the demo's bundled figures) lists only the projects it
-- was made for. A project outside that list is unknown in the copy, not below the
-- cut-off; null means the snapshot lists every project above its cut-off.
alter table raw.top_pypi_snapshots add column covers_projects varchar[];
