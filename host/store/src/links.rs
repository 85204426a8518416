//! Small reads and writes on the store's mapping and conflict tables the engine needs
//! beyond the store's API: open conflicts of a mapping, re-pointing a mapping at a
//! re-created Elder resource, and following a platform item whose id changed (a renamed
//! GitHub label: its name is its id).

use crate::{Store, StoreError};
use sqlx::Row;

use crate::time::now_ms;

/// Ids of the unresolved conflicts of `mapping_id`, oldest first.
pub async fn unresolved_conflicts_of(
    store: &Store,
    mapping_id: i64,
) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query(
        "SELECT id FROM sync_conflicts WHERE mapping_id = $1 AND resolved = $2 ORDER BY id",
    )
    .bind(mapping_id)
    .bind(false)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>("id").map_err(StoreError::from))
        .collect()
}

/// The types (`sync_conflicts.conflict_type`) of the unresolved conflicts of `mapping_id`.
pub async fn open_conflict_types(
    store: &Store,
    mapping_id: i64,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT conflict_type FROM sync_conflicts WHERE mapping_id = $1 AND resolved = $2",
    )
    .bind(mapping_id)
    .bind(false)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            r.try_get::<String, _>("conflict_type")
                .map_err(StoreError::from)
        })
        .collect()
}

/// Points mapping `mapping_id` at Elder resource `elder_id` (same kind).
pub async fn repoint_mapping(
    store: &Store,
    mapping_id: i64,
    elder_id: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE sync_mappings SET elder_id = $1, updated_at = $2 WHERE id = $3")
        .bind(elder_id)
        .bind(now_ms())
        .bind(mapping_id)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("mapping {mapping_id}")));
    }
    Ok(())
}

/// Gives mapping `mapping_id` the platform id `external_id` (the item's id changed there).
pub async fn rename_external_id(
    store: &Store,
    mapping_id: i64,
    external_id: &str,
) -> Result<(), StoreError> {
    let done =
        sqlx::query("UPDATE sync_mappings SET external_id = $1, updated_at = $2 WHERE id = $3")
            .bind(external_id.to_string())
            .bind(now_ms())
            .bind(mapping_id)
            .execute(store.pool())
            .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("mapping {mapping_id}")));
    }
    Ok(())
}
