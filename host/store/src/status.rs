//! The sync overview behind `GET /api/v1/sync/status`, including each config's webhook
//! health as the sync engine records it (`webhook_health`, migration 0002) and its webhook
//! trust (refused deliveries, why webhooks were turned off: `webhook_trust`, migration 0003)
//! and the progress of its running poll (`progress`, migration 0009).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use crate::Store;
use crate::dead_letters::DeadLetterCounts;
use crate::error::Result;
use crate::platform::PlatformId;
use crate::progress::RunProgress;
use crate::replicas::{REPLICA_SEEN_WITHIN, ReplicaSeen};
use crate::time::{duration_ms, now_ms, to_ms};
use crate::trust::WebhookTrust;

/// Per-config summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConfigSyncStatus {
    /// Row id of the sync config.
    pub id: i64,
    /// The config's unique name.
    pub name: String,
    /// The platform it syncs with.
    pub platform: PlatformId,
    /// False when the config is switched off: it is not synced.
    pub enabled: bool,
    /// When its last poll (first, scheduled or manual) finished (UTC); `None`: never polled.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// When its last batch fallback sync finished (UTC); `None`: never.
    pub last_batch_sync_at: Option<DateTime<Utc>>,
    /// Secrets referring to environment variables that are not set.
    pub unresolved_secret_refs: Vec<String>,
    /// Why webhooks were turned off for this config by an upgrade (e.g. it had no
    /// `webhook_secret`); cleared when webhooks are turned on again.
    pub webhooks_disabled_reason: Option<String>,
    /// How the config learns about changes, and how its webhooks are doing.
    pub webhooks: WebhookStatus,
    /// Parked work of this config (`GET /api/v1/sync/dead-letters?config_id=`).
    pub dead_letters: i64,
    /// The poll running now (a first import above all): items done, rate and, when the
    /// total can be estimated, the ETA; `None` when no run is reporting progress.
    pub running: Option<RunProgress>,
}

/// Webhook health of one config, as the sync engine last recorded it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookStatus {
    /// `webhook`: changes arrive by webhook (polling only as the batch fallback);
    /// `polling`: the config is polled every `sync_interval`.
    pub mode: String,
    /// `healthy`, `unhealthy` (webhooks failing or silent: polling instead) or `disabled`
    /// (`webhook_enabled` is false).
    pub health: String,
    /// Why the config is polling, when it is.
    pub reason: Option<String>,
    /// When the config switched to polling.
    pub polling_since: Option<DateTime<Utc>>,
    /// Authenticated deliveries that failed in a row (unparseable, failing to apply).
    pub consecutive_failures: i64,
    /// Failed deliveries ever.
    pub failed_deliveries: i64,
    /// The last failure's reason.
    pub last_failure: Option<String>,
    /// Changes polling found that no webhook announced, since webhooks were last trusted.
    pub unannounced_changes: i64,
    /// The last processed delivery.
    pub last_delivery_at: Option<DateTime<Utc>>,
    /// Seconds since the last processed delivery (`None`: never).
    pub silent_for_secs: Option<i64>,
    /// Deliveries refused because their signature did not verify (forged, unsigned, or
    /// a secret that cannot be used). They never change `health` or `mode`.
    pub rejected_deliveries: i64,
    /// The last refused delivery.
    pub last_rejected_at: Option<DateTime<Utc>>,
}

impl WebhookStatus {
    /// The status from the engine's stored state (`None`: nothing recorded yet).
    fn from_state(
        webhook_enabled: bool,
        state: Option<&serde_json::Value>,
        trust: &WebhookTrust,
    ) -> WebhookStatus {
        let int = |k: &str| state.and_then(|s| s[k].as_i64()).unwrap_or(0);
        let text = |k: &str| state.and_then(|s| s[k].as_str()).map(str::to_string);
        let mode = state
            .and_then(|s| s["mode"]["mode"].as_str())
            .unwrap_or("webhooks");
        let polling = mode == "polling";
        let last_delivery_ms = state.and_then(|s| s["last_delivery_ms"].as_i64());
        let (mode, health) = match (webhook_enabled, polling) {
            (false, _) => ("polling", "disabled"),
            (true, true) => ("polling", "unhealthy"),
            (true, false) => ("webhook", "healthy"),
        };
        WebhookStatus {
            mode: mode.into(),
            health: health.into(),
            reason: if webhook_enabled {
                state
                    .and_then(|s| s["mode"]["reason"].as_str())
                    .map(str::to_string)
            } else {
                Some(trust.disabled_reason.clone().unwrap_or_else(|| {
                    "webhooks are disabled for this config (webhook_enabled is false)".into()
                }))
            },
            polling_since: state
                .and_then(|s| s["mode"]["since_ms"].as_i64())
                .and_then(DateTime::from_timestamp_millis),
            consecutive_failures: int("consecutive_failures"),
            failed_deliveries: int("failed_deliveries_total"),
            last_failure: text("last_failure"),
            unannounced_changes: int("unannounced_changes"),
            last_delivery_at: last_delivery_ms.and_then(DateTime::from_timestamp_millis),
            silent_for_secs: last_delivery_ms.map(|ms| ((now_ms() - ms) / 1000).max(0)),
            rejected_deliveries: trust.rejected_total,
            last_rejected_at: trust.last_rejected_at,
        }
    }
}

/// The whole picture.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncOverview {
    /// All sync configs.
    pub configs_total: i64,
    /// Sync configs that are switched on.
    pub configs_enabled: i64,
    /// Sync runs started in the last 24 hours.
    pub syncs_last_24h: i64,
    /// Of those, runs that failed or had an item fail.
    pub failures_last_24h: i64,
    /// Conflicts waiting for a resolution.
    pub unresolved_conflicts: i64,
    /// All mappings (synced pairs), every config.
    pub mappings_total: i64,
    /// Outbox rows waiting to be sent.
    pub outbox_pending: i64,
    /// Outbox rows parked after failing.
    pub outbox_errors: i64,
    /// Work that exhausted its attempts, by source (`GET /api/v1/sync/dead-letters`).
    pub dead_letters: DeadLetterCounts,
    /// One summary per sync config.
    pub configs: Vec<ConfigSyncStatus>,
    /// The replicas (`elder-sync serve` processes on this database) whose heartbeat was seen
    /// in the last minute, by id.
    pub replicas: Vec<ReplicaSeen>,
}

impl Store {
    async fn count(&self, sql: &str, arg: Option<i64>) -> Result<i64> {
        let mut q = sqlx::query(sql);
        if let Some(a) = arg {
            q = q.bind(a);
        }
        Ok(q.fetch_one(&self.pool).await?.try_get("n")?)
    }

    /// The engine's webhook health states by config id.
    async fn webhook_states(&self) -> Result<HashMap<i64, serde_json::Value>> {
        let rows = sqlx::query("SELECT sync_config_id, state FROM webhook_health")
            .fetch_all(&self.pool)
            .await?;
        let mut out = HashMap::new();
        for r in rows {
            let text: String = r.try_get("state")?;
            if let Ok(v) = serde_json::from_str(&text) {
                out.insert(r.try_get("sync_config_id")?, v);
            }
        }
        Ok(out)
    }

    /// Counts, per-config last syncs and webhook health.
    pub async fn sync_overview(&self) -> Result<SyncOverview> {
        let since = to_ms(Utc::now() - Duration::hours(24)).min(now_ms());
        let configs = self.list_configs().await?;
        let webhook_states = self.webhook_states().await?;
        let trust = self.webhook_trust().await?;
        let no_trust = WebhookTrust::default();
        let dead_by_config = self.dead_letters_by_config().await?;
        let mut running = self.running_progress().await?;
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
            dead_letters: self.dead_letter_counts().await?,
            configs: configs
                .iter()
                .map(|c| {
                    let trust = trust.get(&c.id).unwrap_or(&no_trust);
                    ConfigSyncStatus {
                        id: c.id,
                        name: c.name.clone(),
                        platform: c.platform.clone(),
                        enabled: c.enabled,
                        last_sync_at: c.last_sync_at,
                        last_batch_sync_at: c.last_batch_sync_at,
                        unresolved_secret_refs: c.unresolved_secret_refs(),
                        webhooks_disabled_reason: trust.disabled_reason.clone(),
                        webhooks: WebhookStatus::from_state(
                            c.webhook_enabled,
                            webhook_states.get(&c.id),
                            trust,
                        ),
                        dead_letters: dead_by_config.get(&c.id).copied().unwrap_or(0),
                        running: running.remove(&c.id),
                    }
                })
                .collect(),
            replicas: self
                .replicas_seen_since(now_ms() - duration_ms(REPLICA_SEEN_WITHIN))
                .await?,
        })
    }
}
