//! The sync overview behind `GET /api/v1/sync/status`.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::Store;
use crate::error::Result;
use crate::platform::Platform;
use crate::time::{now_ms, to_ms};

/// Per-config summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfigSyncStatus {
    pub id: i64,
    pub name: String,
    pub platform: Platform,
    pub enabled: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_batch_sync_at: Option<DateTime<Utc>>,
    /// Secrets referring to environment variables that are not set.
    pub unresolved_secret_refs: Vec<String>,
}

/// The whole picture.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncOverview {
    pub configs_total: i64,
    pub configs_enabled: i64,
    pub syncs_last_24h: i64,
    pub failures_last_24h: i64,
    pub unresolved_conflicts: i64,
    pub mappings_total: i64,
    pub outbox_pending: i64,
    pub outbox_errors: i64,
    pub configs: Vec<ConfigSyncStatus>,
}

impl Store {
    async fn count(&self, sql: &str, arg: Option<i64>) -> Result<i64> {
        let mut q = sqlx::query(sql);
        if let Some(a) = arg {
            q = q.bind(a);
        }
        Ok(q.fetch_one(&self.pool).await?.try_get("n")?)
    }

    /// Counts and per-config last syncs.
    pub async fn sync_overview(&self) -> Result<SyncOverview> {
        let since = to_ms(Utc::now() - Duration::hours(24)).min(now_ms());
        let configs = self.list_configs().await?;
        Ok(SyncOverview {
            configs_total: configs.len() as i64,
            configs_enabled: configs.iter().filter(|c| c.enabled).count() as i64,
            syncs_last_24h: self
                .count(
                    "SELECT COUNT(*) AS n FROM sync_history WHERE started_at >= $1",
                    Some(since),
                )
                .await?,
            failures_last_24h: self
                .count(
                    "SELECT COUNT(*) AS n FROM sync_history WHERE started_at >= $1 \
                     AND (success = FALSE OR items_failed > 0)",
                    Some(since),
                )
                .await?,
            unresolved_conflicts: self
                .count(
                    "SELECT COUNT(*) AS n FROM sync_conflicts WHERE resolved = FALSE",
                    None,
                )
                .await?,
            mappings_total: self
                .count("SELECT COUNT(*) AS n FROM sync_mappings", None)
                .await?,
            outbox_pending: self
                .count(
                    "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'",
                    None,
                )
                .await?,
            outbox_errors: self
                .count(
                    "SELECT COUNT(*) AS n FROM outbox WHERE status = 'error'",
                    None,
                )
                .await?,
            configs: configs
                .iter()
                .map(|c| ConfigSyncStatus {
                    id: c.id,
                    name: c.name.clone(),
                    platform: c.platform,
                    enabled: c.enabled,
                    last_sync_at: c.last_sync_at,
                    last_batch_sync_at: c.last_batch_sync_at,
                    unresolved_secret_refs: c.unresolved_secret_refs(),
                })
                .collect(),
        })
    }
}
