//! A dry run of a config (`POST /api/v1/sync/configs/{id}/run?dry_run=true`): the walk of a
//! real run (`poll::walk`) with its plans (`plan`) reported instead of executed. It only
//! reads: the connector's `list-changes` and `get`, and the store. No Elder or platform
//! write, no cursor moved, no mapping, history, conflict or outbox row, no operation or
//! conflict metric (a rate-limit wait it meets is counted like any other).

use std::collections::HashSet;

use elder_sync_model::{Item, ItemPatch, ItemState, Kind};
use elder_sync_store::Resource;
use serde::Serialize;
use utoipa::ToSchema;

use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::plan::{Plan, Resolve};
use crate::poll::{Pass, walk};
use crate::resolver::{SideAction, Strategy};

/// Items listed per action; `count` goes on counting past it.
pub const LISTED_PER_ACTION: usize = 100;

/// What a run of a config would do, per side.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct DryRun {
    /// Row id of the sync config planned.
    pub config_id: i64,
    /// Always true: nothing was written.
    pub dry_run: bool,
    /// What the run would do in Elder.
    pub elder: SidePlan,
    /// What the run would do on the platform.
    pub platform: SidePlan,
    /// Items the run would leave as they are (already in sync, or our own writes).
    pub unchanged: i64,
    /// Items whose plan could not be made (e.g. the platform refused a read).
    pub failed: Vec<PlanFailure>,
    /// Set when the run would stop early (e.g. a long rate limit).
    pub interrupted: Option<String>,
    /// Items already planned: an item met twice (a fresh link that also changed since the
    /// cursor) is planned once, as the real run's second meeting is an echo of its first.
    #[serde(skip)]
    seen: HashSet<(Kind, String)>,
}

/// One side's actions. A conflict left for a person is listed on both sides: neither is
/// written until it is resolved.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SidePlan {
    /// Items the run would create on this side.
    pub create: Actions,
    /// Items the run would change on this side.
    pub update: Actions,
    /// Closed (or, for a platform deletion under `external_wins`, deleted).
    pub close: Actions,
    /// Items the run would record as a conflict instead of writing.
    pub conflict: Actions,
}

/// How many items an action touches, and the first [`LISTED_PER_ACTION`] of them.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Actions {
    /// Every item the action touches (exact, past the listed ones too).
    pub count: usize,
    /// The first items, in the order the run meets them.
    pub items: Vec<PlannedItem>,
}

/// One item an action touches.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedItem {
    /// issue | project | milestone | label
    #[schema(value_type = String)]
    pub kind: Kind,
    /// The platform's id of the item.
    pub external_id: String,
    /// The Elder resource, when there is one already.
    pub elder_id: Option<i64>,
    /// The item's title (the platform's, or Elder's for an Elder-side action).
    pub title: String,
    /// The fields the update would write (for an update or close), or the conflict's types.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

/// An item whose plan could not be made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanFailure {
    /// The platform's id of the item.
    pub external_id: String,
    /// Why no plan could be made (redacted like history).
    pub error: String,
}

/// Plans a run of config `config_id` without writing anything.
pub async fn dry_run(engine: &SyncEngine, config_id: i64) -> Result<DryRun, EngineError> {
    let rc = engine.store.resolve_config(config_id).await?;
    let connector = engine.connector_for(&rc)?;
    let mut report = DryRun {
        config_id,
        dry_run: true,
        ..DryRun::default()
    };
    walk(engine, &rc, &connector, &mut Pass::Dry(&mut report)).await?;
    Ok(report)
}

impl Actions {
    fn push(&mut self, item: PlannedItem) {
        self.count += 1;
        if self.items.len() < LISTED_PER_ACTION {
            self.items.push(item);
        }
    }
}

impl SidePlan {
    /// An update, or a close when the patch closes the item.
    fn change(&mut self, patch: &ItemPatch, item: PlannedItem) {
        let item = PlannedItem {
            detail: Some(written_fields(patch)),
            ..item
        };
        if patch.state == Some(ItemState::Closed) {
            self.close.push(item);
        } else {
            self.update.push(item);
        }
    }
}

impl DryRun {
    /// Reports one item's plan (or the error that kept it from being made).
    pub(crate) fn add(&mut self, plan: Result<Plan, EngineError>, external_id: &str) {
        match plan {
            Ok(plan) => self.add_plan(plan),
            Err(e) => self.failed.push(PlanFailure {
                external_id: external_id.to_string(),
                error: elder_sync_telemetry::redact::redact_text(&e.to_string()),
            }),
        }
    }

    fn add_plan(&mut self, plan: Plan) {
        if let Some((kind, id)) = plan.subject()
            && !self.seen.insert((kind, id.to_string()))
        {
            return;
        }
        match plan {
            Plan::Unchanged | Plan::Adopt { .. } => self.unchanged += 1,
            Plan::Import { base, .. } => self.elder.create.push(planned(&base, None)),
            Plan::Resolve(r) => self.add_resolution(&r),
            Plan::DeleteInElder {
                resource,
                external_id,
            } => {
                let item = from_resource(&resource, external_id, None);
                self.elder.close.push(item);
            }
            Plan::DeletedExternal { mapping, resource } => {
                let why = serde_json::json!({"conflict_types": ["deleted_external"]});
                let item = from_resource(&resource, mapping.external_id, Some(why));
                self.elder.conflict.push(item);
            }
        }
    }

    fn add_resolution(&mut self, r: &Resolve) {
        let item = planned(&r.incoming, r.resource.as_ref().map(|x| x.id));
        let resolution = &r.resolution;
        if resolution.needs_manual {
            let types: Vec<&str> = resolution
                .conflict_types
                .iter()
                .map(|t| t.as_str())
                .collect();
            let item = PlannedItem {
                detail: Some(serde_json::json!({"conflict_types": types})),
                ..item
            };
            self.elder.conflict.push(item.clone());
            self.platform.conflict.push(item);
            return;
        }
        if resolution.is_noop() {
            self.unchanged += 1;
            return;
        }
        match (&resolution.elder, r.resource.as_ref()) {
            (SideAction::Patch(p), Some(_)) => self.elder.change(p, item.clone()),
            (SideAction::Delete, Some(_)) if r.strategy == Strategy::ExternalWins => {
                self.elder.close.push(item.clone())
            }
            (SideAction::Delete, Some(_)) => {
                let why = serde_json::json!({"conflict_types": ["deleted_external"]});
                let conflict = PlannedItem {
                    detail: Some(why),
                    ..item.clone()
                };
                self.elder.conflict.push(conflict);
                return;
            }
            _ => {}
        }
        if let SideAction::Patch(p) = &resolution.external {
            self.platform.change(p, item);
        }
    }
}

/// The fields a patch writes, with their new values.
fn written_fields(patch: &ItemPatch) -> serde_json::Value {
    let mut fields = match serde_json::to_value(patch) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    fields.retain(|key, value| !value.is_null() && key != "expected_version");
    serde_json::Value::Object(fields)
}

fn planned(item: &Item, elder_id: Option<i64>) -> PlannedItem {
    PlannedItem {
        kind: item.kind,
        external_id: item.external_id.clone(),
        elder_id,
        title: item.title.clone(),
        detail: None,
    }
}

fn from_resource(
    r: &Resource,
    external_id: String,
    detail: Option<serde_json::Value>,
) -> PlannedItem {
    PlannedItem {
        kind: r.kind,
        external_id,
        elder_id: Some(r.id),
        title: r.title.clone(),
        detail,
    }
}
