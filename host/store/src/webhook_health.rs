//! Persisted webhook health per config (table `webhook_health`): the engine owns what the
//! state means and hands it here as any serde value; this module owns the row.

use std::collections::HashMap;

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

/// The stored health of every config that has one, in one query (configs without a row are
/// absent: their health is `H::default()`). A row that does not parse is left out and
/// logged, so one bad row cannot stop a scheduler tick.
pub async fn load_all_health<H: DeserializeOwned>(
    store: &Store,
) -> Result<HashMap<i64, H>, StoreError> {
    let rows = sqlx::query("SELECT sync_config_id, state FROM webhook_health")
        .fetch_all(store.pool())
        .await?;
    let mut all = HashMap::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("sync_config_id")?;
        let text: String = r.try_get("state")?;
        match serde_json::from_str(&text) {
            Ok(h) => {
                all.insert(id, h);
            }
            Err(e) => tracing::warn!(config_id = id, error = %e, "webhook health row unreadable"),
        }
    }
    Ok(all)
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
