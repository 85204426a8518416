-- Issue 14, comments: Elder's comments on its issues (soft-deleted, so a deletion can still be
-- pushed to the platforms that hold a copy) and, per sync config, which platform comment each
-- one is: the pair's base (the body last synced, in Elder's terms: our attribution line left
-- out) for the three-way comparison, and what our last write produced there (the exact
-- attribution line we wrote, the version the platform returned and a fingerprint of the body
-- it stored) so reading our own write back changes nothing. Timestamps are UTC milliseconds.
-- Keep in step with migrations/postgres/0011_comments.sql.

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id    INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    body        TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    origin      TEXT    NOT NULL DEFAULT 'elder',
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE INDEX comments_issue ON comments (issue_id);

CREATE TABLE comment_mappings (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    sync_config_id          INTEGER NOT NULL REFERENCES sync_configs (id) ON DELETE CASCADE,
    item_mapping_id         INTEGER NOT NULL REFERENCES sync_mappings (id) ON DELETE CASCADE,
    comment_id              INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    external_id             TEXT    NOT NULL,
    base_body               TEXT    NOT NULL,
    attribution             TEXT,
    external_version        TEXT,
    last_write_fingerprint  TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    UNIQUE (sync_config_id, comment_id),
    UNIQUE (item_mapping_id, external_id)
);
