-- Issue 14, people and workflow: the platform's status name kept on Elder's resources
-- (translated per config through config_json.status_map), and the installation's identity
-- table: an Elder person (its handle is what Elder's `assignees` hold) with their login or
-- account id on each platform. Timestamps are UTC milliseconds.
-- Keep in step with migrations/postgres/0010_people_and_status.sql.

ALTER TABLE issues ADD COLUMN status_name TEXT;
ALTER TABLE projects ADD COLUMN status_name TEXT;
ALTER TABLE milestones ADD COLUMN status_name TEXT;
ALTER TABLE labels ADD COLUMN status_name TEXT;

CREATE TABLE identities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    handle      TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL DEFAULT '',
    email       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX identities_email ON identities (LOWER(email));

CREATE TABLE identity_accounts (
    identity_id  INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    platform     TEXT    NOT NULL,
    login        TEXT    NOT NULL,
    PRIMARY KEY (platform, login)
);
CREATE INDEX identity_accounts_identity ON identity_accounts (identity_id);
CREATE INDEX identity_accounts_login ON identity_accounts (LOWER(login));
