-- The sync engine's durability: the webhook inbox (acknowledged deliveries, processed by
-- workers), per-config polling cursors saved after every page, and webhook health.
-- Timestamps are UTC milliseconds. Keep in step with migrations/sqlite/0002_sync_engine.sql.

CREATE TABLE webhook_inbox (
    id               BIGSERIAL PRIMARY KEY,
    sync_config_id   BIGINT  NOT NULL REFERENCES sync_configs (id) ON DELETE CASCADE,
    delivery_id      TEXT    NOT NULL,
    headers          TEXT    NOT NULL,
    body             BYTEA   NOT NULL,
    received_at      BIGINT  NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'error')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    last_error       TEXT,
    processed_at     BIGINT,
    UNIQUE (sync_config_id, delivery_id)
);
CREATE INDEX webhook_inbox_due ON webhook_inbox (status, next_attempt_at);

CREATE TABLE sync_cursors (
    sync_config_id  BIGINT  NOT NULL REFERENCES sync_configs (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('issue', 'project', 'milestone', 'label')),
    cursor          TEXT,
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (sync_config_id, kind)
);

CREATE TABLE webhook_health (
    sync_config_id  BIGINT PRIMARY KEY REFERENCES sync_configs (id) ON DELETE CASCADE,
    state           TEXT    NOT NULL,
    updated_at      BIGINT  NOT NULL
);
