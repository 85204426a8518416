-- Issue 15, several replicas on one database: per-config leases (one replica works on a
-- config at a time; a crashed holder's lease expires), replica heartbeats (who is alive,
-- listed by /api/v1/sync/status), and the scheduler's claim of a config's scheduled run
-- (one replica's conditional update wins, so a run happens once per interval across the fleet).
-- Inbox and outbox claims name the claiming replica (claimed_by), which renews them while its
-- batch runs; cleared when the row is completed, retried later, held or parked.
-- Timestamps are UTC milliseconds. Keep in step with migrations/sqlite/0006_replicas.sql.

CREATE TABLE config_leases (
    sync_config_id  BIGINT PRIMARY KEY,
    holder          TEXT   NOT NULL,
    expires_at      BIGINT NOT NULL
);

CREATE TABLE replicas (
    id              TEXT   PRIMARY KEY,
    version         TEXT   NOT NULL,
    started_at      BIGINT NOT NULL,
    last_heartbeat  BIGINT NOT NULL
);

ALTER TABLE sync_configs ADD COLUMN last_scheduled_at BIGINT;

ALTER TABLE webhook_inbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
