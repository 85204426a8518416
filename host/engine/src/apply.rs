//! External -> Elder: one external item (from a webhook or a poll) applied through its
//! mapping with three-way resolution and echo suppression. Callers hold the config lock.

use elder_sync_model::{Item, Kind};
use elder_sync_runtime::LoadedConnector;
use elder_sync_store::{ConflictType as StoredConflict, ResolvedConfig, SyncMethod, SyncStatus};

use crate::conflict_record::record_typed_conflict;
use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::mapping_write::{mapping_upsert, write_mapping};
use crate::plan::{Plan, plan_external, plan_external_delete};
use crate::resolution::apply_resolution;
use crate::sides::elder_milestone_of;

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
    let new = crate::terms::new_resource(engine, rc, base, milestone).await?;
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
