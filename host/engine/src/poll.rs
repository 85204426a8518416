//! Polling: per config and kind, `list-changes` from the stored cursor, applying each page
//! and saving the cursor after it, so an interruption (rate limit, crash) resumes where it
//! stopped. Rate-limit answers are waited out (up to a bound) without failing the run.

use elder_sync_model::{ConnectorError, Kind};
use elder_sync_runtime::{CallError, LoadedConnector};
use elder_sync_store::{ResolvedConfig, SyncMethod};

use crate::apply::{Applied, apply_external, apply_external_delete};
use crate::engine::{SyncEngine, connector_config};
use crate::error::EngineError;
use crate::run::{RunReport, Tally, recorded};
use elder_sync_model::now_ms;
use elder_sync_store::{load_cursor, save_cursor};

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
                let wait = std::time::Duration::from_millis(r.retry_after_ms);
                engine
                    .metrics
                    .rate_limit_wait(rc.config.platform.as_str(), wait.as_secs_f64());
                if wait > engine.settings.max_rate_limit_wait {
                    tally.interrupted = Some(format!(
                        "rate limited for {} s; the next run resumes from the saved cursor",
                        wait.as_secs()
                    ));
                    return Ok(());
                }
                tracing::info!(kind = %kind, wait_ms = r.retry_after_ms, "rate limited: waiting");
                tokio::time::sleep(wait).await;
                continue;
            }
            Err(CallError::Connector(ConnectorError::Unsupported(_))) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for item in &page.items {
            count(
                apply_external(engine, rc, connector, item, method).await,
                tally,
                &item.external_id,
            );
        }
        for id in &page.deleted_ids {
            count(apply_external_delete(engine, rc, kind, id).await, tally, id);
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
pub fn count(result: Result<Applied, EngineError>, tally: &mut Tally, external_id: &str) {
    match result {
        Ok(Applied::Created | Applied::Updated) => tally.synced += 1,
        Ok(Applied::Unchanged) => tally.unchanged += 1,
        Ok(Applied::Pending) => tally.pending += 1,
        Ok(Applied::Conflict) => tally.conflicts += 1,
        Err(e) => {
            tracing::warn!(external_id, error = %e, "applying an item failed");
            tally.failed += 1;
        }
    }
}
