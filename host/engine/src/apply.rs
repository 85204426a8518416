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
use crate::engine::{SyncEngine, connector_config, strategy_of};
use crate::error::EngineError;
use crate::resolver::{self, Resolution, ResolveInput, SideAction, Strategy};
use elder_sync_store::{find_reservation, open_conflict_types};

/// What applying one item did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Created in Elder (a new mapping).
    Created,
    /// Elder and/or the platform were updated.
    Updated,
    /// Nothing changed: our own write coming back, or content we already have.
    Unchanged,
    /// Not mapped and `two_way_create` is off: recorded as pending, not created.
    Pending,
    /// A conflict was recorded for a person to settle.
    Conflict,
}

/// Applies `item` (as the platform has it now) to Elder.
pub async fn apply_external(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    item: &Item,
    method: SyncMethod,
) -> Result<Applied, EngineError> {
    let cfg = &rc.config;
    let mapping = find_by_external(engine, cfg.id, item.kind, &item.external_id).await?;
    match mapping {
        None => create_in_elder(engine, rc, item, method).await,
        Some(m) => update_in_elder(engine, rc, connector, &m, item, method).await,
    }
}

async fn find_by_external(
    engine: &SyncEngine,
    config_id: i64,
    kind: Kind,
    id: &str,
) -> Result<Option<Mapping>, EngineError> {
    match engine
        .store
        .find_mapping_by_external(config_id, kind, id)
        .await
    {
        Ok(m) => Ok(m),
        Err(StoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn create_in_elder(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    item: &Item,
    method: SyncMethod,
) -> Result<Applied, EngineError> {
    let base = comparable(item);
    let print = fingerprint(&base);
    if let Some(elder_id) = find_reservation(&engine.store, rc.config.id, item.kind, &print).await?
    {
        return adopt_reservation(engine, rc, item.kind, elder_id, &base, print, method).await;
    }
    if !rc.config.two_way_create {
        tracing::info!(kind = %item.kind, external_id = %item.external_id, "not mapped and two_way_create is off: left pending");
        return Ok(Applied::Pending);
    }
    let milestone = elder_milestone_of(engine, rc.config.id, item.milestone_ref.as_deref()).await?;
    let new = new_resource(item, rc.config.elder_project_id, milestone);
    // Resource, mapping and outbox row in one transaction.
    let upsert = mapping_upsert(rc, item.kind, 0, &base, Some(print), method)?;
    engine
        .store
        .create_resource_mapped(item.kind, &new, &upsert)
        .await?;
    Ok(Applied::Created)
}

/// Our own create came back (webhook or poll) before the create call returned: the
/// reserved mapping of the Elder resource takes the platform's id; nothing is created.
async fn adopt_reservation(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    kind: Kind,
    elder_id: i64,
    base: &Item,
    print: String,
    method: SyncMethod,
) -> Result<Applied, EngineError> {
    let resource = engine.store.get_resource(kind, elder_id).await?;
    tracing::info!(%kind, elder_id, external_id = %base.external_id, "our own create came back before its call returned: the reserved mapping is adopted");
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

async fn update_in_elder(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    m: &Mapping,
    item: &Item,
    method: SyncMethod,
) -> Result<Applied, EngineError> {
    let base = base_of(m);
    let mut incoming = comparable(item);
    if already_known(m, base.as_ref(), &incoming) {
        return Ok(Applied::Unchanged);
    }
    if base
        .as_ref()
        .is_some_and(|b| incoming.updated_at <= b.updated_at)
    {
        // Not newer than what was last synced: a late (out-of-order) or same-instant event.
        // The platform's current state decides, so an older event never rolls back a newer one.
        tracing::debug!(kind = %item.kind, external_id = %item.external_id, "stale or same-instant event: reading the current item");
        let cfg = connector_config(rc);
        incoming = comparable(&connector.get(&cfg, item.kind, &item.external_id).await?);
        if already_known(m, base.as_ref(), &incoming) {
            return Ok(Applied::Unchanged);
        }
    }
    let (resource, elder) = elder_side(engine, rc.config.id, m).await?;
    let strategy = strategy_of(rc);
    let resolution = resolve(base.as_ref(), elder.as_ref(), Some(&incoming), strategy);
    apply_resolution(
        engine,
        rc,
        connector,
        m,
        resource.as_ref(),
        &incoming,
        &resolution,
        strategy,
        method,
    )
    .await
}

/// True when `incoming` is our own last write or the content already synced (echo).
fn already_known(m: &Mapping, base: Option<&Item>, incoming: &Item) -> bool {
    let print = fingerprint(incoming);
    m.last_write_fingerprint.as_deref() == Some(print.as_str())
        || base.is_some_and(|b| fingerprint(b) == print)
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
        let cfg = connector_config(rc);
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

/// An external deletion reported by the platform.
pub async fn apply_external_delete(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    kind: Kind,
    external_id: &str,
) -> Result<Applied, EngineError> {
    let Some(m) = find_by_external(engine, rc.config.id, kind, external_id).await? else {
        return Ok(Applied::Unchanged);
    };
    let resource = match engine.store.get_resource(m.elder_type, m.elder_id).await {
        Ok(r) => r,
        Err(StoreError::NotFound(_)) => return Ok(Applied::Unchanged),
        Err(e) => return Err(e.into()),
    };
    if strategy_of(rc) == Strategy::ExternalWins {
        engine
            .store
            .delete_resource(resource.kind, resource.id)
            .await?;
        return Ok(Applied::Updated);
    }
    record_typed_conflict(
        engine,
        &m,
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
