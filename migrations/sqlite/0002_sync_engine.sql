-- The sync engine's durability: the webhook inbox (acknowledged deliveries, processed by
-- workers), per-config polling cursors saved after every page, and webhook health.
-- Timestamps are UTC milliseconds. Keep in step with migrations/postgres/0002_sync_engine.sql.

CREATE TABLE webhook_inbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    sync_config_id   INTEGER NOT NULL REFERENCES sync_configs (id) ON DELETE CASCADE,
    delivery_id      TEXT    NOT NULL,
    headers          TEXT    NOT NULL,
    body             BLOB    NOT NULL,
    received_at      INTEGER NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'error')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    processed_at     INTEGER,
    UNIQUE (sync_config_id, delivery_id)
);
CREATE INDEX webhook_inbox_due ON webhook_inbox (status, next_attempt_at);

CREATE TABLE sync_cursors (
    sync_config_id  INTEGER NOT NULL REFERENCES sync_configs (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('issue', 'project', 'milestone', 'label')),
    cursor          TEXT,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (sync_config_id, kind)
);

CREATE TABLE webhook_health (
    sync_config_id  INTEGER PRIMARY KEY REFERENCES sync_configs (id) ON DELETE CASCADE,
    state           TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL
);
