//! Webhook trust per config (migration 0003, table `webhook_trust`): deliveries refused
//! because their signature did not verify (counted, never a health signal) and the note
//! saying why webhooks were turned off by the upgrade that made secrets mandatory.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::Store;
use crate::configs::SyncConfig;
use crate::error::Result;

/// What `/api/v1/sync/status` shows about one config's webhook trust.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookTrust {
    /// Why webhooks were turned off by an upgrade (e.g. no `webhook_secret`); `None` when they
    /// were not.
    pub disabled_reason: Option<String>,
    /// Deliveries refused because their signature did not verify, since the config was created.
    pub rejected_total: i64,
    /// When a delivery was last refused so (UTC); `None`: never.
    pub last_rejected_at: Option<DateTime<Utc>>,
}

impl Store {
    /// The config's webhook secret in plaintext (`None`: none set), without resolving its
    /// other secrets: a delivery is authenticated by this one alone.
    pub fn resolve_webhook_secret(&self, config: &SyncConfig) -> Result<Option<String>> {
        config
            .sealed_webhook
            .as_ref()
            .map(|s| s.resolve("webhook_secret", self.secret_box.as_ref(), &self.env_prefix))
            .transpose()
    }

    /// Counts one delivery to `config_id` refused for `reason` (a bad or missing
    /// signature, an unusable secret) at `at_ms`. Atomic, so concurrent refusals and
    /// several replicas never lose a count.
    pub async fn record_webhook_rejection(
        &self,
        config_id: i64,
        reason: &str,
        at_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_trust (sync_config_id, rejected_total, last_rejected_at, last_rejected_reason) \
             VALUES ($1, 1, $2, $3) ON CONFLICT (sync_config_id) DO UPDATE SET \
             rejected_total = webhook_trust.rejected_total + 1, \
             last_rejected_at = excluded.last_rejected_at, \
             last_rejected_reason = excluded.last_rejected_reason",
        )
        .bind(config_id)
        .bind(at_ms)
        .bind(reason.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The trust record of every config that has one, by config id.
    pub(crate) async fn webhook_trust(&self) -> Result<HashMap<i64, WebhookTrust>> {
        let rows = sqlx::query(
            "SELECT sync_config_id, disabled_reason, rejected_total, last_rejected_at FROM webhook_trust",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = HashMap::new();
        for r in rows {
            let last: Option<i64> = r.try_get("last_rejected_at")?;
            out.insert(
                r.try_get("sync_config_id")?,
                WebhookTrust {
                    disabled_reason: r.try_get("disabled_reason")?,
                    rejected_total: r.try_get("rejected_total")?,
                    last_rejected_at: last.and_then(DateTime::from_timestamp_millis),
                },
            );
        }
        Ok(out)
    }
}
