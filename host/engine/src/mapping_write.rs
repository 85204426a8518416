//! Writing a mapping after a sync: the new three-way base, our own write's fingerprint (so
//! its echo is ignored) and how it was synced.

use chrono::{DateTime, Utc};
use elder_sync_model::{Item, Kind};
use elder_sync_store::{MappingUpsert, ResolvedConfig, Resource, SyncMethod, SyncStatus};

use crate::engine::SyncEngine;
use crate::error::EngineError;

/// Writes the mapping of `resource` with `base` as the new three-way base.
pub async fn write_mapping(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    resource: &Resource,
    base: &Item,
    written_print: Option<String>,
    method: SyncMethod,
    status: SyncStatus,
) -> Result<(), EngineError> {
    let mut upsert = mapping_upsert(rc, resource.kind, resource.id, base, written_print, method)?;
    upsert.sync_status = status;
    upsert.elder_updated_at = Some(resource.updated_at);
    engine.store.upsert_mapping(&upsert).await?;
    Ok(())
}

/// A synced mapping of Elder `(kind, elder_id)` under `rc` with `base` as its base.
pub fn mapping_upsert(
    rc: &ResolvedConfig,
    kind: Kind,
    elder_id: i64,
    base: &Item,
    written_print: Option<String>,
    method: SyncMethod,
) -> Result<MappingUpsert, EngineError> {
    Ok(MappingUpsert {
        sync_config_id: rc.config.id,
        elder_type: kind,
        elder_id,
        external_platform: rc.config.platform.as_str().to_string(),
        external_id: base.external_id.clone(),
        sync_status: SyncStatus::Synced,
        sync_method: method,
        last_synced_at: Some(Utc::now()),
        elder_updated_at: None,
        external_updated_at: DateTime::<Utc>::from_timestamp_millis(base.updated_at),
        base_snapshot: Some(
            serde_json::to_value(base).map_err(|e| EngineError::Invalid(e.to_string()))?,
        ),
        last_write_fingerprint: written_print,
    })
}
