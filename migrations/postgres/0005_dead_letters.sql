-- Issue 13, dead letters: work that exhausted its attempts (an inbox delivery or an outbox
-- row parked with status 'error') is listed, retried or dropped through
-- /api/v1/sync/dead-letters. An outbox row is one Elder change pushed to every config linked
-- to the resource, so the row itself names no config: sync_config_id records the config whose
-- push failed last (NULL for rows that never failed, and when that config is deleted), which
-- is what the dead-letter list filters and counts by. Existing rows are kept.
-- Keep in step with migrations/sqlite/0005_dead_letters.sql.

ALTER TABLE outbox ADD COLUMN sync_config_id BIGINT REFERENCES sync_configs (id) ON DELETE SET NULL;
