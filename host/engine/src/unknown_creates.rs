//! Creates whose outcome is unknown. A create call that timed out, trapped or met a 5xx
//! may still have created the item on the platform; its reservation (placeholder mapping
//! with the content's fingerprint, see `elder_sync_store::find_reservation`) is kept as the record of
//! that attempt. Before a retry sends the create again, [`find_own_create`] looks the item
//! up on the platform: the changes since the config's stored polling cursor, among items
//! no mapping claims, with the fingerprint the create carried. A match is adopted instead
//! of being created twice.

use elder_sync_model::{Item, Kind};
use elder_sync_runtime::{ConnectorSettings, LoadedConnector};
use elder_sync_store::{Mapping, StoreError};

use crate::convert::{comparable, fingerprint};
use crate::engine::SyncEngine;
use crate::error::EngineError;
use elder_sync_store::{is_reserved, load_cursor};

/// Pages of changes read while looking for an earlier attempt's item.
const LOOKUP_PAGES: u32 = 20;

/// Items per page of that lookup.
const LOOKUP_PAGE_SIZE: u32 = 100;

/// The reservation an earlier create attempt of this resource left, if any.
pub(crate) fn earlier_attempt(mapping: Option<&Mapping>) -> Option<&Mapping> {
    mapping.filter(|m| is_reserved(&m.external_id) && m.last_write_fingerprint.is_some())
}

/// The platform item an earlier attempt created, found by the reservation's fingerprint
/// among unmapped items changed since the stored cursor; `None` when there is none (the
/// create can be sent). An error means the lookup could not be done: the caller must not
/// send the create then.
pub(crate) async fn find_own_create(
    engine: &SyncEngine,
    config_id: i64,
    connector: &LoadedConnector,
    cfg: &ConnectorSettings,
    reservation: &Mapping,
) -> Result<Option<Item>, EngineError> {
    let Some(print) = reservation.last_write_fingerprint.as_deref() else {
        return Ok(None);
    };
    let kind = reservation.elder_type;
    let mut cursor = load_cursor(&engine.store, config_id, kind).await?;
    for _ in 0..LOOKUP_PAGES {
        let page = connector
            .list_changes(cfg, kind, cursor.clone(), LOOKUP_PAGE_SIZE)
            .await?;
        for item in &page.items {
            let base = comparable(item);
            if fingerprint(&base) == print && !is_mapped(engine, config_id, kind, item).await? {
                return Ok(Some(item.clone()));
            }
        }
        if !page.has_more || page.next_cursor.is_none() || page.next_cursor == cursor {
            break;
        }
        cursor = page.next_cursor;
    }
    Ok(None)
}

async fn is_mapped(
    engine: &SyncEngine,
    config_id: i64,
    kind: Kind,
    item: &Item,
) -> Result<bool, EngineError> {
    match engine
        .store
        .find_mapping_by_external(config_id, kind, &item.external_id)
        .await
    {
        Ok(m) => Ok(m.is_some()),
        Err(StoreError::NotFound(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
