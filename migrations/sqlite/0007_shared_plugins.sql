-- Issue 15, plugins shared by the replicas of one database: the plugin host records here
-- what every replica must serve, and each replica follows it (woken by NOTIFY on PostgreSQL,
-- and by a re-read every few seconds).
-- plugin_components: component bytes by SHA-256 (lowercase hex).
-- plugin_state: per plugin id, the serving and previous versions (hash and manifest TOML),
-- whether an operator enabled it, the approved manifest and security surface (JSON), the
-- version waiting for approval (hash, manifest, diff JSON, origin), and a revision bumped by
-- every change.
-- plugin_seen: every (component, manifest) pair the fleet has installed or held, so a plugin
-- directory seeds only builds the fleet has not seen.
-- Timestamps are UTC milliseconds. Keep in step with migrations/postgres/0007_shared_plugins.sql.

CREATE TABLE plugin_components (
    source_hash     TEXT   PRIMARY KEY,
    component       BLOB  NOT NULL,
    stored_at       INTEGER NOT NULL
);

CREATE TABLE plugin_state (
    id                  TEXT   PRIMARY KEY,
    current_hash        TEXT,
    current_manifest    TEXT,
    previous_hash       TEXT,
    previous_manifest   TEXT,
    enabled             INTEGER NOT NULL DEFAULT 1,
    approved_manifest   TEXT,
    approved_surface    TEXT,
    pending_hash        TEXT,
    pending_manifest    TEXT,
    pending_diff        TEXT,
    pending_origin      TEXT,
    revision            INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE plugin_seen (
    source_hash     TEXT   NOT NULL,
    manifest_hash   TEXT   NOT NULL,
    plugin_id       TEXT   NOT NULL,
    seen_at         INTEGER NOT NULL,
    PRIMARY KEY (source_hash, manifest_hash)
);
