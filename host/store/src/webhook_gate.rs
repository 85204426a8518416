//! What a webhook delivery is checked against (the gate): the config's platform, whether it
//! receives webhooks, and its sealed webhook secret, read in one small query. The engine may
//! keep a gate in memory between deliveries: each inbox write made with a kept gate checks,
//! in the same statement, that the config's row still has the gate's stamp (last update and
//! stored secret), so a config updated, rotated or deleted meanwhile, on any replica, is
//! never written under a stale gate (the write is refused and the engine reads the gate again).

use sqlx::Row;

use crate::db::get_bool;
use crate::error::Result;
use crate::platform::PlatformId;
use crate::secrets::SealedSecret;
use crate::{Store, StoreError};

/// A config's webhook gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookGate {
    /// Row id of the sync config.
    pub config_id: i64,
    /// The platform whose connector declares the signature schemes.
    pub platform: PlatformId,
    /// Whether the config receives webhooks at all.
    pub webhook_enabled: bool,
    sealed: Option<SealedSecret>,
    stamp: GateStamp,
}

/// What the config's row must still hold for a kept gate to be current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GateStamp {
    pub(crate) updated_at: i64,
    pub(crate) stored_secret: Option<String>,
}

impl WebhookGate {
    /// The stamp an inbox write re-checks (`insert_inbox_if_current`).
    pub(crate) fn stamp(&self) -> &GateStamp {
        &self.stamp
    }
}

impl Store {
    /// The gate of `config_id`; `None` when there is no such config.
    pub async fn webhook_gate(&self, config_id: i64) -> Result<Option<WebhookGate>> {
        let row = sqlx::query(
            "SELECT id, platform, webhook_enabled, webhook_secret, updated_at FROM sync_configs \
             WHERE id = $1",
        )
        .bind(config_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let stored_secret: Option<String> = r.try_get("webhook_secret")?;
        let sealed = stored_secret
            .as_deref()
            .map(serde_json::from_str::<SealedSecret>)
            .transpose()?;
        let platform: String = r.try_get("platform")?;
        Ok(Some(WebhookGate {
            config_id: r.try_get("id")?,
            platform: PlatformId::parse(&platform)
                .map_err(|e| StoreError::Corrupt(format!("sync config {config_id}: {e}")))?,
            webhook_enabled: get_bool(&r, "webhook_enabled")?,
            sealed,
            stamp: GateStamp {
                updated_at: r.try_get("updated_at")?,
                stored_secret,
            },
        }))
    }

    /// The gate's webhook secret in plaintext (`None`: none set).
    pub fn resolve_gate_secret(&self, gate: &WebhookGate) -> Result<Option<String>> {
        gate.sealed
            .as_ref()
            .map(|s| s.resolve("webhook_secret", self.secret_box.as_ref(), &self.env_prefix))
            .transpose()
    }
}
