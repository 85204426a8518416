-- Issue 17: the progress of a running poll (a first import above all), recorded on its
-- history row after every page: items handled so far, the estimated total when the engine
-- can make one, and when it last reported. `GET /api/v1/sync/status` derives the rate and the
-- ETA from them.
ALTER TABLE sync_history ADD COLUMN items_done INTEGER;
ALTER TABLE sync_history ADD COLUMN items_estimated_total INTEGER;
ALTER TABLE sync_history ADD COLUMN progress_at INTEGER;
CREATE INDEX sync_history_correlation ON sync_history (correlation_id);
CREATE INDEX sync_history_running ON sync_history (progress_at) WHERE completed_at IS NULL;
CREATE INDEX sync_history_config ON sync_history (sync_config_id, id);
