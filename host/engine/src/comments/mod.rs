//! Comments through the sync engine: whenever the engine syncs an issue of a config whose
//! connector lists the kind in `comment_kinds()` (a poll or first import, a webhook from
//! the inbox, an outbound push), that item's comments are reconciled with the platform's
//! (`reconcile`): new on one side -> created on the other, edited -> updated (`decide`,
//! three-way against the comment mapping's base), deleted -> deleted. Elder comments
//! written to a platform carry an attribution line (`attribution`) naming the author as
//! that platform knows them (`people`, through the identity table). A 1.0 connector (no
//! comment kinds) is never asked. A comment that fails is noted in history (`note`) and
//! never fails the item's sync.

pub mod attribution;
pub mod decide;
mod note;
mod people;
mod reconcile;

use elder_sync_model::{ConnectorError, Item, Kind, comment_count_hint};
use elder_sync_runtime::{CallError, LoadedConnector};
use elder_sync_store::{Mapping, ResolvedConfig, StoreError, is_reserved};

pub use reconcile::CommentTally;

use crate::engine::SyncEngine;
use crate::error::EngineError;
use reconcile::{ItemComments, reconcile};

/// Reconciles the comments of platform item `external_id` (of `kind`) under `rc`, when the
/// connector syncs that kind's comments and the item is mapped to a live Elder issue.
/// Never fails: what went wrong is noted in history (and flagged `transient` when trying
/// again may help).
pub async fn sync_item_comments(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    kind: Kind,
    external_id: &str,
) -> CommentTally {
    if !syncs_comments(connector, kind) {
        return CommentTally::default();
    }
    let found = engine
        .store
        .find_mapping_by_external(rc.config.id, kind, external_id)
        .await;
    with_mapping(engine, rc, connector, kind, found).await
}

/// Reconciles the comments of Elder issue `elder_id` with its item under `rc` (an outbound
/// push), on the same terms as [`sync_item_comments`]. An issue that never had a comment in
/// Elder has nothing to push: the platform is not asked (its comments arrive when the item
/// is polled or announced by a webhook).
pub async fn sync_issue_comments(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    kind: Kind,
    elder_id: i64,
) -> CommentTally {
    if !syncs_comments(connector, kind) {
        return CommentTally::default();
    }
    match engine.store.comments_of_issue(elder_id).await {
        Ok(comments) if comments.is_empty() => return CommentTally::default(),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(config_id = rc.config.id, error = %e, "reading an issue's comments failed");
            return CommentTally::default();
        }
    }
    let found = engine
        .store
        .find_mapping_by_elder(rc.config.id, kind, elder_id)
        .await;
    with_mapping(engine, rc, connector, kind, found).await
}

/// Whether a listed item's comments must be read to keep them in step: not when the
/// platform says the item has none (the `comment_count` hint of its extras) and Elder holds
/// none for its issue either. `fresh`: the issue was created from this item a moment ago,
/// so Elder holds none (no query). Any doubt (no hint, a failed read) reads them.
pub async fn worth_listing(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    item: &Item,
    fresh: bool,
) -> bool {
    if !syncs_comments(connector, item.kind) {
        return false;
    }
    if comment_count_hint(&item.extras) != Some(0) {
        return true;
    }
    if fresh {
        return false;
    }
    let mapping = engine
        .store
        .find_mapping_by_external(rc.config.id, item.kind, &item.external_id)
        .await;
    let Ok(Some(mapping)) = mapping else {
        return true;
    };
    !matches!(engine.store.comments_of_issue(mapping.elder_id).await, Ok(c) if c.is_empty())
}

/// Elder keeps comments on issues; the connector must sync that kind's comments.
fn syncs_comments(connector: &LoadedConnector, kind: Kind) -> bool {
    kind == Kind::Issue && connector.comment_kinds().contains(&kind)
}

async fn with_mapping(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    kind: Kind,
    found: Result<Option<Mapping>, StoreError>,
) -> CommentTally {
    let item = match found {
        Ok(Some(m)) if !is_reserved(&m.external_id) => m,
        Ok(_) => return CommentTally::default(),
        Err(e) => {
            tracing::warn!(config_id = rc.config.id, error = %e, "reading an item's mapping for its comments failed");
            return CommentTally::default();
        }
    };
    match engine.store.get_resource(kind, item.elder_id).await {
        Ok(_) => {}
        // A deleted issue keeps no comments in step.
        Err(StoreError::NotFound(_)) => return CommentTally::default(),
        Err(e) => {
            tracing::warn!(config_id = rc.config.id, error = %e, "reading an issue for its comments failed");
            return CommentTally::default();
        }
    }
    let ctx = ItemComments {
        engine,
        rc,
        connector,
        kind,
        item: &item,
    };
    match reconcile(&ctx).await {
        Ok(tally) => {
            if tally != CommentTally::default() {
                tracing::info!(config_id = rc.config.id, external_id = %item.external_id, to_elder = tally.to_elder, to_platform = tally.to_platform, failed = tally.failed, "comments reconciled");
            }
            tally
        }
        // The item is gone on the platform: its own sync says so.
        Err(EngineError::Call(CallError::Connector(ConnectorError::NotFound(_)))) => {
            CommentTally::default()
        }
        Err(e) => {
            let at = note::Where {
                issue_id: item.elder_id,
                external_id: &item.external_id,
                comment_id: None,
                external_comment_id: None,
            };
            note::note_comment_failed(engine, rc, at, "list the platform's comments", &e).await;
            CommentTally {
                failed: 1,
                transient: e.is_transient(),
                rate_limited: e.rate_limit_wait(),
                ..CommentTally::default()
            }
        }
    }
}
