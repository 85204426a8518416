//! A platform item whose id changed (a GitHub label is renamed: its name is its id). A
//! change reporting the old id with the item under its new one moves the mapping to the new
//! id before the item is applied, so the item is updated (renamed in Elder), never deleted
//! and created again. Our own renames are learnt where the write returns (`resolution`).

use elder_sync_model::Kind;
use elder_sync_store::ResolvedConfig;

use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::plan::find_by_external;

/// Moves the mapping of `(kind, old)` to `new`, when `old` is mapped and `new` is not.
pub async fn follow_new_id(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    kind: Kind,
    old: &str,
    new: &str,
) -> Result<(), EngineError> {
    if old == new {
        return Ok(());
    }
    let config_id = rc.config.id;
    let Some(m) = find_by_external(engine, config_id, kind, old).await? else {
        return Ok(());
    };
    if find_by_external(engine, config_id, kind, new)
        .await?
        .is_some()
    {
        return Ok(());
    }
    tracing::info!(config_id, %kind, old, new, "the platform item's id changed: its mapping follows");
    elder_sync_store::rename_external_id(&engine.store, m.id, new).await?;
    Ok(())
}
