//! Settling a conflict a person resolved (`POST /api/v1/sync/conflicts/{id}/resolve`):
//! both sides are read as they are now, the chosen resolution decides the target item, the
//! target is written to Elder and to the platform (through the connector), the mapping is
//! re-based on it, and the conflict (with any other open conflict of the same mapping) is
//! marked resolved.
//!
//! - `elder_wins`: Elder's current state goes to the platform (a deleted Elder item is
//!   deleted or closed there; an item deleted on the platform is created again).
//! - `external_wins`: the platform's current state goes to Elder (deleted there: deleted in
//!   Elder; deleted in Elder: created again in Elder).
//! - `merge`: a field merge of both sides (per field, the newer side for fields changed on
//!   both; labels and assignees merged element-wise), then the fields given in `data`.
//! - `manual`: the fields in `data` over Elder's state; without `data`, the person has
//!   already made both sides agree and the engine only checks that and re-bases.

use elder_sync_model::{ConnectorError, Item, ItemState, NewItem};
use elder_sync_runtime::{CallError, ConnectorSettings, LoadedConnector};
use elder_sync_store::{
    Conflict, Mapping, ResolutionStrategy, ResolvedConfig, Resource, StoreError, SyncStatus,
};
use serde_json::{Map, Value};

use crate::convert::{comparable, fingerprint};
use crate::engine::{SyncEngine, connector_settings};
use crate::error::EngineError;
use crate::mapping_write::write_mapping;
use crate::resolution::{aligned, resolve};
use crate::resolver::{Capabilities, Field, Strategy, diff};
use crate::run::{Finished, record_finished};
use crate::sides::{base_of, elder_milestone_of, elder_side};
use elder_sync_store::{repoint_mapping, unresolved_conflicts_of};
use tracing::Instrument;

/// The fields a person's resolution may set (`data`), besides the strategy's choice.
pub const DATA_FIELDS: [&str; 5] = ["title", "body", "state", "labels", "assignees"];

/// The synced fields compared between the sides.
const SYNCED: [Field; 7] = [
    Field::Title,
    Field::Body,
    Field::State,
    Field::Labels,
    Field::Assignees,
    Field::MilestoneRef,
    Field::Extras,
];

/// A person's resolution of one conflict.
#[derive(Debug, Clone)]
pub struct Settlement {
    /// Which version both sides take.
    pub strategy: ResolutionStrategy,
    /// Field values given with the resolution (a JSON object), if any.
    pub data: Option<Value>,
    /// Who resolved it (e.g. `api-token:3`).
    pub resolved_by: String,
}

/// Applies `s` to conflict `conflict_id` on both sides and marks it resolved; its log
/// lines carry a correlation id of their own, the id of its `resolve` history row.
pub async fn settle_conflict(
    engine: &SyncEngine,
    conflict_id: i64,
    s: &Settlement,
) -> Result<Conflict, EngineError> {
    let correlation_id = uuid::Uuid::new_v4();
    let started_at = chrono::Utc::now();
    let span = tracing::info_span!("resolve", correlation_id = %correlation_id, conflict_id);
    let result = settle(engine, conflict_id, s).instrument(span).await;
    record_settlement(engine, conflict_id, s, correlation_id, started_at, &result).await;
    result
}

/// Records a resolution that was carried out or failed while being carried out (a refused
/// request, such as an unknown or already resolved conflict, is no sync operation).
async fn record_settlement(
    engine: &SyncEngine,
    conflict_id: i64,
    s: &Settlement,
    correlation_id: uuid::Uuid,
    started_at: chrono::DateTime<chrono::Utc>,
    result: &Result<Conflict, EngineError>,
) {
    if matches!(
        result,
        Err(EngineError::Store(
            StoreError::NotFound(_) | StoreError::Conflict(_) | StoreError::Invalid { .. }
        ))
    ) {
        return;
    }
    let Ok(conflict) = engine.store.get_conflict(conflict_id).await else {
        return;
    };
    let Ok(mapping) = engine.store.get_mapping(conflict.mapping_id).await else {
        return;
    };
    let Ok(config) = engine.store.get_config(mapping.sync_config_id).await else {
        return;
    };
    record_finished(
        engine,
        Finished {
            config_id: config.id,
            platform: config.platform.as_str(),
            sync_type: "resolve",
            correlation_id,
            started_at,
            synced: i64::from(result.is_ok()),
            error: result.as_ref().err().map(ToString::to_string),
            metadata: serde_json::json!({
                "conflict_id": conflict_id,
                "conflict_type": conflict.conflict_type,
                "resolution_strategy": s.strategy,
                "resolved_by": s.resolved_by,
                "resource": {"kind": mapping.elder_type, "id": mapping.elder_id},
                "external_id": mapping.external_id,
            }),
        },
    )
    .await;
}

async fn settle(
    engine: &SyncEngine,
    conflict_id: i64,
    s: &Settlement,
) -> Result<Conflict, EngineError> {
    let overrides = parse_data(s.data.as_ref())?;
    let conflict = engine.store.get_conflict(conflict_id).await?;
    if conflict.resolved {
        return Err(
            StoreError::Conflict(format!("conflict {conflict_id} is already resolved")).into(),
        );
    }
    let mapping = engine.store.get_mapping(conflict.mapping_id).await?;
    let rc = engine.store.resolve_config(mapping.sync_config_id).await?;
    let connector = engine.connector_for(&rc)?;
    let _guard = engine.lock_config(rc.config.id).await;
    // Re-read under the lock: a concurrent resolution may have won.
    if engine.store.get_conflict(conflict_id).await?.resolved {
        return Err(
            StoreError::Conflict(format!("conflict {conflict_id} is already resolved")).into(),
        );
    }
    let sides = Sides::read(engine, &rc, &connector, &mapping).await?;
    let target = sides.target(s.strategy, &overrides)?;
    tracing::info!(
        conflict_id,
        mapping_id = mapping.id,
        strategy = s.strategy.as_str(),
        "applying a conflict resolution"
    );
    let applier = Applier {
        engine,
        rc: &rc,
        connector: &connector,
        cfg: connector_settings(&rc),
        mapping: &mapping,
    };
    applier.apply(&sides, target).await?;
    mark_resolved(engine, &conflict, s).await
}

/// Field values from `data`: a JSON object with some of [`DATA_FIELDS`].
fn parse_data(data: Option<&Value>) -> Result<Map<String, Value>, EngineError> {
    let invalid =
        |field: &str, message: &str| EngineError::Store(StoreError::invalid(field, message));
    let obj = match data {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(invalid("data", "must be a JSON object")),
    };
    for (k, v) in &obj {
        let ok = match k.as_str() {
            "title" | "body" => v.is_string(),
            "state" => matches!(v.as_str(), Some("open" | "closed")),
            "labels" | "assignees" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            _ => {
                return Err(invalid(
                    &format!("data.{k}"),
                    &format!("unknown field; expected one of {}", DATA_FIELDS.join(", ")),
                ));
            }
        };
        if !ok {
            return Err(invalid(
                &format!("data.{k}"),
                "wrong type (title/body: text, state: open|closed, labels/assignees: list of text)",
            ));
        }
    }
    Ok(obj)
}

/// `item` with the fields given in `data`.
fn overlay(item: &Item, data: &Map<String, Value>) -> Item {
    let mut out = item.clone();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    for (k, v) in data {
        match k.as_str() {
            "title" => out.title = v.as_str().unwrap_or_default().to_string(),
            "body" => out.body = v.as_str().unwrap_or_default().to_string(),
            "state" if v == "closed" => out.state = ItemState::Closed,
            "state" => out.state = ItemState::Open,
            "labels" => out.labels = strings(v),
            "assignees" => out.assignees = strings(v),
            _ => {}
        }
    }
    out
}

/// Both sides as they are now (`None`: deleted).
struct Sides {
    base: Option<Item>,
    resource: Option<Resource>,
    elder: Option<Item>,
    external: Option<Item>,
}

impl Sides {
    async fn read(
        engine: &SyncEngine,
        rc: &ResolvedConfig,
        connector: &LoadedConnector,
        m: &Mapping,
    ) -> Result<Sides, EngineError> {
        let (resource, elder) = elder_side(engine, rc, m).await?;
        let cfg = connector_settings(rc);
        let external = match connector.get(&cfg, m.elder_type, &m.external_id).await {
            Ok(item) => Some(comparable(&item)),
            Err(CallError::Connector(ConnectorError::NotFound(_))) => None,
            Err(e) => return Err(e.into()),
        };
        let base = base_of(m);
        // Of the shared extras, the fields the platform holds (`resolution::aligned`).
        let elder = match external.as_ref().or(base.as_ref()) {
            Some(like) => elder.map(|e| aligned(&e, like)),
            None => elder,
        };
        Ok(Sides {
            base,
            resource,
            elder,
            external,
        })
    }

    /// What both sides should hold; `None`: the item is deleted on both.
    fn target(
        &self,
        strategy: ResolutionStrategy,
        data: &Map<String, Value>,
    ) -> Result<Option<Item>, EngineError> {
        let chosen = match strategy {
            ResolutionStrategy::ElderWins => self.elder.clone(),
            ResolutionStrategy::ExternalWins => self.external.clone(),
            ResolutionStrategy::Merge => self.merged()?,
            ResolutionStrategy::Manual if data.is_empty() => {
                return self.agreed();
            }
            ResolutionStrategy::Manual => self.elder.clone().or_else(|| self.external.clone()),
        };
        Ok(chosen.map(|item| overlay(&item, data)))
    }

    fn merged(&self) -> Result<Option<Item>, EngineError> {
        match (&self.elder, &self.external) {
            (Some(e), Some(x)) => {
                let r = resolve(self.base.as_ref(), Some(e), Some(x), Strategy::FieldMerge);
                Ok(Some(r.merged.unwrap_or_else(|| e.clone())))
            }
            _ => Err(StoreError::Conflict(
                "the item is deleted on one side: merge needs both; choose elder_wins or external_wins"
                    .into(),
            )
            .into()),
        }
    }

    fn agreed(&self) -> Result<Option<Item>, EngineError> {
        match (&self.elder, &self.external) {
            (None, None) => Ok(None),
            (Some(e), Some(x)) if fingerprint(e) == fingerprint(&with_id(x, e)) => {
                Ok(Some(x.clone()))
            }
            _ => Err(StoreError::Conflict(
                "the two sides still differ: give the fields in `data`, or choose elder_wins, external_wins or merge"
                    .into(),
            )
            .into()),
        }
    }
}

/// `x` compared as if it had `e`'s id (fingerprints ignore ids; kept for clarity).
fn with_id(x: &Item, e: &Item) -> Item {
    Item {
        external_id: e.external_id.clone(),
        ..x.clone()
    }
}

/// Writes a target to both sides of one mapping.
struct Applier<'a> {
    engine: &'a SyncEngine,
    rc: &'a ResolvedConfig,
    connector: &'a LoadedConnector,
    cfg: ConnectorSettings,
    mapping: &'a Mapping,
}

impl Applier<'_> {
    async fn apply(&self, sides: &Sides, target: Option<Item>) -> Result<(), EngineError> {
        let Some(target) = target else {
            return self.delete_both(sides).await;
        };
        let resource = self.write_elder(sides, &target).await?;
        let (written, external_id) = self.write_external(sides, &target).await?;
        let mut base = comparable(&written);
        base.external_id = external_id;
        let print = fingerprint(&base);
        if resource.id != self.mapping.elder_id {
            repoint_mapping(&self.engine.store, self.mapping.id, resource.id).await?;
        }
        write_mapping(
            self.engine,
            self.rc,
            &resource,
            &base,
            Some(print),
            self.mapping.sync_method,
            SyncStatus::Synced,
        )
        .await
    }

    /// Elder holds `target` afterwards (updated, or created again when deleted).
    async fn write_elder(&self, sides: &Sides, target: &Item) -> Result<Resource, EngineError> {
        let store = &self.engine.store;
        let milestone = elder_milestone_of(
            self.engine,
            self.rc.config.id,
            target.milestone_ref.as_deref(),
        )
        .await?;
        match (&sides.resource, &sides.elder) {
            (Some(r), Some(elder)) => {
                let p = diff(elder, target, Capabilities::any(), SYNCED, &[]);
                if p.is_empty() {
                    return Ok(r.clone());
                }
                let milestone = p.milestone_ref.as_ref().map(|_| milestone);
                let mut patch =
                    crate::terms::resource_patch(self.engine, self.rc, &p, r, milestone).await?;
                patch.expected_version = Some(r.version);
                Ok(store.update_resource(r.kind, r.id, &patch).await?)
            }
            _ => {
                let new =
                    crate::terms::new_resource(self.engine, self.rc, target, milestone).await?;
                Ok(store.create_resource(self.mapping.elder_type, &new).await?)
            }
        }
    }

    /// The platform holds `target` afterwards; returns what it holds and its id.
    async fn write_external(
        &self,
        sides: &Sides,
        target: &Item,
    ) -> Result<(Item, String), EngineError> {
        let kind = self.mapping.elder_type;
        match &sides.external {
            Some(x) => {
                let p = diff(x, target, Capabilities::any(), SYNCED, &[]);
                if p.is_empty() {
                    return Ok((x.clone(), self.mapping.external_id.clone()));
                }
                let written = self
                    .connector
                    .update(&self.cfg, kind, &self.mapping.external_id, p)
                    .await?;
                Ok((written, self.mapping.external_id.clone()))
            }
            None => {
                let created = self.connector.create(&self.cfg, new_of(target)).await?;
                let id = created.external_id.clone();
                Ok((created, id))
            }
        }
    }

    /// Both sides deleted: Elder's copy is deleted and the platform's deleted (or closed
    /// where it cannot delete); the mapping stays, re-based, so the history is kept.
    async fn delete_both(&self, sides: &Sides) -> Result<(), EngineError> {
        if let Some(r) = &sides.resource {
            self.engine.store.delete_resource(r.kind, r.id).await?;
        }
        if sides.external.is_some()
            && let Some(closed) = crate::dispatch::delete_external(
                self.connector,
                &self.cfg,
                &self.mapping.external_id,
                self.mapping.elder_type,
            )
            .await?
            && let Some(r) = &sides.resource
        {
            // Closed instead of deleted: its webhook must be recognised as our own write.
            let base = comparable(&closed);
            let print = fingerprint(&base);
            let method = self.mapping.sync_method;
            write_mapping(
                self.engine,
                self.rc,
                r,
                &base,
                Some(print),
                method,
                SyncStatus::Synced,
            )
            .await?;
        }
        self.engine
            .store
            .set_mapping_status(self.mapping.id, SyncStatus::Synced)
            .await?;
        Ok(())
    }
}

/// A new external item with `target`'s content.
fn new_of(target: &Item) -> NewItem {
    NewItem {
        kind: target.kind,
        title: target.title.clone(),
        body: target.body.clone(),
        state: target.state,
        labels: target.labels.clone(),
        assignees: target.assignees.clone(),
        milestone_ref: target.milestone_ref.clone(),
        parent_ref: None,
        extras: target.extras.clone(),
    }
}

/// Marks `conflict` and every other open conflict of its mapping resolved.
async fn mark_resolved(
    engine: &SyncEngine,
    conflict: &Conflict,
    s: &Settlement,
) -> Result<Conflict, EngineError> {
    let store = &engine.store;
    for other in unresolved_conflicts_of(store, conflict.mapping_id).await? {
        if other != conflict.id {
            match store
                .resolve_conflict(other, s.strategy, s.data.clone(), &s.resolved_by)
                .await
            {
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(store
        .resolve_conflict(conflict.id, s.strategy, s.data.clone(), &s.resolved_by)
        .await?)
}
