//! External -> Elder: one external item (from a webhook or a poll) applied through its
//! mapping with three-way resolution and echo suppression. Callers hold the config lock.

use chrono::{DateTime, Utc};
use elder_sync_model::{Item, Kind};
use elder_sync_runtime::LoadedConnector;
use elder_sync_store::{
    ConflictType as StoredConflict, Mapping, MappingUpsert, NewConflict, ResolvedConfig, Resource,
    StoreError, SyncMethod, SyncStatus,
};
use serde_json::json;

use crate::convert::{comparable, fingerprint, new_resource, resource_patch, resource_to_item};
use crate::engine::{SyncEngine, connector_settings};
use crate::error::EngineError;
use crate::plan::{Plan, find_by_external, plan_external, plan_external_delete};
use crate::resolver::{self, Resolution, ResolveInput, SideAction, Strategy};
use elder_sync_store::open_conflict_types;

/// What applying one item did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Created in Elder (a new mapping).
    Created,
    /// Elder and/or the platform were updated.
    Updated,
    /// Nothing changed: our own write coming back, or content we already have.
    Unchanged,
    /// A conflict was recorded for a person to settle.
    Conflict,
}

/// Applies `item` (as the platform has it now) to Elder: its [`Plan`], executed.
pub async fn apply_external(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    item: &Item,
    method: SyncMethod,
) -> Result<Applied, EngineError> {
    let plan = plan_external(engine, rc, connector, item).await?;
    execute(engine, rc, connector, plan, method).await
}

/// Carries out a plan (see `plan`): the only place a run's decision is written.
pub async fn execute(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    plan: Plan,
    method: SyncMethod,
) -> Result<Applied, EngineError> {
    match plan {
        Plan::Unchanged => Ok(Applied::Unchanged),
        Plan::Adopt {
            elder_id,
            base,
            print,
        } => adopt_reservation(engine, rc, elder_id, &base, print, method).await,
        Plan::Import { base, print } => create_in_elder(engine, rc, &base, print, method).await,
        Plan::Resolve(r) => {
            apply_resolution(
                engine,
                rc,
                connector,
                &r.mapping,
                r.resource.as_ref(),
                &r.incoming,
                &r.resolution,
                r.strategy,
                method,
            )
            .await
        }
        deletion => execute_deletion(engine, rc, deletion).await,
    }
}

/// Carries out the plan of a platform deletion (which touches Elder only).
async fn execute_deletion(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    plan: Plan,
) -> Result<Applied, EngineError> {
    match plan {
        Plan::DeleteInElder { resource, .. } => {
            engine
                .store
                .delete_resource(resource.kind, resource.id)
                .await?;
            Ok(Applied::Updated)
        }
        Plan::DeletedExternal { mapping, resource } => {
            record_typed_conflict(
                engine,
                &mapping,
                StoredConflict::DeletedExternal,
                Some(&resource),
                None,
            )
            .await?;
            engine.metrics.sync_conflict(
                rc.config.platform.as_str(),
                elder_sync_telemetry::ConflictType::DeletedExternal,
            );
            Ok(Applied::Conflict)
        }
        _ => Ok(Applied::Unchanged),
    }
}

/// An item the config has not mapped is imported into the config's Elder project: import
/// is the default whatever `two_way_create` says (that setting only governs Elder -> platform
/// creation, see `dispatch::push_to_config`).
async fn create_in_elder(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    base: &Item,
    print: String,
    method: SyncMethod,
) -> Result<Applied, EngineError> {
    let milestone = elder_milestone_of(engine, rc.config.id, base.milestone_ref.as_deref()).await?;
    let new = new_resource(base, rc.config.elder_project_id, milestone);
    // Resource, mapping and outbox row in one transaction.
    let upsert = mapping_upsert(rc, base.kind, 0, base, Some(print), method)?;
    engine
        .store
        .create_resource_mapped(base.kind, &new, &upsert)
        .await?;
    Ok(Applied::Created)
}

/// Our own create came back (webhook or poll) before the create call returned: the
/// reserved mapping of the Elder resource takes the platform's id; nothing is created.
async fn adopt_reservation(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    elder_id: i64,
    base: &Item,
    print: String,
    method: SyncMethod,
) -> Result<Applied, EngineError> {
    let resource = engine.store.get_resource(base.kind, elder_id).await?;
    tracing::info!(kind = %base.kind, elder_id, external_id = %base.external_id, "our own create came back before its call returned: the reserved mapping is adopted");
    write_mapping(
        engine,
        rc,
        &resource,
        base,
        Some(print),
        method,
        SyncStatus::Synced,
    )
    .await?;
    Ok(Applied::Unchanged)
}

/// Resolves with the engine's rules: platform extras are not compared.
pub fn resolve(
    base: Option<&Item>,
    elder: Option<&Item>,
    external: Option<&Item>,
    strategy: Strategy,
) -> Resolution {
    let mut input = ResolveInput::new(base, elder, external, strategy);
    input.include_extras = false;
    resolver::resolve(&input)
}

/// Carries out a resolution on both sides and records it on the mapping.
#[allow(clippy::too_many_arguments)]
pub async fn apply_resolution(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    m: &Mapping,
    resource: Option<&Resource>,
    external: &Item,
    resolution: &Resolution,
    strategy: Strategy,
    method: SyncMethod,
) -> Result<Applied, EngineError> {
    if resolution.needs_manual {
        record_conflicts(engine, rc, m, resolution, resource, Some(external)).await?;
        return Ok(Applied::Conflict);
    }
    if resolution.has_conflict() {
        engine
            .metrics
            .sync_conflict(rc.config.platform.as_str(), telemetry_conflict(resolution));
    }
    // Our last write's fingerprint stays only while the platform still holds that write:
    // once it moved on, coming back to that content is a real change, not an echo.
    let mut written_print = m
        .last_write_fingerprint
        .clone()
        .filter(|p| *p == fingerprint(&comparable(external)));
    let mut written_version = external.version.clone();
    let mut resource = resource.cloned();
    match (&resolution.elder, resource.as_ref()) {
        (SideAction::Patch(p), Some(r)) => {
            let milestone = match &p.milestone_ref {
                Some(ext) => Some(elder_milestone_of(engine, rc.config.id, ext.as_deref()).await?),
                None => None,
            };
            let mut patch = resource_patch(p, milestone);
            patch.expected_version = Some(r.version);
            resource = Some(engine.store.update_resource(r.kind, r.id, &patch).await?);
        }
        (SideAction::Delete, Some(r)) if strategy == Strategy::ExternalWins => {
            engine.store.delete_resource(r.kind, r.id).await?;
            resource = None;
        }
        (SideAction::Delete, Some(_)) => {
            record_typed_conflict(
                engine,
                m,
                StoredConflict::DeletedExternal,
                resource.as_ref(),
                None,
            )
            .await?;
            return Ok(Applied::Conflict);
        }
        _ => {}
    }
    if let SideAction::Patch(p) = &resolution.external {
        let cfg = connector_settings(rc);
        let written = match connector
            .update(&cfg, external.kind, &external.external_id, p.clone())
            .await
        {
            Ok(w) => w,
            Err(e) => return refused_write(engine, rc, m, resource.as_ref(), external, e).await,
        };
        written_print = Some(fingerprint(&comparable(&written)));
        written_version = written.version.clone();
    }
    let mut merged = resolution
        .merged
        .clone()
        .unwrap_or_else(|| external.clone());
    merged.external_id = external.external_id.clone();
    merged.version = written_version;
    merged.updated_at = external.updated_at;
    match resource {
        Some(r) => {
            write_mapping(
                engine,
                rc,
                &r,
                &merged,
                written_print,
                method,
                SyncStatus::Synced,
            )
            .await?
        }
        None => {
            engine
                .store
                .set_mapping_status(m.id, SyncStatus::Synced)
                .await?;
        }
    }
    Ok(if resolution.is_noop() {
        Applied::Unchanged
    } else {
        Applied::Updated
    })
}

/// A platform's refusal of our write: a transition its workflow cannot make is recorded as
/// an `invalid_transition` conflict (nothing more is pushed until it is resolved); any
/// other refusal is returned (a lock conflict is re-read and re-applied by the caller).
async fn refused_write(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    m: &Mapping,
    resource: Option<&Resource>,
    external: &Item,
    e: elder_sync_runtime::CallError,
) -> Result<Applied, EngineError> {
    let e = EngineError::from(e);
    if !crate::refusals::is_invalid_transition(&e) {
        return Err(e);
    }
    tracing::warn!(external_id = %external.external_id, error = %e, "the platform refused a state change: conflict recorded");
    record_typed_conflict(
        engine,
        m,
        StoredConflict::InvalidTransition,
        resource,
        Some(external),
    )
    .await?;
    engine.metrics.sync_conflict(
        rc.config.platform.as_str(),
        elder_sync_telemetry::ConflictType::InvalidTransition,
    );
    Ok(Applied::Conflict)
}

/// An external deletion reported by the platform: its [`Plan`], executed.
pub async fn apply_external_delete(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    kind: Kind,
    external_id: &str,
) -> Result<Applied, EngineError> {
    let plan = plan_external_delete(engine, rc, kind, external_id).await?;
    execute_deletion(engine, rc, plan).await
}

async fn record_conflicts(
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
        let stored = StoredConflict::parse(t.as_str()).unwrap_or(StoredConflict::FieldMismatch);
        record_typed_conflict(engine, m, stored, resource, external).await?;
    }
    engine
        .metrics
        .sync_conflict(rc.config.platform.as_str(), telemetry_conflict(resolution));
    Ok(())
}

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

fn telemetry_conflict(resolution: &Resolution) -> elder_sync_telemetry::ConflictType {
    use elder_sync_telemetry::ConflictType as T;
    match resolution.conflict_types.first() {
        Some(resolver::ConflictType::Timestamp) => T::Timestamp,
        Some(resolver::ConflictType::DeletedLocal) => T::DeletedLocal,
        Some(resolver::ConflictType::DeletedExternal) => T::DeletedExternal,
        Some(resolver::ConflictType::InvalidTransition) => T::InvalidTransition,
        _ => T::FieldMismatch,
    }
}

/// The mapping's base snapshot as an item.
pub fn base_of(m: &Mapping) -> Option<Item> {
    m.base_snapshot
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// The Elder side of mapping `m`: its resource (none when deleted) and that resource as a
/// canonical item.
pub(crate) async fn elder_side(
    engine: &SyncEngine,
    config_id: i64,
    m: &Mapping,
) -> Result<(Option<Resource>, Option<Item>), EngineError> {
    let resource = match engine.store.get_resource(m.elder_type, m.elder_id).await {
        Ok(r) => Some(r),
        Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let elder = match &resource {
        Some(r) => Some(elder_item(engine, config_id, r).await?),
        None => None,
    };
    Ok((resource, elder))
}

/// The Elder resource in canonical form, its milestone given as the config's external id.
pub async fn elder_item(
    engine: &SyncEngine,
    config_id: i64,
    r: &Resource,
) -> Result<Item, EngineError> {
    let milestone_ref = match r.milestone_id {
        Some(id) => engine
            .store
            .find_mapping_by_elder(config_id, Kind::Milestone, id)
            .await
            .ok()
            .flatten()
            .map(|m| m.external_id),
        None => None,
    };
    Ok(resource_to_item(r, milestone_ref))
}

/// The Elder milestone mapped to an external milestone id (`None` when unmapped or unset).
pub(crate) async fn elder_milestone_of(
    engine: &SyncEngine,
    config_id: i64,
    external: Option<&str>,
) -> Result<Option<i64>, EngineError> {
    let Some(ext) = external else { return Ok(None) };
    Ok(find_by_external(engine, config_id, Kind::Milestone, ext)
        .await?
        .map(|m| m.elder_id))
}

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
