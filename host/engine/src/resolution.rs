//! Carrying out a three-way resolution on both sides, shared by both directions (a platform
//! change coming in, an Elder change going out, a fresh link): Elder's resource patched or
//! deleted, the platform's item updated through the connector, conflicts recorded for a
//! person, and the mapping's new base written. Callers hold the config lock.

use elder_sync_model::{Item, aligned_to, shared_of_text};
use elder_sync_runtime::LoadedConnector;
use elder_sync_store::{
    ConflictType as StoredConflict, Mapping, ResolvedConfig, Resource, SyncMethod, SyncStatus,
};

use crate::apply::Applied;
use crate::conflict_record::{record_conflicts, record_typed_conflict, telemetry_conflict};
use crate::convert::{comparable, fingerprint};
use crate::engine::{SyncEngine, connector_settings};
use crate::error::EngineError;
use crate::mapping_write::write_mapping;
use crate::resolver::{self, Resolution, ResolveInput, SideAction, Strategy};
use crate::sides::elder_milestone_of;

/// Resolves with the engine's rules: of `extras`, only the shared fields the platform holds
/// are compared (the keys of the platform's item, else of the base: `aligned`).
pub fn resolve(
    base: Option<&Item>,
    elder: Option<&Item>,
    external: Option<&Item>,
    strategy: Strategy,
) -> Resolution {
    let Some(keys_from) = external.or(base) else {
        let input = ResolveInput::new(base, elder, external, strategy);
        return resolver::resolve(&input);
    };
    let base = base.map(|b| aligned(b, keys_from));
    let elder = elder.map(|e| aligned(e, keys_from));
    let input = ResolveInput::new(base.as_ref(), elder.as_ref(), external, strategy);
    resolver::resolve(&input)
}

/// `item` with its extras reduced to the shared fields `like` has (a field `item` lacks is
/// `null`), so a side or base that says nothing of a field the platform does not hold never
/// counts as a change.
pub fn aligned(item: &Item, like: &Item) -> Item {
    let keys = shared_of_text(&like.extras);
    let own = shared_of_text(&item.extras);
    Item {
        extras: serde_json::Value::Object(aligned_to(&own, keys.keys())).to_string(),
        ..item.clone()
    }
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
            let mut patch = crate::terms::resource_patch(engine, rc, p, r, milestone).await?;
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
    let mut written_status = None;
    // A rename can change the platform's id (a GitHub label's name is its id).
    let mut written_id = None;
    if let SideAction::Patch(p) = &resolution.external {
        if let Some(r) = resource.as_ref() {
            crate::notes::note_skipped_assignees(engine, rc, r, &external.external_id).await;
        }
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
        written_status = written.status_name.clone();
        written_id = Some(written.external_id.clone());
    }
    let mut merged = resolution
        .merged
        .clone()
        .unwrap_or_else(|| external.clone());
    merged.external_id = written_id.unwrap_or_else(|| external.external_id.clone());
    merged.version = written_version;
    merged.updated_at = external.updated_at;
    if let Some(status) = written_status
        && merged.status_name.as_ref() != Some(&status)
    {
        // The platform's workflow picked the status (a close moved a Jira issue to
        // `Done`): Elder and the base take it, so its echo is recognised.
        resource = adopt_status(engine, rc, resource, &status).await?;
        merged.status_name = Some(status);
    }
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

/// Elder's resource takes the platform's status `status` (in the platform's terms).
async fn adopt_status(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    resource: Option<Resource>,
    status: &str,
) -> Result<Option<Resource>, EngineError> {
    let Some(r) = resource else { return Ok(None) };
    if !elder_sync_model::has_status_names(rc.config.platform.as_str()) {
        return Ok(Some(r));
    }
    let elder_status = crate::terms::status_map(rc).to_elder(status);
    if r.status_name.as_deref() == Some(elder_status.as_str()) {
        return Ok(Some(r));
    }
    let patch = elder_sync_store::ResourcePatch {
        status_name: Some(Some(elder_status)),
        expected_version: Some(r.version),
        ..Default::default()
    };
    Ok(Some(
        engine.store.update_resource(r.kind, r.id, &patch).await?,
    ))
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
