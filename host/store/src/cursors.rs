//! Polling cursors per (config, kind), saved after every page so an interrupted run
//! resumes where it stopped.

use crate::{Store, StoreError};
use elder_sync_model::Kind;
use sqlx::Row;

use crate::time::now_ms;

/// The stored cursor of `(config, kind)`; `None` when never polled.
pub async fn load_cursor(
    store: &Store,
    config_id: i64,
    kind: Kind,
) -> Result<Option<String>, StoreError> {
    let row =
        sqlx::query("SELECT cursor FROM sync_cursors WHERE sync_config_id = $1 AND kind = $2")
            .bind(config_id)
            .bind(kind.as_str())
            .fetch_optional(store.pool())
            .await?;
    Ok(match row {
        Some(r) => r.try_get::<Option<String>, _>("cursor")?,
        None => None,
    })
}

/// Stores the cursor of `(config, kind)`.
pub async fn save_cursor(
    store: &Store,
    config_id: i64,
    kind: Kind,
    cursor: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sync_cursors (sync_config_id, kind, cursor, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sync_config_id, kind) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
    )
    .bind(config_id)
    .bind(kind.as_str())
    .bind(cursor.map(str::to_string))
    .bind(now_ms())
    .execute(store.pool())
    .await?;
    Ok(())
}
