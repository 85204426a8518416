//! Persisted webhook health per config (table `webhook_health`): the engine owns what the
//! state means and hands it here as any serde value; this module owns the row.

use crate::{Store, StoreError};
use sqlx::Row;

use crate::time::now_ms;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The stored health of a config (`H::default()`, healthy, when none is stored).
pub async fn load_health<H: DeserializeOwned + Default>(
    store: &Store,
    config_id: i64,
) -> Result<H, StoreError> {
    let row = sqlx::query("SELECT state FROM webhook_health WHERE sync_config_id = $1")
        .bind(config_id)
        .fetch_optional(store.pool())
        .await?;
    match row {
        None => Ok(H::default()),
        Some(r) => {
            let text: String = r.try_get("state")?;
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("webhook health: {e}")))
        }
    }
}

/// Stores the health of a config.
pub async fn save_health<H: Serialize>(
    store: &Store,
    config_id: i64,
    health: &H,
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
