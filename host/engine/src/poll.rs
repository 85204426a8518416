//! Polling: per config and kind, `list-changes` from the stored cursor, applying each page
//! and saving the cursor after it, so an interruption (rate limit, crash) resumes where it
//! stopped. Rate-limit answers are waited out (up to a bound) without failing the run.

use std::time::Duration;

use elder_sync_model::{ConnectorError, Kind};
use elder_sync_runtime::{CallError, LoadedConnector};
use elder_sync_store::{ResolvedConfig, SyncMethod};

use crate::apply::{Applied, apply_external, apply_external_delete};
use crate::engine::{SyncEngine, connector_config};
use crate::error::EngineError;
use crate::persist::{load_cursor, now_ms, save_cursor};
use crate::run::{RunReport, Tally, recorded};

/// Kinds in the order they are polled: containers first, so references resolve.
const POLL_ORDER: [Kind; 4] = [Kind::Project, Kind::Milestone, Kind::Label, Kind::Issue];

/// Polls every kind the connector supports, recorded as one `sync_type` operation.
pub async fn poll_config(
    engine: &SyncEngine,
    config_id: i64,
    sync_type: &str,
    method: SyncMethod,
) -> Result<RunReport, EngineError> {
    let rc = engine.store.resolve_config(config_id).await?;
    let connector = engine.connector_for(&rc)?;
    let report = recorded(engine, &rc, sync_type, |_| async {
        let _guard = engine.lock_config(config_id).await;
        let mut tally = Tally::default();
        for kind in POLL_ORDER
            .into_iter()
            .filter(|k| connector.info().kinds.contains(k))
        {
            if tally.interrupted.is_some() {
                break;
            }
            poll_kind(engine, &rc, &connector, kind, method, &mut tally).await?;
        }
        Ok(tally)
    })
    .await?;
    let now = chrono::Utc::now();
    engine
        .store
        .mark_config_synced(config_id, now, method == SyncMethod::Batch)
        .await?;
    // The first sync (backfill) finds everything "unannounced": it says nothing about webhooks.
    let first_sync = rc.config.last_sync_at.is_none();
    if rc.config.webhook_enabled && report.error.is_none() && !first_sync {
        let unannounced = u32::try_from(report.tally.synced).unwrap_or(u32::MAX);
        let policy = engine.settings.health;
        engine
            .update_health(config_id, |h| {
                h.poll_finished(&policy, now_ms(), unannounced)
            })
            .await?;
    }
    Ok(report)
}

async fn poll_kind(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    kind: Kind,
    method: SyncMethod,
    tally: &mut Tally,
) -> Result<(), EngineError> {
    let cfg = connector_config(rc);
    let page_size = page_size(engine, rc, method);
    let mut cursor = load_cursor(&engine.store, rc.config.id, kind).await?;
    loop {
        let page = match connector
            .list_changes(&cfg, kind, cursor.clone(), page_size)
            .await
        {
            Ok(page) => page,
            Err(CallError::Connector(ConnectorError::RateLimited(r))) => {
                let wait = Duration::from_millis(r.retry_after_ms);
                if wait_out(engine, rc, wait, tally).await {
                    continue;
                }
                return Ok(());
            }
            Err(CallError::Connector(ConnectorError::Unsupported(_))) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for item in &page.items {
            let result = loop {
                let result = apply_external(engine, rc, connector, item, method).await;
                match result.as_ref().err().and_then(EngineError::rate_limit_wait) {
                    // A `get` re-read met the limit: the item is tried again after the wait;
                    // after a long one the page is read again by the next run (cursor kept).
                    Some(wait) if wait_out(engine, rc, wait, tally).await => {}
                    Some(_) => return Ok(()),
                    None => break result,
                }
            };
            count(result, tally, item.kind, &item.external_id);
        }
        for id in &page.deleted_ids {
            count(
                apply_external_delete(engine, rc, kind, id).await,
                tally,
                kind,
                id,
            );
        }
        save_cursor(
            &engine.store,
            rc.config.id,
            kind,
            page.next_cursor.as_deref(),
        )
        .await?;
        if !page.has_more {
            return Ok(());
        }
        cursor = page.next_cursor;
    }
}

/// Waits out a platform's rate limit of `wait` when it is short enough (true: try again).
/// A longer one pauses the config's work until the platform's reset, without failing or
/// using up attempts, and ends the run (false): the next run resumes from the saved cursor.
async fn wait_out(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    wait: Duration,
    tally: &mut Tally,
) -> bool {
    let platform = rc.config.platform.as_str();
    if wait > engine.settings.max_rate_limit_wait {
        engine.pause_for_rate_limit(rc.config.id, platform, wait);
        tally.interrupted = Some(format!(
            "rate limited for {} s; the config's work waits until then and the next run \
             resumes from the saved cursor",
            wait.as_secs()
        ));
        return false;
    }
    engine.metrics.rate_limit_wait(platform, wait.as_secs_f64());
    tracing::info!(
        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
        "rate limited: waiting"
    );
    tokio::time::sleep(wait).await;
    true
}

/// Items per `list-changes` page: the config's `batch_size`, capped by
/// `SYNC_BATCH_FALLBACK_SIZE` for batch-fallback runs.
fn page_size(engine: &SyncEngine, rc: &ResolvedConfig, method: SyncMethod) -> u32 {
    let own = u32::try_from(rc.config.batch_size).unwrap_or(100).max(1);
    match method {
        SyncMethod::Batch => own.min(engine.settings.batch_fallback_size.max(1)),
        _ => own,
    }
}

/// Adds one item's outcome to the tally.
pub fn count(
    result: Result<Applied, EngineError>,
    tally: &mut Tally,
    kind: Kind,
    external_id: &str,
) {
    let (action, counter) = match result {
        Ok(Applied::Created) => ("created", &mut tally.synced),
        Ok(Applied::Updated) => ("updated", &mut tally.synced),
        Ok(Applied::Unchanged) => ("unchanged", &mut tally.unchanged),
        Ok(Applied::Pending) => ("pending", &mut tally.pending),
        Ok(Applied::Conflict) => ("conflict", &mut tally.conflicts),
        Err(e) => {
            tracing::warn!(external_id, error = %e, "applying an item failed");
            tally.fail(kind, external_id, &e);
            return;
        }
    };
    *counter += 1;
    tally.note(kind, action);
}
