//! Links made by hand (`POST /api/v1/sync/mappings`): an existing Elder resource paired
//! with an existing platform item, checked against the config, its connector and the
//! platform, and stored without a base. The next run reconciles each such pair from that
//! fresh base ([`reconcile_fresh_links`]): fields both sides agree on are taken as they
//! are (nothing written), fields they disagree on are conflicts settled by the config's
//! strategy, like any three-way merge. The pair's comments are reconciled in the same run
//! (each side's comments the other lacks are created there).

use elder_sync_model::{ConnectorError, Kind};
use elder_sync_runtime::{CallError, LoadedConnector};
use elder_sync_store::{Mapping, ResolvedConfig, StoreError};

use crate::engine::{SyncEngine, connector_settings};
use crate::error::EngineError;
use crate::plan::plan_external;
use crate::poll::Pass;

/// A link to make: Elder `(kind, elder_id)` is the platform's `external_id` under a config.
#[derive(Debug, Clone)]
pub struct NewLink {
    /// Row id of the sync config the link belongs to.
    pub config_id: i64,
    /// The kind of both items.
    pub kind: Kind,
    /// Row id of the Elder resource.
    pub elder_id: i64,
    /// The platform's id of the item, as the operator gave it.
    pub external_id: String,
}

/// Why a link was refused.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The Elder resource is outside the config's project.
    #[error("{0}")]
    OutsideProject(String),
    /// The config's connector does not sync this kind.
    #[error("{0}")]
    KindNotSynced(String),
    /// The platform has no such item.
    #[error("{0}")]
    NoSuchExternal(String),
    /// Reading or writing failed (unknown config or resource, store, connector).
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> Self {
        LinkError::Engine(e.into())
    }
}

/// Checks and stores a link: the config and the Elder resource exist (`NotFound`
/// otherwise), the resource is one the config syncs, its kind is one the connector
/// declares, the platform holds the item, and neither side is mapped under the config yet
/// (`Conflict`).
pub async fn link(engine: &SyncEngine, new: &NewLink) -> Result<Mapping, LinkError> {
    let rc = engine.store.resolve_config(new.config_id).await?;
    let resource = engine.store.get_resource(new.kind, new.elder_id).await?;
    if !rc.config.covers(&resource) {
        return Err(LinkError::OutsideProject(format!(
            "{} {} is not in the Elder project of config {}",
            new.kind, new.elder_id, new.config_id
        )));
    }
    let connector = engine.connector_for(&rc).map_err(LinkError::Engine)?;
    if !connector.info().kinds.contains(&new.kind) {
        return Err(LinkError::KindNotSynced(format!(
            "the {} connector does not sync {}s",
            rc.config.platform, new.kind
        )));
    }
    let cfg = connector_settings(&rc);
    // The platform's own spelling of the id is stored, so its events find the mapping.
    let external_id = match connector.get(&cfg, new.kind, &new.external_id).await {
        Ok(item) => item.external_id,
        Err(CallError::Connector(ConnectorError::NotFound(_))) => {
            return Err(LinkError::NoSuchExternal(format!(
                "{} has no {} {}",
                rc.config.platform, new.kind, new.external_id
            )));
        }
        Err(e) => return Err(LinkError::Engine(e.into())),
    };
    let _guard = engine.lock_config(new.config_id).await;
    Ok(engine
        .store
        .link_mapping(
            new.config_id,
            new.kind,
            new.elder_id,
            rc.config.platform.as_str(),
            &external_id,
        )
        .await?)
}

/// Reconciles every pair linked by hand since the last run: the platform's current item
/// is read and planned against its mapping (no base: a fresh three-way merge), then
/// executed or reported by `pass`.
pub(crate) async fn reconcile_fresh_links(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    pass: &mut Pass<'_>,
) -> Result<(), EngineError> {
    let cfg = connector_settings(rc);
    for m in engine.store.fresh_links(rc.config.id).await? {
        let plan = match connector.get(&cfg, m.elder_type, &m.external_id).await {
            Ok(item) => plan_external(engine, rc, connector, &item).await,
            Err(e) => Err(e.into()),
        };
        // A rate limit here leaves the link fresh: the next run reconciles it.
        if pass
            .take(engine, rc, connector, plan, m.elder_type, &m.external_id)
            .await
            .is_some()
        {
            return Ok(());
        }
        // Its comments too: the item is not listed again until it changes on the platform.
        if let Pass::Run { .. } = pass
            && !crate::poll::item_comments(
                engine,
                rc,
                connector,
                pass,
                m.elder_type,
                &m.external_id,
            )
            .await
        {
            return Ok(());
        }
    }
    Ok(())
}
