//! Replica heartbeats: every `elder-sync serve` process on the database upserts its id,
//! version and start time with a fresh `last_heartbeat` every few seconds; the status API
//! lists the replicas seen recently, and claims held by a replica whose heartbeat is stale
//! are free for others.

use serde::Serialize;
use sqlx::Row;

use crate::Store;
use crate::error::Result;
use crate::time::from_ms;

/// A replica whose last heartbeat is older than this is gone: the status API no longer lists
/// it, and the claims it held are free for others.
pub const REPLICA_SEEN_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

/// One replica as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReplicaSeen {
    /// The replica id (generated at start: host name and a random suffix).
    pub id: String,
    /// The elder-sync version it runs.
    pub version: String,
    /// When it started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Its last heartbeat.
    pub last_heartbeat: chrono::DateTime<chrono::Utc>,
}

impl Store {
    /// Records a heartbeat of replica `id` at `now`.
    pub async fn heartbeat(
        &self,
        id: &str,
        version: &str,
        started_at: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO replicas (id, version, started_at, last_heartbeat) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, \
             last_heartbeat = excluded.last_heartbeat",
        )
        .bind(id.to_string())
        .bind(version.to_string())
        .bind(started_at)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The replicas whose last heartbeat is at or after `since`, by id.
    pub async fn replicas_seen_since(&self, since: i64) -> Result<Vec<ReplicaSeen>> {
        let rows = sqlx::query(
            "SELECT id, version, started_at, last_heartbeat FROM replicas \
             WHERE last_heartbeat >= $1 ORDER BY id",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReplicaSeen {
                    id: r.try_get("id")?,
                    version: r.try_get("version")?,
                    started_at: from_ms(r.try_get("started_at")?)?,
                    last_heartbeat: from_ms(r.try_get("last_heartbeat")?)?,
                })
            })
            .collect()
    }
}
