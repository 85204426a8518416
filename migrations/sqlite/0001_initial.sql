-- Elder Sync initial schema (SQLite). Timestamps are UTC milliseconds since the Unix epoch
-- (INTEGER); JSON is TEXT; booleans are INTEGER 0/1. Keep in step with migrations/postgres/0001_initial.sql.

CREATE TABLE projects (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    labels        TEXT    NOT NULL DEFAULT '[]',
    assignees     TEXT    NOT NULL DEFAULT '[]',
    milestone_id  INTEGER,
    project_id    INTEGER,
    extras        TEXT    NOT NULL DEFAULT '{}',
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    closed_at     INTEGER,
    deleted_at    INTEGER
);

CREATE TABLE milestones (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    labels        TEXT    NOT NULL DEFAULT '[]',
    assignees     TEXT    NOT NULL DEFAULT '[]',
    milestone_id  INTEGER,
    project_id    INTEGER,
    extras        TEXT    NOT NULL DEFAULT '{}',
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    closed_at     INTEGER,
    deleted_at    INTEGER
);

CREATE TABLE labels (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    labels        TEXT    NOT NULL DEFAULT '[]',
    assignees     TEXT    NOT NULL DEFAULT '[]',
    milestone_id  INTEGER,
    project_id    INTEGER,
    extras        TEXT    NOT NULL DEFAULT '{}',
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    closed_at     INTEGER,
    deleted_at    INTEGER
);

CREATE TABLE issues (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    labels        TEXT    NOT NULL DEFAULT '[]',
    assignees     TEXT    NOT NULL DEFAULT '[]',
    milestone_id  INTEGER,
    project_id    INTEGER,
    extras        TEXT    NOT NULL DEFAULT '{}',
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    closed_at     INTEGER,
    deleted_at    INTEGER
);
CREATE INDEX issues_project ON issues (project_id);
CREATE INDEX issues_updated ON issues (updated_at);

CREATE TABLE sync_configs (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT    NOT NULL UNIQUE,
    platform                TEXT    NOT NULL CHECK (platform IN ('github', 'gitlab', 'jira', 'trello', 'openproject')),
    enabled                 INTEGER NOT NULL DEFAULT TRUE,
    sync_interval           INTEGER NOT NULL DEFAULT 300 CHECK (sync_interval > 0),
    batch_fallback_enabled  INTEGER NOT NULL DEFAULT TRUE,
    batch_size              INTEGER NOT NULL DEFAULT 100 CHECK (batch_size > 0),
    two_way_create          INTEGER NOT NULL DEFAULT FALSE,
    webhook_enabled         INTEGER NOT NULL DEFAULT TRUE,
    webhook_secret          TEXT,
    config_json             TEXT    NOT NULL DEFAULT '{}',
    encrypted_secrets       INTEGER NOT NULL DEFAULT 0,
    elder_project_id        INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    last_sync_at            INTEGER,
    last_batch_sync_at      INTEGER,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);

CREATE TABLE sync_mappings (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    elder_type              TEXT    NOT NULL CHECK (elder_type IN ('issue', 'project', 'milestone', 'label')),
    elder_id                INTEGER NOT NULL,
    external_platform       TEXT    NOT NULL,
    external_id             TEXT    NOT NULL,
    sync_config_id          INTEGER NOT NULL REFERENCES sync_configs (id) ON DELETE CASCADE,
    sync_status             TEXT    NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('synced', 'conflict', 'error', 'pending')),
    sync_method             TEXT    NOT NULL DEFAULT 'manual' CHECK (sync_method IN ('webhook', 'poll', 'batch', 'manual')),
    last_synced_at          INTEGER,
    elder_updated_at        INTEGER,
    external_updated_at     INTEGER,
    base_snapshot           TEXT,
    last_write_fingerprint  TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    UNIQUE (sync_config_id, elder_type, external_id),
    UNIQUE (sync_config_id, elder_type, elder_id)
);

CREATE TABLE sync_history (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    sync_config_id  INTEGER NOT NULL REFERENCES sync_configs (id) ON DELETE CASCADE,
    correlation_id  TEXT    NOT NULL,
    sync_type       TEXT    NOT NULL,
    items_synced    INTEGER NOT NULL DEFAULT 0,
    items_failed    INTEGER NOT NULL DEFAULT 0,
    started_at      INTEGER NOT NULL,
    completed_at    INTEGER,
    success         INTEGER NOT NULL DEFAULT FALSE,
    error_message   TEXT,
    sync_metadata   TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX sync_history_started ON sync_history (started_at);

CREATE TABLE sync_conflicts (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    mapping_id           INTEGER NOT NULL REFERENCES sync_mappings (id) ON DELETE CASCADE,
    conflict_type        TEXT    NOT NULL CHECK (conflict_type IN ('timestamp', 'field_mismatch', 'deleted_local', 'deleted_external', 'invalid_transition')),
    elder_data           TEXT    NOT NULL DEFAULT '{}',
    external_data        TEXT    NOT NULL DEFAULT '{}',
    resolution_strategy  TEXT    CHECK (resolution_strategy IN ('elder_wins', 'external_wins', 'merge', 'manual')),
    resolution_data      TEXT,
    resolved             INTEGER NOT NULL DEFAULT FALSE,
    resolved_at          INTEGER,
    resolved_by          TEXT,
    created_at           INTEGER NOT NULL
);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_type    TEXT    NOT NULL CHECK (resource_type IN ('issue', 'project', 'milestone', 'label')),
    resource_id      INTEGER NOT NULL,
    operation        TEXT    NOT NULL CHECK (operation IN ('create', 'update', 'close', 'reopen', 'delete')),
    snapshot         TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'error')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash    TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL CHECK (role IN ('read-only', 'admin')),
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked       INTEGER NOT NULL DEFAULT FALSE
);
