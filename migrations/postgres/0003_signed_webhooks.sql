-- Issue 11, "webhooks are signed, always". A config that receives webhooks always has a
-- webhook secret from now on: configs that had webhooks on without one are switched to
-- webhook_enabled = FALSE (polling keeps them in sync) and a note in webhook_trust says why
-- (shown in /api/v1/sync/status until webhooks are turned on again with a secret).
-- webhook_trust also counts deliveries refused for a bad or missing signature per config.
-- Existing data is kept. Timestamps are UTC milliseconds.
-- Keep in step with migrations/sqlite/0003_signed_webhooks.sql.

CREATE TABLE webhook_trust (
    sync_config_id        BIGINT PRIMARY KEY REFERENCES sync_configs (id) ON DELETE CASCADE,
    disabled_reason       TEXT,
    rejected_total        BIGINT NOT NULL DEFAULT 0,
    last_rejected_at      BIGINT,
    last_rejected_reason  TEXT
);

INSERT INTO webhook_trust (sync_config_id, disabled_reason)
SELECT id, 'webhooks were turned off by the upgrade: the config had no webhook_secret; set one to turn them on'
FROM sync_configs
WHERE webhook_enabled = TRUE AND (webhook_secret IS NULL OR webhook_secret = '');

UPDATE sync_configs SET webhook_enabled = FALSE
WHERE webhook_enabled = TRUE AND (webhook_secret IS NULL OR webhook_secret = '');

-- Retention pruning (completed work older than ELDER_RETENTION_DAYS).
CREATE INDEX webhook_inbox_processed ON webhook_inbox (status, processed_at);
CREATE INDEX sync_history_completed ON sync_history (completed_at);
