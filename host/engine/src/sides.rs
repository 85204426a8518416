//! The sides of a three-way merge as canonical items: the mapping's base snapshot, and
//! Elder's resource in the platform's terms (its milestone given as the config's external
//! id, its status and assignees as the platform names them: `terms`), for both directions.

use elder_sync_model::{Item, Kind};
use elder_sync_store::{Mapping, ResolvedConfig, Resource, StoreError};

use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::plan::find_by_external;

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
    rc: &ResolvedConfig,
    m: &Mapping,
) -> Result<(Option<Resource>, Option<Item>), EngineError> {
    let resource = match engine.store.get_resource(m.elder_type, m.elder_id).await {
        Ok(r) => Some(r),
        Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let elder = match &resource {
        Some(r) => Some(elder_item(engine, rc, r).await?),
        None => None,
    };
    Ok((resource, elder))
}

/// The Elder resource in canonical form, in the platform's terms: its milestone given as
/// the config's external id, its status and assignees translated (`terms::platform_view`).
pub async fn elder_item(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    r: &Resource,
) -> Result<Item, EngineError> {
    let config_id = rc.config.id;
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
    crate::terms::platform_view(engine, rc, r, milestone_ref).await
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
