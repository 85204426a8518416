//! Metrics, health checks and logging (console, syslog, KillKrill) for Elder Sync. (being written)
