-- Issue 17, first import: "does this config hold a reservation?" is asked once per page.
-- `external_id LIKE 'pending:%'` cannot use the (config, type, external_id) index (a
-- pattern, under any collation), so it scanned every mapping of the config: a 100k-issue
-- import slowed page by page. A partial index holds only the reservations (a handful).
CREATE INDEX sync_mappings_reserved ON sync_mappings (sync_config_id, elder_type, id)
    WHERE external_id LIKE 'pending:%';
