-- Issue 12, "the platform set is open": a config's platform is any installed connector's
-- platform id, so the closed CHECK (platform IN (...)) on sync_configs goes (a length bound
-- stays; the API checks the slug syntax). Existing rows, their ids (and the AUTOINCREMENT
-- high-water mark: webhook URLs carry config ids, an id must never be reused) and every row
-- referencing them are kept.
-- Keep in step with migrations/postgres/0004_open_platforms.sql.
--
-- SQLite cannot drop a CHECK in place: the table is rebuilt following the "12-step"
-- procedure of https://www.sqlite.org/lang_altertable.html#otheralter. Step 1 switches
-- foreign keys off, which SQLite ignores inside a transaction, and sqlx runs every SQLite
-- migration inside one: so this file first ends sqlx's (empty) transaction, switches foreign
-- keys off and runs the rebuild in a transaction of its own, then switches them back on and
-- opens the transaction sqlx records the migration in and commits. With foreign keys on,
-- dropping the old table would cascade-delete the rows of every table referencing it
-- (sync_mappings, sync_history, sync_conflicts, webhook_inbox, sync_outbox, webhook_trust,
-- ...). sync_configs has no indexes besides its UNIQUE (name) autoindex, and no triggers or
-- views depend on it.

COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE new_sync_configs (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT    NOT NULL UNIQUE,
    platform                TEXT    NOT NULL CHECK (length(platform) BETWEEN 1 AND 64),
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

INSERT INTO new_sync_configs (id, name, platform, enabled, sync_interval, batch_fallback_enabled,
    batch_size, two_way_create, webhook_enabled, webhook_secret, config_json,
    encrypted_secrets, elder_project_id, last_sync_at, last_batch_sync_at, created_at,
    updated_at)
SELECT id, name, platform, enabled, sync_interval, batch_fallback_enabled,
    batch_size, two_way_create, webhook_enabled, webhook_secret, config_json,
    encrypted_secrets, elder_project_id, last_sync_at, last_batch_sync_at, created_at,
    updated_at
FROM sync_configs;

-- Keep the AUTOINCREMENT high-water mark (ids of deleted configs are never reused).
DELETE FROM sqlite_sequence WHERE name = 'new_sync_configs';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'new_sync_configs', seq FROM sqlite_sequence WHERE name = 'sync_configs';

DROP TABLE sync_configs;
ALTER TABLE new_sync_configs RENAME TO sync_configs;

COMMIT;
PRAGMA foreign_keys = ON;
BEGIN;
