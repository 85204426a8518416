//! Elder's terms and a platform's: status names through the config's `status_map` (with
//! the platform's defaults, `elder_sync_model::StatusMap`) and assignees through the
//! identity table (`people`). Mapping bases and the three-way merge are in the platform's
//! terms; Elder's resource is translated into them when read (`platform_view`) and the
//! platform's values back into Elder's when written (`new_resource`, `resource_patch`).

use elder_sync_model::{
    Item, ItemPatch, StatusMap, closing_reasons, has_status_names, merged_into, shared_of_text,
};
use elder_sync_store::{NewResource, ResolvedConfig, Resource, ResourcePatch};
use serde_json::Map;

use crate::convert;
use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::people;

/// The config's status map (the store refuses invalid ones; defaults if one slipped by).
pub fn status_map(rc: &ResolvedConfig) -> StatusMap {
    let platform = rc.config.platform.as_str();
    StatusMap::of_config(platform, &rc.settings)
        .or_else(|_| StatusMap::of_config(platform, &Map::new()))
        .unwrap_or_default()
}

/// Elder's resource as the config's platform would hold it (Elder assignees with no
/// account there left out). `milestone_ref` is the config's external id.
pub async fn platform_view(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    r: &Resource,
    milestone_ref: Option<String>,
) -> Result<Item, EngineError> {
    let platform = rc.config.platform.as_str();
    let mut item = convert::resource_to_item(r, milestone_ref);
    item.status_name = match &r.status_name {
        Some(name) if has_status_names(platform) => Some(status_map(rc).to_platform(name)),
        // A platform without workflow statuses takes a status that is a reason to close
        // (Elder's "Not Planned" is GitHub's `not_planned`).
        Some(name) => Some(status_map(rc).to_platform(name))
            .filter(|s| closing_reasons(platform).contains(&s.as_str())),
        None => None,
    };
    let on = people::to_platform(engine, platform, &r.assignees).await?;
    item.assignees = on.assignees;
    Ok(item)
}

/// A new Elder resource from the platform's item, in Elder's terms.
pub async fn new_resource(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    item: &Item,
    milestone_id: Option<i64>,
) -> Result<NewResource, EngineError> {
    let platform = rc.config.platform.as_str();
    let assignees = people::to_elder(engine, platform, &item.assignees).await?;
    Ok(new_resource_with(rc, item, milestone_id, assignees))
}

/// [`new_resource`] with its assignees already in Elder's terms (a page's import
/// translates them through one [`people::HandleMemo`]).
pub fn new_resource_with(
    rc: &ResolvedConfig,
    item: &Item,
    milestone_id: Option<i64>,
    assignees: Vec<String>,
) -> NewResource {
    let mut new = convert::new_resource(item, rc.config.elder_project_id, milestone_id);
    new.status_name = item
        .status_name
        .as_deref()
        .map(|s| status_map(rc).to_elder(s));
    new.assignees = assignees;
    new
}

/// A patch of Elder's resource `current` from a patch in the platform's terms; `milestone`
/// is the translated Elder milestone change.
pub async fn resource_patch(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    p: &ItemPatch,
    current: &Resource,
    milestone: Option<Option<i64>>,
) -> Result<ResourcePatch, EngineError> {
    let platform = rc.config.platform.as_str();
    let mut patch = convert::resource_patch(p, milestone);
    patch.status_name = p
        .status_name
        .as_deref()
        .map(|s| Some(status_map(rc).to_elder(s)));
    if let Some(logins) = &p.assignees {
        patch.assignees =
            Some(people::merged_into_elder(engine, platform, logins, &current.assignees).await?);
    }
    if let Some(extras) = &p.extras {
        // Only the shared fields are written; Elder's other extras stay as they are.
        patch.extras = Some(merged_into(&current.extras, &shared_of_text(extras)));
    }
    Ok(patch)
}
