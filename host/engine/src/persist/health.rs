//! Persisted webhook health per config.

use elder_sync_store::{Store, StoreError};
use sqlx::Row;

use super::now_ms;
use crate::webhook_health::WebhookHealth;

/// The stored health of a config (healthy by default).
pub async fn load_health(store: &Store, config_id: i64) -> Result<WebhookHealth, StoreError> {
    let row = sqlx::query("SELECT state FROM webhook_health WHERE sync_config_id = $1")
        .bind(config_id)
        .fetch_optional(store.pool())
        .await?;
    match row {
        None => Ok(WebhookHealth::default()),
        Some(r) => {
            let text: String = r.try_get("state")?;
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("webhook health: {e}")))
        }
    }
}

/// Stores the health of a config.
pub async fn save_health(
    store: &Store,
    config_id: i64,
    health: &WebhookHealth,
) -> Result<(), StoreError> {
    let text = serde_json::to_string(health).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO webhook_health (sync_config_id, state, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (sync_config_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(config_id)
    .bind(text)
    .bind(now_ms())
    .execute(store.pool())
    .await?;
    Ok(())
}
