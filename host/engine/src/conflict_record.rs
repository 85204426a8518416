//! Recording conflicts for a person to settle: one stored conflict per type (not repeated
//! while one of that type is open on the mapping), and the conflict metric.

use elder_sync_model::Item;
use elder_sync_store::{
    ConflictType as StoredConflict, Mapping, NewConflict, ResolvedConfig, Resource,
    open_conflict_types,
};
use serde_json::json;

use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::resolver::{self, Resolution};

/// Records the conflicts of a resolution left for a person (a field mismatch when it names
/// none), and counts them.
pub(crate) async fn record_conflicts(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    m: &Mapping,
    resolution: &Resolution,
    resource: Option<&Resource>,
    external: Option<&Item>,
) -> Result<(), EngineError> {
    let types = if resolution.conflict_types.is_empty() {
        vec![resolver::ConflictType::FieldMismatch]
    } else {
        resolution.conflict_types.clone()
    };
    for t in types {
        record_typed_conflict(engine, m, t, resource, external).await?;
    }
    engine
        .metrics
        .sync_conflict(rc.config.platform.as_str(), telemetry_conflict(resolution));
    Ok(())
}

/// Records one conflict of `conflict_type` on mapping `m` with both sides as they are,
/// unless one of that type is already open.
pub(crate) async fn record_typed_conflict(
    engine: &SyncEngine,
    m: &Mapping,
    conflict_type: StoredConflict,
    resource: Option<&Resource>,
    external: Option<&Item>,
) -> Result<(), EngineError> {
    let open = open_conflict_types(&engine.store, m.id).await?;
    if open.iter().any(|t| t == conflict_type.as_str()) {
        // Already waiting for a person, who resolves against both sides as they are then.
        return Ok(());
    }
    engine
        .store
        .insert_conflict(&NewConflict {
            mapping_id: m.id,
            conflict_type,
            elder_data: resource.map_or(json!(null), |r| json!(r)),
            external_data: external.map_or(json!(null), |i| json!(i)),
        })
        .await?;
    Ok(())
}

/// The metric's conflict type for a resolution.
pub(crate) fn telemetry_conflict(resolution: &Resolution) -> elder_sync_telemetry::ConflictType {
    use elder_sync_telemetry::ConflictType as T;
    match resolution.conflict_types.first() {
        Some(resolver::ConflictType::Timestamp) => T::Timestamp,
        Some(resolver::ConflictType::DeletedLocal) => T::DeletedLocal,
        Some(resolver::ConflictType::DeletedExternal) => T::DeletedExternal,
        Some(resolver::ConflictType::InvalidTransition) => T::InvalidTransition,
        _ => T::FieldMismatch,
    }
}
