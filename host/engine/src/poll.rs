//! Polling: first the pairs linked by hand since the last run (`linking`), then per kind
//! `list-changes` from the stored cursor: a page's unmapped items imported together
//! (`import_page`), every other item planned (`plan`) and its plan executed, then the
//! cursor saved after the page, so an interruption (rate limit, crash) resumes where it
//! stopped, and the run's progress recorded (`progress`). The next page is listed while the
//! current one is written. Rate-limit answers are waited out (up to a bound) without
//! failing the run. A dry run walks the same way with a [`Pass::Dry`]: the same plans,
//! reported instead of executed, and no cursor saved.

use std::collections::HashSet;
use std::time::Duration;

use futures::future::OptionFuture;

use elder_sync_model::{ConnectorError, Item, Kind, Page};
use elder_sync_runtime::{CallError, LoadedConnector};
use elder_sync_store::{ResolvedConfig, SyncMethod};

use crate::apply::{Applied, execute};
use crate::dry_run::DryRun;
use crate::engine::{SyncEngine, connector_settings};
use crate::error::EngineError;
use crate::import_page::import_unmapped;
use crate::linking::reconcile_fresh_links;
use crate::plan::{Plan, plan_external, plan_external_delete};
use crate::progress::Progress;
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
    let (rc_ref, connector_ref) = (&rc, &connector);
    let report = recorded(engine, &rc, sync_type, |correlation_id| async move {
        let _guard = engine.lock_config(config_id).await;
        let mut tally = Tally::default();
        let mut progress = Progress::new(correlation_id, now_ms());
        progress.record(engine).await;
        let mut pass = Pass::Run {
            method,
            tally: &mut tally,
            progress: &mut progress,
        };
        walk(engine, rc_ref, connector_ref, &mut pass).await?;
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

/// What a walk over a config's changes does with each plan.
pub enum Pass<'a> {
    /// A real run: every plan is executed, the cursor saved after each page.
    Run {
        /// What started the run (scheduled poll, batch fallback, an operator), recorded on its writes.
        method: SyncMethod,
        /// What the run did so far.
        tally: &'a mut Tally,
        /// How far it is, recorded after every page.
        progress: &'a mut Progress,
    },
    /// A dry run: every plan is reported; nothing is written.
    Dry(&'a mut DryRun),
}

impl Pass<'_> {
    /// Executes or reports one item's plan (or the error that kept it from being made).
    /// A rate limit met while planning or executing is not counted: its wait is returned,
    /// and the item is planned again after it.
    pub(crate) async fn take(
        &mut self,
        engine: &SyncEngine,
        rc: &ResolvedConfig,
        connector: &LoadedConnector,
        plan: Result<Plan, EngineError>,
        kind: Kind,
        external_id: &str,
    ) -> Option<Duration> {
        match self {
            Pass::Run { method, tally, .. } => {
                let applied = match plan {
                    Ok(plan) => execute(engine, rc, connector, plan, *method).await,
                    Err(e) => Err(e),
                };
                if let Some(wait) = applied
                    .as_ref()
                    .err()
                    .and_then(EngineError::rate_limit_wait)
                {
                    return Some(wait);
                }
                count(applied, tally, kind, external_id);
            }
            Pass::Dry(report) => {
                if let Some(wait) = plan.as_ref().err().and_then(EngineError::rate_limit_wait) {
                    return Some(wait);
                }
                report.add(plan, external_id);
            }
        }
        None
    }

    fn method(&self) -> SyncMethod {
        match self {
            Pass::Run { method, .. } => *method,
            Pass::Dry(_) => SyncMethod::Manual,
        }
    }

    fn interrupted(&self) -> bool {
        match self {
            Pass::Run { tally, .. } => tally.interrupted.is_some(),
            Pass::Dry(report) => report.interrupted.is_some(),
        }
    }

    fn interrupt(&mut self, why: String) {
        match self {
            Pass::Run { tally, .. } => tally.interrupted = Some(why),
            Pass::Dry(report) => report.interrupted = Some(why),
        }
    }
}

/// Walks a config: the pairs linked by hand since the last run, then every kind the
/// connector declares, containers first.
pub(crate) async fn walk(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    pass: &mut Pass<'_>,
) -> Result<(), EngineError> {
    reconcile_fresh_links(engine, rc, connector, pass).await?;
    for kind in POLL_ORDER
        .into_iter()
        .filter(|k| connector.info().kinds.contains(k))
    {
        if pass.interrupted() {
            break;
        }
        poll_kind(engine, rc, connector, kind, pass).await?;
    }
    Ok(())
}

async fn poll_kind(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    kind: Kind,
    pass: &mut Pass<'_>,
) -> Result<(), EngineError> {
    let cfg = connector_settings(rc);
    let page_size = page_size(engine, rc, pass.method());
    let list = |cursor: Option<String>| connector.list_changes(&cfg, kind, cursor, page_size);
    let mut cursor = load_cursor(&engine.store, rc.config.id, kind).await?;
    let mut read_ahead: Option<Result<Page, CallError>> = None;
    loop {
        let listed = match read_ahead.take() {
            Some(listed) => listed,
            None => list(cursor.clone()).await,
        };
        let page = match listed {
            Ok(page) => page,
            Err(CallError::Connector(ConnectorError::RateLimited(r))) => {
                let wait = Duration::from_millis(r.retry_after_ms);
                if wait_out(engine, rc, wait, pass).await {
                    continue;
                }
                return Ok(());
            }
            Err(CallError::Connector(ConnectorError::Unsupported(_))) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        // The next page is read while this one is written: the wait on the platform and
        // the writes overlap. The cursor still moves only after this page's writes, so an
        // interruption re-reads at most this page. When this page's writes end the walk (a
        // long rate limit, an interruption) the page read ahead is dropped: one list request
        // that the next run makes again.
        let ahead = OptionFuture::from(page.has_more.then(|| list(page.next_cursor.clone())));
        let (applied, ahead) =
            tokio::join!(apply_page(engine, rc, connector, kind, &page, pass), ahead);
        if !applied? || !page.has_more {
            return Ok(());
        }
        read_ahead = ahead;
        cursor = page.next_cursor;
    }
}

/// Writes one listed page (imports, plans, deletions, comments) and, in a real run, saves
/// the cursor after it and records progress; false when the walk was interrupted.
async fn apply_page(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    kind: Kind,
    page: &Page,
    pass: &mut Pass<'_>,
) -> Result<bool, EngineError> {
    let rest = unmapped_imported(engine, rc, kind, &page.items, pass).await?;
    // The items left to the one-by-one path; the others were imported together just now,
    // so their Elder issues hold no comments yet.
    let left: HashSet<&str> = rest.iter().map(|i| i.external_id.as_str()).collect();
    for item in rest {
        plan_with_retry(
            engine,
            rc,
            connector,
            pass,
            item.kind,
            &item.external_id,
            || plan_external(engine, rc, connector, item),
        )
        .await?;
        if pass.interrupted() {
            return Ok(false);
        }
    }
    for id in &page.deleted_ids {
        plan_with_retry(engine, rc, connector, pass, kind, id, || {
            plan_external_delete(engine, rc, kind, id)
        })
        .await?;
        if pass.interrupted() {
            return Ok(false);
        }
    }
    if let Pass::Run { .. } = pass {
        for item in &page.items {
            let fresh = !left.contains(item.external_id.as_str());
            if !crate::comments::worth_listing(engine, rc, connector, item, fresh).await {
                continue;
            }
            if !item_comments(engine, rc, connector, pass, kind, &item.external_id).await {
                return Ok(false);
            }
        }
    }
    if let Pass::Run { progress, .. } = pass {
        save_cursor(
            &engine.store,
            rc.config.id,
            kind,
            page.next_cursor.as_deref(),
        )
        .await?;
        progress.page(kind, &page.items, page.deleted_ids.len());
        progress.record(engine).await;
    }
    Ok(true)
}

/// A real run imports the page's unmapped items in one transaction first (`import_page`)
/// and leaves the rest to the one-by-one path; a dry run leaves every item to it.
async fn unmapped_imported<'i>(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    kind: Kind,
    items: &'i [Item],
    pass: &mut Pass<'_>,
) -> Result<Vec<&'i Item>, EngineError> {
    match pass {
        Pass::Run { method, tally, .. } => {
            import_unmapped(engine, rc, kind, items, *method, tally).await
        }
        Pass::Dry(_) => Ok(items.iter().collect()),
    }
}

/// Plans one item and executes or reports the plan; a rate limit met on the way (a `get`
/// re-read, or a write of the plan) is waited out and the item planned again, and after a
/// long one the walk stops (the page is read again by the next run: cursor kept).
async fn plan_with_retry<F, Fut>(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    pass: &mut Pass<'_>,
    kind: Kind,
    external_id: &str,
    plan: F,
) -> Result<(), EngineError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Plan, EngineError>>,
{
    loop {
        let Some(wait) = pass
            .take(engine, rc, connector, plan().await, kind, external_id)
            .await
        else {
            return Ok(());
        };
        if !wait_out(engine, rc, wait, pass).await {
            return Ok(());
        }
    }
}

/// Syncs one item's comments (a listed item's, a fresh link's); a rate limit met on the way is waited out (then the
/// item's comments are tried again) or ends the run like an item's (false), so the page's
/// cursor is not saved and the next run lists those comments again.
pub(crate) async fn item_comments(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    pass: &mut Pass<'_>,
    kind: Kind,
    external_id: &str,
) -> bool {
    loop {
        let tally =
            crate::comments::sync_item_comments(engine, rc, connector, kind, external_id).await;
        let Some(wait) = tally.rate_limited else {
            return true;
        };
        if !wait_out(engine, rc, wait, pass).await {
            return false;
        }
    }
}

/// Waits out a platform's rate limit of `wait` when it is short enough (true: try again).
/// A longer one pauses the config's work until the platform's reset, without failing or
/// using up attempts, and ends the run (false): the next run resumes from the saved cursor.
async fn wait_out(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    wait: Duration,
    pass: &mut Pass<'_>,
) -> bool {
    let platform = rc.config.platform.as_str();
    if wait > engine.settings.max_rate_limit_wait {
        engine.pause_for_rate_limit(rc.config.id, platform, wait);
        pass.interrupt(format!(
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
