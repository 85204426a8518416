-- Issue 12, "the platform set is open": a config's platform is any installed connector's
-- platform id, so the closed CHECK (platform IN (...)) on sync_configs goes. PostgreSQL
-- drops it in place: rows, ids and references are untouched. The column keeps a length
-- bound (the API checks the slug syntax).
-- Keep in step with migrations/sqlite/0004_open_platforms.sql.

ALTER TABLE sync_configs DROP CONSTRAINT sync_configs_platform_check;
ALTER TABLE sync_configs ADD CONSTRAINT sync_configs_platform_check
    CHECK (length(platform) BETWEEN 1 AND 64);
