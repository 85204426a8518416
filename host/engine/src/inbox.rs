//! The inbox worker's step: a config's due deliveries are claimed only under the config's
//! lease, so they are applied in the order they arrived whichever worker or replica claims
//! them; the lease is taken once per batch and the config resolved once per batch. The
//! batch's deliveries are parsed by the connector side by side, then grouped by the items
//! they touch: one item's deliveries are applied one after another, different items side by
//! side (on PostgreSQL; on SQLite, whose writers queue for one lock, one after another).
//! The outcomes are recorded together: the deliveries' history rows in one statement,
//! completions in one statement, webhook health once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use elder_sync_model::{Change, ChangeAction, Kind, now_ms};
use elder_sync_runtime::{ConnectorSettings, LoadedConnector};
use elder_sync_store::{
    Backend, InboxEntry, NewHistory, ResolvedConfig, SyncMethod, WorkQueue, claim_inbox_of,
    complete_inbox_many, configs_with_due_inbox, fail_inbox,
};
use tracing::{Instrument, Span};
use uuid::Uuid;

use crate::apply::{apply_external, apply_external_delete};
use crate::dispatch::backoff;
use crate::engine::{CLAIM_LEASE, SyncEngine, connector_settings};
use crate::error::EngineError;
use crate::poll::count;
use crate::run::{RunReport, Tally, run_deferred};

/// Configs looked at per step: those whose deliveries wait longest.
const CONFIGS_PER_STEP: u32 = 16;

/// Claims and processes up to `limit` due deliveries, one config's batch at a time (configs
/// another worker or replica is working on are skipped); returns how many were claimed.
pub async fn process_inbox_batch(engine: &SyncEngine, limit: u32) -> Result<usize, EngineError> {
    let mut handled = 0usize;
    for config_id in configs_with_due_inbox(&engine.store, CONFIGS_PER_STEP).await? {
        let left = (limit as usize).saturating_sub(handled);
        if left == 0 {
            break;
        }
        let Some(_lease) = engine.try_lock_config(config_id).await else {
            continue;
        };
        let entries = claim_inbox_of(
            &engine.store,
            config_id,
            u32::try_from(left).unwrap_or(u32::MAX),
            CLAIM_LEASE,
            &engine.replica.id,
        )
        .await?;
        if entries.is_empty() {
            continue;
        }
        handled += entries.len();
        let ids = entries.iter().map(|e| e.id).collect();
        let _renewal = crate::lease::renew_claims(engine, WorkQueue::Inbox, ids);
        config_batch(engine, config_id, entries).await?;
    }
    Ok(handled)
}

/// What became of one claimed delivery.
#[derive(Debug)]
enum Outcome {
    /// Applied: completed.
    Done,
    /// Put back untried until then (the config's work is paused).
    Held(DateTime<Utc>),
    /// Failed: retried after `retry_in`, or parked when `give_up`. `why` is redacted.
    Failed {
        why: String,
        retry_in: Duration,
        give_up: bool,
    },
}

/// One claimed delivery on its way through the batch.
struct Delivery {
    entry: InboxEntry,
    span: Span,
    correlation_id: Uuid,
}

impl Delivery {
    fn new(entry: InboxEntry) -> Delivery {
        // One correlation id per delivery: its history row and every log line carry it.
        let correlation_id = Uuid::new_v4();
        let span = tracing::info_span!("webhook_delivery", correlation_id = %correlation_id, config_id = entry.config_id, inbox_id = entry.id);
        Delivery {
            entry,
            span,
            correlation_id,
        }
    }
}

/// Processes one config's claimed deliveries (its lease held by the caller) and records
/// their outcomes.
async fn config_batch(
    engine: &SyncEngine,
    config_id: i64,
    entries: Vec<InboxEntry>,
) -> Result<(), EngineError> {
    let deliveries: Vec<Delivery> = entries.into_iter().map(Delivery::new).collect();
    let config = engine.store.get_config(config_id).await?;
    let applied: Vec<Applied> = if let Some(pause) = engine.paused(&config) {
        tracing::debug!(config_id, reason = %pause.reason, "the config's work is paused: deliveries held");
        deliveries
            .iter()
            .map(|_| (Outcome::Held(pause.until), None))
            .collect()
    } else {
        match ready(engine, config_id).await {
            Ok((rc, connector)) => apply_batch(engine, &rc, connector, &deliveries).await,
            Err(e) => deliveries
                .iter()
                .map(|d| (failed(engine, &config, &d.entry, &e), None))
                .collect(),
        }
    };
    let (outcomes, histories): (Vec<Outcome>, Vec<Option<NewHistory>>) =
        applied.into_iter().unzip();
    let histories: Vec<NewHistory> = histories.into_iter().flatten().collect();
    engine.store.insert_finished_history(&histories).await?;
    record_outcomes(engine, config_id, &deliveries, outcomes).await
}

/// The config with its secrets, and the connector serving it.
async fn ready(
    engine: &SyncEngine,
    config_id: i64,
) -> Result<(ResolvedConfig, Arc<LoadedConnector>), EngineError> {
    let rc = engine.store.resolve_config(config_id).await?;
    let connector = engine.connector_for(&rc)?;
    Ok((rc, connector))
}

/// Parses every delivery, then applies them by item group; outcomes in delivery order.
async fn apply_batch(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: Arc<LoadedConnector>,
    deliveries: &[Delivery],
) -> Vec<Applied> {
    let cfg = connector_settings(rc);
    let parsed = parse_all(engine, &connector, &cfg, deliveries).await;
    let groups = item_groups(&parsed);
    let mut parsed: Vec<Option<Parsed>> = parsed.into_iter().map(Some).collect();
    let side_by_side = match engine.store.backend() {
        Backend::Postgres => engine.settings.inbox_workers.max(1),
        Backend::Sqlite => 1,
    };
    let work: Vec<Vec<(usize, Parsed)>> = groups
        .into_iter()
        .map(|g| {
            g.into_iter()
                .map(|i| (i, parsed[i].take().expect("each delivery is in one group")))
                .collect()
        })
        .collect();
    let (connector, cfg) = (&*connector, &cfg);
    // `side_by_side` lanes take the next group from one queue until it is empty.
    let queue = std::sync::Mutex::new(work.into_iter());
    let lanes = (0..side_by_side).map(|_| async {
        let mut out = Vec::new();
        loop {
            let next = queue.lock().expect("group queue poisoned").next();
            let Some(group) = next else { break };
            out.extend(apply_group(engine, rc, connector, cfg, deliveries, group).await);
        }
        out
    });
    let mut outcomes: Vec<(usize, Applied)> = futures::future::join_all(lanes)
        .await
        .into_iter()
        .flatten()
        .collect();
    outcomes.sort_by_key(|(i, _)| *i);
    outcomes.into_iter().map(|(_, o)| o).collect()
}

/// What the connector made of one delivery.
type Parsed = Result<Vec<Change>, EngineError>;

/// `parse-webhook` of every delivery; results in delivery order. The call is pure (no
/// I/O), so the deliveries of this one config are split into up to `inbox_workers`
/// contiguous chunks, each parsed in one connector instance
/// ([`LoadedConnector::parse_webhook_batch`]: a trap fails only its delivery); chunks run
/// at once.
async fn parse_all(
    engine: &SyncEngine,
    connector: &Arc<LoadedConnector>,
    cfg: &ConnectorSettings,
    deliveries: &[Delivery],
) -> Vec<Parsed> {
    let chunk = deliveries
        .len()
        .div_ceil(engine.settings.inbox_workers.max(1))
        .max(1);
    let calls: Vec<_> = deliveries
        .chunks(chunk)
        .map(|part| {
            let (connector, cfg) = (connector.clone(), cfg.clone());
            let inputs: Vec<_> = part
                .iter()
                .map(|d| (d.entry.headers.clone(), d.entry.body.clone()))
                .collect();
            let n = inputs.len();
            let handle = tokio::spawn(
                async move { connector.parse_webhook_batch(&cfg, inputs).await }
                    .instrument(tracing::Span::current()),
            );
            (handle, n)
        })
        .collect();
    let mut parsed = Vec::with_capacity(deliveries.len());
    for (call, n) in calls {
        match call.await {
            Ok(results) => parsed.extend(results.into_iter().map(|r| r.map_err(EngineError::from))),
            Err(e) => parsed
                .extend((0..n).map(|_| Err(EngineError::Retryable(format!("parse task: {e}"))))),
        }
    }
    parsed
}

/// Groups deliveries (by index) so that deliveries touching a common item share a group,
/// each group in delivery order: an item's own changes, and an item whose milestone or
/// parent is itself changed in the batch (so a new milestone exists before the issue that
/// points at it). A delivery that could not be parsed is a group of its own.
fn item_groups(parsed: &[Parsed]) -> Vec<Vec<usize>> {
    let mut root: Vec<usize> = (0..parsed.len()).collect();
    let mut owner: HashMap<(Kind, &str), usize> = HashMap::new();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, p) in parsed.iter().enumerate() {
        for change in p.iter().flatten() {
            let id = change.external_id.as_str();
            match owner.get(&(change.kind, id)) {
                Some(&j) => union(&mut root, i, j),
                None => {
                    owner.insert((change.kind, id), i);
                }
            }
            by_id.entry(id).or_insert(i);
        }
    }
    for (i, p) in parsed.iter().enumerate() {
        let refs = p
            .iter()
            .flatten()
            .filter_map(|c| c.item.as_ref())
            .flat_map(|item| [item.milestone_ref.as_deref(), item.parent_ref.as_deref()]);
        for id in refs.flatten() {
            if let Some(&j) = by_id.get(id) {
                union(&mut root, i, j);
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index_of: HashMap<usize, usize> = HashMap::new();
    for i in 0..parsed.len() {
        let r = find(&mut root, i);
        let g = *index_of.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    groups
}

fn find(root: &mut [usize], mut i: usize) -> usize {
    while root[i] != i {
        root[i] = root[root[i]];
        i = root[i];
    }
    i
}

fn union(root: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(root, a), find(root, b));
    // The smaller index stays the root: a group is named by its first delivery.
    let (keep, join) = if ra < rb { (ra, rb) } else { (rb, ra) };
    root[join] = keep;
}

/// Applies one group's deliveries in order.
async fn apply_group(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    cfg: &ConnectorSettings,
    deliveries: &[Delivery],
    group: Vec<(usize, Parsed)>,
) -> Vec<(usize, Applied)> {
    let mut out = Vec::with_capacity(group.len());
    for (i, parsed) in group {
        let d = &deliveries[i];
        let applied = match engine.paused(&rc.config) {
            // A rate limit met by an earlier delivery of the batch: the rest waits.
            Some(pause) => (Outcome::Held(pause.until), None),
            None => {
                let (result, history) = apply_delivery(engine, rc, connector, cfg, d, parsed)
                    .instrument(d.span.clone())
                    .await;
                let outcome = match result {
                    Ok(()) => Outcome::Done,
                    Err(e) => d.span.in_scope(|| failed(engine, &rc.config, &d.entry, &e)),
                };
                (outcome, Some(history))
            }
        };
        out.push((i, applied));
    }
    out
}

/// A delivery's outcome and, when it was tried, its finished history row.
type Applied = (Outcome, Option<NewHistory>);

/// Applies one delivery's changes as one `webhook` operation; its finished history row is
/// handed back to be written with the batch's others.
async fn apply_delivery(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    cfg: &ConnectorSettings,
    d: &Delivery,
    parsed: Parsed,
) -> (Result<(), EngineError>, NewHistory) {
    let (report, history) = run_deferred(engine, rc, "webhook", d.correlation_id, |_| async {
        let mut tally = Tally::default();
        for change in parsed? {
            apply_change(engine, rc, connector, cfg, change, &mut tally).await?;
        }
        Ok(tally)
    })
    .await;
    (report_outcome(report), history)
}

/// A delivery's report as the inbox's result: a rate limit, a refusal given up at once, or
/// a failure worth retrying.
fn report_outcome(report: RunReport) -> Result<(), EngineError> {
    match report.error {
        Some(message) if report.rate_limited.is_some() => Err(EngineError::RateLimited {
            wait: report.rate_limited.unwrap_or_default(),
            message,
        }),
        // A delivery the connector refuses as malformed is given up at once, not retried.
        Some(e) if report.permanent => Err(EngineError::Invalid(e)),
        Some(e) => Err(EngineError::Retryable(e)),
        _ => Ok(()),
    }
}

/// Applies one change, counted in `tally`; only fetching an item the delivery did not carry
/// fails the whole delivery.
async fn apply_change(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    cfg: &ConnectorSettings,
    change: Change,
    tally: &mut Tally,
) -> Result<(), EngineError> {
    if change.action == ChangeAction::Deleted {
        let applied = apply_external_delete(engine, rc, change.kind, &change.external_id).await;
        count(applied, tally, change.kind, &change.external_id);
        return Ok(());
    }
    // Connectors announce comment webhooks as changes without the item (the contract's
    // `comments` interface); only those make the inbox read the item's comments.
    let announced_without_item = change.item.is_none();
    let item = match change.item {
        Some(item) => item,
        None => connector.get(cfg, change.kind, &change.external_id).await?,
    };
    crate::renames::follow_new_id(
        engine,
        rc,
        item.kind,
        &change.external_id,
        &item.external_id,
    )
    .await?;
    let applied = apply_external(engine, rc, connector, &item, SyncMethod::Webhook).await;
    count(applied, tally, item.kind, &item.external_id);
    if announced_without_item
        && crate::comments::sync_item_comments(engine, rc, connector, item.kind, &item.external_id)
            .await
            .transient
    {
        // The delivery is tried again for the comment that could not be applied yet.
        return Err(EngineError::Retryable(format!(
            "a comment of {} {} could not be synced yet (see the history note)",
            item.kind, item.external_id
        )));
    }
    Ok(())
}

/// The outcome of a failed delivery: held when the platform asked to wait (the config is
/// paused until then), otherwise retried with backoff or, when it cannot succeed or has used
/// its attempts, parked.
fn failed(
    engine: &SyncEngine,
    config: &elder_sync_store::SyncConfig,
    entry: &InboxEntry,
    e: &EngineError,
) -> Outcome {
    if let Some(wait) = e.rate_limit_wait() {
        return Outcome::Held(engine.pause_for_rate_limit(
            config.id,
            config.platform.as_str(),
            wait,
        ));
    }
    let give_up = !e.is_transient() || entry.attempts >= engine.settings.max_attempts;
    tracing::warn!(delivery_id = %entry.delivery_id, error = %e, give_up, "webhook processing failed");
    Outcome::Failed {
        // Upstream bodies may quote credentials: the same redaction as the logs.
        why: elder_sync_telemetry::redact::redact_text(&e.to_string()),
        retry_in: backoff(entry.attempts),
        give_up,
    }
}

/// Writes the batch's outcomes: the completed deliveries in one statement, each held or
/// failed one, then the config's webhook health once for the whole batch.
async fn record_outcomes(
    engine: &SyncEngine,
    config_id: i64,
    deliveries: &[Delivery],
    outcomes: Vec<Outcome>,
) -> Result<(), EngineError> {
    let done: Vec<i64> = deliveries
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| matches!(o, Outcome::Done))
        .map(|(d, _)| d.entry.id)
        .collect();
    complete_inbox_many(&engine.store, &done).await?;
    for (d, outcome) in deliveries.iter().zip(&outcomes) {
        match outcome {
            Outcome::Done => {}
            Outcome::Held(until) => {
                engine
                    .store
                    .hold_work(WorkQueue::Inbox, d.entry.id, *until)
                    .await?
            }
            Outcome::Failed {
                why,
                retry_in,
                give_up,
            } => fail_inbox(&engine.store, d.entry.id, why, *retry_in, *give_up).await?,
        }
    }
    let touches_health = outcomes
        .iter()
        .any(|o| matches!(o, Outcome::Done | Outcome::Failed { give_up: true, .. }));
    if touches_health {
        let policy = engine.settings.health;
        engine
            .update_health(config_id, |h| {
                for outcome in &outcomes {
                    match outcome {
                        Outcome::Done => h.delivery_succeeded(now_ms()),
                        Outcome::Failed {
                            why, give_up: true, ..
                        } => h.delivery_failed(&policy, now_ms(), why),
                        _ => {}
                    }
                }
            })
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_sync_model::Item;

    fn change(kind: Kind, id: &str) -> Change {
        Change {
            kind,
            external_id: id.into(),
            action: ChangeAction::Updated,
            item: None,
            occurred_at: 0,
        }
    }

    #[test]
    fn deliveries_of_one_item_share_a_group_in_order() {
        let parsed: Vec<Parsed> = vec![
            Ok(vec![change(Kind::Issue, "1")]),
            Ok(vec![change(Kind::Issue, "2")]),
            Err(EngineError::Invalid("bad".into())),
            Ok(vec![change(Kind::Issue, "1")]),
            Ok(vec![change(Kind::Milestone, "1")]),
            Ok(vec![change(Kind::Issue, "3"), change(Kind::Issue, "2")]),
            Ok(vec![]),
        ];
        assert_eq!(
            item_groups(&parsed),
            vec![vec![0, 3], vec![1, 5], vec![2], vec![4], vec![6]]
        );
    }

    #[test]
    fn an_item_waits_for_its_milestone_changed_in_the_same_batch() {
        let mut issue = change(Kind::Issue, "7");
        issue.item = Some(Item {
            kind: Kind::Issue,
            external_id: "7".into(),
            title: "Seven".into(),
            body: String::new(),
            state: elder_sync_model::ItemState::Open,
            status_name: None,
            labels: vec![],
            assignees: vec![],
            milestone_ref: Some("3".into()),
            parent_ref: None,
            url: None,
            updated_at: 0,
            version: None,
            extras: "{}".into(),
        });
        let mut other = issue.clone();
        other.external_id = "8".into();
        if let Some(item) = other.item.as_mut() {
            item.external_id = "8".into();
            item.milestone_ref = Some("4".into());
        }
        let parsed: Vec<Parsed> = vec![
            Ok(vec![change(Kind::Milestone, "3")]),
            Ok(vec![issue]),
            Ok(vec![other]),
        ];
        assert_eq!(item_groups(&parsed), vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn a_delivery_touching_two_groups_joins_them() {
        let parsed: Vec<Parsed> = vec![
            Ok(vec![change(Kind::Issue, "1")]),
            Ok(vec![change(Kind::Issue, "2")]),
            Ok(vec![change(Kind::Issue, "2"), change(Kind::Issue, "1")]),
        ];
        assert_eq!(item_groups(&parsed), vec![vec![0, 1, 2]]);
    }
}
