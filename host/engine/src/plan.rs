//! What applying one platform item (or a platform deletion) to Elder would do, decided from
//! reads only: the item's mapping, a create reservation, Elder's side and the three-way
//! resolution against the mapping's base. A real run executes the plan (`apply::execute`);
//! a dry run reports it (`dry_run`). One decision, two uses.

use elder_sync_model::{Item, Kind};
use elder_sync_runtime::LoadedConnector;
use elder_sync_store::{Mapping, ResolvedConfig, Resource, StoreError};

use crate::convert::{comparable, fingerprint};
use crate::engine::{SyncEngine, connector_settings, strategy_of};
use crate::error::EngineError;
use crate::resolution::resolve;
use crate::resolver::{Resolution, Strategy};
use crate::sides::{base_of, elder_side};
use elder_sync_store::find_reservation;

/// The decision for one platform item or deletion.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Nothing to do: our own write coming back, content already synced, or a deletion of
    /// an item Elder does not hold.
    Unchanged,
    /// Our own create came back before its call returned: the reserved mapping of Elder
    /// resource `elder_id` takes the platform's id; nothing is created.
    Adopt {
        /// Row id of the Elder resource whose mapping was reserved.
        elder_id: i64,
        /// The platform's item, the mapping's first base.
        base: Item,
        /// The item's content fingerprint, recorded on the mapping.
        print: String,
    },
    /// Not mapped: imported into the config's Elder project (whatever `two_way_create`
    /// says), mapped with `base` as its first base.
    Import {
        /// The platform's item, the mapping's first base.
        base: Item,
        /// The item's content fingerprint, recorded on the mapping.
        print: String,
    },
    /// Mapped: the three-way resolution of Elder's side and the platform's.
    Resolve(Box<Resolve>),
    /// The platform deleted a mapped item and the strategy is `external_wins`: Elder's
    /// resource is deleted too.
    DeleteInElder {
        /// The Elder resource to delete.
        resource: Resource,
        /// The platform's id of the deleted item.
        external_id: String,
    },
    /// The platform deleted a mapped item Elder still holds: a `deleted_external` conflict.
    DeletedExternal {
        /// The mapping of the deleted item.
        mapping: Mapping,
        /// The Elder resource still held.
        resource: Resource,
    },
}

impl Plan {
    /// The item the plan is about (`None` when there is nothing to do).
    pub fn subject(&self) -> Option<(Kind, &str)> {
        match self {
            Plan::Unchanged => None,
            Plan::Adopt { base, .. } | Plan::Import { base, .. } => {
                Some((base.kind, &base.external_id))
            }
            Plan::Resolve(r) => Some((r.incoming.kind, &r.incoming.external_id)),
            Plan::DeleteInElder {
                resource,
                external_id,
            } => Some((resource.kind, external_id)),
            Plan::DeletedExternal { mapping, .. } => {
                Some((mapping.elder_type, &mapping.external_id))
            }
        }
    }
}

/// A mapped item's resolution, with what it was computed from.
#[derive(Debug, Clone)]
pub struct Resolve {
    /// The item's mapping (its base is the last synced content).
    pub mapping: Mapping,
    /// Elder's resource; `None` when it was deleted in Elder.
    pub resource: Option<Resource>,
    /// The platform's item in comparable form.
    pub incoming: Item,
    /// What the resolver decided for each side.
    pub resolution: Resolution,
    /// The config's conflict strategy it decided with.
    pub strategy: Strategy,
}

/// Decides what `item` (as the platform has it now) does to Elder.
pub async fn plan_external(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    item: &Item,
) -> Result<Plan, EngineError> {
    match find_by_external(engine, rc.config.id, item.kind, &item.external_id).await? {
        None => plan_import(engine, rc, item).await,
        Some(m) => plan_update(engine, rc, connector, m, item).await,
    }
}

/// Decides what the platform's deletion of `(kind, external_id)` does to Elder.
pub async fn plan_external_delete(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    kind: Kind,
    external_id: &str,
) -> Result<Plan, EngineError> {
    let Some(mapping) = find_by_external(engine, rc.config.id, kind, external_id).await? else {
        return Ok(Plan::Unchanged);
    };
    let resource = match engine
        .store
        .get_resource(mapping.elder_type, mapping.elder_id)
        .await
    {
        Ok(r) => r,
        Err(StoreError::NotFound(_)) => return Ok(Plan::Unchanged),
        Err(e) => return Err(e.into()),
    };
    Ok(if strategy_of(rc) == Strategy::ExternalWins {
        Plan::DeleteInElder {
            resource,
            external_id: mapping.external_id,
        }
    } else {
        Plan::DeletedExternal { mapping, resource }
    })
}

pub(crate) async fn find_by_external(
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

async fn plan_import(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    item: &Item,
) -> Result<Plan, EngineError> {
    let base = comparable(item);
    let print = fingerprint(&base);
    Ok(
        match find_reservation(&engine.store, rc.config.id, item.kind, &print).await? {
            Some(elder_id) => Plan::Adopt {
                elder_id,
                base,
                print,
            },
            None => Plan::Import { base, print },
        },
    )
}

async fn plan_update(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    mapping: Mapping,
    item: &Item,
) -> Result<Plan, EngineError> {
    let base = base_of(&mapping);
    let mut incoming = comparable(item);
    if already_known(&mapping, base.as_ref(), &incoming) {
        return Ok(Plan::Unchanged);
    }
    if base
        .as_ref()
        .is_some_and(|b| incoming.updated_at <= b.updated_at)
    {
        // Not newer than what was last synced: a late (out-of-order) or same-instant event.
        // The platform's current state decides, so an older event never rolls back a newer one.
        tracing::debug!(kind = %item.kind, external_id = %item.external_id, "stale or same-instant event: reading the current item");
        let cfg = connector_settings(rc);
        incoming = comparable(&connector.get(&cfg, item.kind, &item.external_id).await?);
        if already_known(&mapping, base.as_ref(), &incoming) {
            return Ok(Plan::Unchanged);
        }
    }
    let (resource, elder) = elder_side(engine, rc, &mapping).await?;
    let strategy = strategy_of(rc);
    let resolution = resolve(base.as_ref(), elder.as_ref(), Some(&incoming), strategy);
    Ok(Plan::Resolve(Box::new(Resolve {
        mapping,
        resource,
        incoming,
        resolution,
        strategy,
    })))
}

/// True when `incoming` is our own last write or the content already synced (echo), in
/// the same workflow status as the base (a status the platform moved to on its own, e.g.
/// Jira's `Done` after our close, is news for Elder).
fn already_known(m: &Mapping, base: Option<&Item>, incoming: &Item) -> bool {
    let print = fingerprint(incoming);
    let same_content = m.last_write_fingerprint.as_deref() == Some(print.as_str())
        || base.is_some_and(|b| fingerprint(b) == print);
    let same_status = incoming.status_name.is_none()
        || base.is_some_and(|b| b.status_name == incoming.status_name);
    same_content && same_status
}
