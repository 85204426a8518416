//! One recorded sync operation: a `sync_history` row with a correlation id, a tracing span
//! carrying correlation id, config id and platform (so every log line of the operation has
//! them), and the operation's metrics.

use std::time::Instant;

use std::collections::BTreeMap;

use chrono::Utc;
use elder_sync_model::Kind;
use elder_sync_store::{NewHistory, ResolvedConfig};
use elder_sync_telemetry::SyncStatus as MetricStatus;
use serde::Serialize;
use serde_json::{Value, json};
use tracing::Instrument;
use uuid::Uuid;

use crate::engine::SyncEngine;
use crate::error::EngineError;

/// What an operation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Items synced (created or updated on either side).
    pub synced: i64,
    /// Items that failed.
    pub failed: i64,
    /// Items that raised a conflict for a person to settle.
    pub conflicts: i64,
    /// Items already in step (including our own writes coming back).
    pub unchanged: i64,
    /// Set when the run stopped early without failing (e.g. a long rate limit).
    pub interrupted: Option<String>,
    /// The longest wait a platform asked for while items were applied (a rate limit).
    pub rate_limited: Option<std::time::Duration>,
    /// What happened to the items, by kind and then action (`created`, `updated`,
    /// `unchanged`, `conflict`, `failed`).
    pub by_kind: BTreeMap<Kind, BTreeMap<&'static str, i64>>,
    /// Which items failed and why.
    pub failures: Vec<ItemFailure>,
}

/// One item that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemFailure {
    /// The item's kind.
    #[schema(value_type = String)]
    pub kind: Kind,
    /// The platform's id of the item.
    pub external_id: String,
    /// Redacted like the logs.
    pub error: String,
}

impl Tally {
    /// Counts one item of `kind` under `action`.
    pub fn note(&mut self, kind: Kind, action: &'static str) {
        *self
            .by_kind
            .entry(kind)
            .or_default()
            .entry(action)
            .or_insert(0) += 1;
    }

    /// Records that item `external_id` of `kind` failed with `error`.
    pub fn fail(&mut self, kind: Kind, external_id: &str, error: &EngineError) {
        self.failed += 1;
        self.note(kind, "failed");
        if let Some(wait) = error.rate_limit_wait() {
            self.rate_limited = self.rate_limited.max(Some(wait));
        }
        self.failures.push(ItemFailure {
            kind,
            external_id: external_id.to_string(),
            error: elder_sync_telemetry::redact::redact_text(&error.to_string()),
        });
    }

    /// The history's error message when items failed: how many, then which and why.
    fn failure_message(&self) -> Option<String> {
        if self.failed == 0 {
            return None;
        }
        let noun = if self.failed == 1 { "item" } else { "items" };
        let named: Vec<String> = self
            .failures
            .iter()
            .take(SHOWN_FAILURES)
            .map(|f| format!("{} {}: {}", f.kind, f.external_id, f.error))
            .collect();
        let more = self.failures.len().saturating_sub(SHOWN_FAILURES);
        let tail = if more > 0 {
            format!("; and {more} more (sync_metadata.failures)")
        } else {
            String::new()
        };
        Some(format!(
            "{} {noun} failed: {}{tail}",
            self.failed,
            named.join("; ")
        ))
    }
}

/// Failed items named in a history row's error message (all are in its metadata).
const SHOWN_FAILURES: usize = 3;

/// The result of a recorded operation.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Row id of the operation's `sync_history` row.
    pub history_id: i64,
    /// The id every log line of the operation carries.
    pub correlation_id: Uuid,
    /// What the operation did to items.
    pub tally: Tally,
    /// Why the operation failed (secrets redacted); `None` when it succeeded.
    pub error: Option<String>,
    /// The operation failed with an error that trying again cannot fix (e.g. the connector
    /// refused its input as malformed).
    pub permanent: bool,
    /// The platform asked to wait this long (a rate limit met by the operation or one of
    /// its items): retry then, without counting an attempt.
    pub rate_limited: Option<std::time::Duration>,
}

/// Runs `op` as one recorded operation of `sync_type` on `rc`.
pub async fn recorded<F, Fut>(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    sync_type: &str,
    op: F,
) -> Result<RunReport, EngineError>
where
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = Result<Tally, EngineError>>,
{
    recorded_with(engine, rc, sync_type, Uuid::new_v4(), op).await
}

/// [`recorded`] under a correlation id the caller already logs with.
pub async fn recorded_with<F, Fut>(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    sync_type: &str,
    correlation_id: Uuid,
    op: F,
) -> Result<RunReport, EngineError>
where
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = Result<Tally, EngineError>>,
{
    let row = history_row(rc, sync_type, correlation_id);
    let history = engine.store.insert_history(&row).await?;
    let (report, done) = run_op(engine, rc, row, op).await;
    engine
        .store
        .finish_history(
            history.id,
            done.completed_at.unwrap_or_else(Utc::now),
            done.items_synced,
            done.items_failed,
            done.error_message.as_deref(),
            &done.sync_metadata,
        )
        .await?;
    Ok(RunReport {
        history_id: history.id,
        ..report
    })
}

/// [`recorded_with`] whose `sync_history` row is returned finished instead of written, for
/// the caller to write together with others (the inbox writes a batch's rows in one
/// statement, [`elder_sync_store::Store::insert_finished_history`]); `history_id` is 0.
pub async fn run_deferred<F, Fut>(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    sync_type: &str,
    correlation_id: Uuid,
    op: F,
) -> (RunReport, NewHistory)
where
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = Result<Tally, EngineError>>,
{
    run_op(engine, rc, history_row(rc, sync_type, correlation_id), op).await
}

/// The history row of an operation starting now.
fn history_row(rc: &ResolvedConfig, sync_type: &str, correlation_id: Uuid) -> NewHistory {
    NewHistory {
        sync_config_id: rc.config.id,
        correlation_id,
        sync_type: sync_type.to_string(),
        items_synced: 0,
        items_failed: 0,
        started_at: Utc::now(),
        completed_at: None,
        success: false,
        error_message: None,
        sync_metadata: json!({}),
    }
}

/// Runs `op` in its span, counts its metrics, logs its end; returns its report (history id
/// 0) and `row` finished with what it did.
async fn run_op<F, Fut>(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    mut row: NewHistory,
    op: F,
) -> (RunReport, NewHistory)
where
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = Result<Tally, EngineError>>,
{
    let platform = rc.config.platform.as_str();
    let correlation_id = row.correlation_id;
    let span = tracing::info_span!("sync", correlation_id = %correlation_id, config_id = rc.config.id, platform, sync_type = %row.sync_type);
    let started = Instant::now();
    let outcome = op(correlation_id).instrument(span.clone()).await;
    let secs = started.elapsed().as_secs_f64();
    let permanent = outcome.as_ref().is_err_and(|e| !e.is_transient());
    let op_wait = outcome
        .as_ref()
        .err()
        .and_then(EngineError::rate_limit_wait);
    let (tally, error) = match outcome {
        Ok(t) => (t, None),
        Err(e) => (
            Tally {
                failed: 1,
                ..Tally::default()
            },
            // Upstream bodies may quote credentials: the same redaction as the logs.
            Some(elder_sync_telemetry::redact::redact_text(&e.to_string())),
        ),
    };
    let error = error.or_else(|| tally.failure_message());
    row.completed_at = Some(Utc::now());
    row.items_synced = tally.synced;
    row.items_failed = tally.failed;
    row.success = error.is_none();
    row.error_message = error.clone();
    row.sync_metadata = tally_json(&tally);
    let status = if error.is_none() {
        MetricStatus::Success
    } else {
        MetricStatus::Failure
    };
    engine.metrics.sync_operation(platform, status, secs);
    span.in_scope(|| {
        tracing::info!(
            synced = tally.synced,
            failed = tally.failed,
            conflicts = tally.conflicts,
            secs,
            "sync operation finished"
        )
    });
    let report = RunReport {
        history_id: 0,
        correlation_id,
        rate_limited: op_wait.or(tally.rate_limited),
        tally,
        error,
        permanent,
    };
    (report, row)
}

/// An operation recorded after it ran (an outbox push, a conflict resolution): one finished
/// `sync_history` row under the correlation id its log lines carried, and its metrics.
#[derive(Debug, Clone)]
pub struct Finished<'a> {
    /// Row id of the sync config the operation was for.
    pub config_id: i64,
    /// The config's platform (the metrics' label).
    pub platform: &'a str,
    /// e.g. `push`, `resolve`.
    pub sync_type: &'static str,
    /// The id its log lines carried, and its history row's.
    pub correlation_id: Uuid,
    /// When the operation started (UTC).
    pub started_at: chrono::DateTime<Utc>,
    /// Items written (0 or 1 for a push or a resolution).
    pub synced: i64,
    /// Why it failed (redacted here), if it did.
    pub error: Option<String>,
    /// What it did: the `sync_metadata` of its row.
    pub metadata: Value,
}

/// Records `op`; a failure to record is logged, never fatal to the operation.
pub async fn record_finished(engine: &SyncEngine, op: Finished<'_>) {
    let error = op
        .error
        .as_deref()
        .map(elder_sync_telemetry::redact::redact_text);
    let now = Utc::now();
    let secs = (now - op.started_at).num_milliseconds().max(0) as f64 / 1000.0;
    let status = if error.is_none() {
        MetricStatus::Success
    } else {
        MetricStatus::Failure
    };
    engine.metrics.sync_operation(op.platform, status, secs);
    tracing::info!(
        correlation_id = %op.correlation_id,
        config_id = op.config_id,
        platform = op.platform,
        sync_type = op.sync_type,
        success = error.is_none(),
        secs,
        "sync operation finished"
    );
    let row = NewHistory {
        sync_config_id: op.config_id,
        correlation_id: op.correlation_id,
        sync_type: op.sync_type.to_string(),
        items_synced: op.synced,
        items_failed: i64::from(error.is_some()),
        started_at: op.started_at,
        completed_at: Some(now),
        success: error.is_none(),
        error_message: error,
        sync_metadata: op.metadata,
    };
    if let Err(e) = engine.store.insert_history(&row).await {
        tracing::warn!(error = %e, sync_type = op.sync_type, "the operation could not be recorded in the history");
    }
}

/// A summary of a tally, for API answers and a history row's `sync_metadata`: the totals,
/// the counts by kind and action, and which items failed and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TallySummary {
    /// Items synced (created or updated on either side).
    pub synced: i64,
    /// Items that failed.
    pub failed: i64,
    /// Items that raised a conflict for a person to settle.
    pub conflicts: i64,
    /// Items already in step (including our own writes coming back).
    pub unchanged: i64,
    /// Set when the run stopped early without failing (e.g. a long rate limit).
    pub interrupted: Option<String>,
    /// Counts by kind (`issue`, ...) and then action (`created`, `updated`, `unchanged`,
    /// `conflict`, `failed`).
    #[schema(value_type = BTreeMap<String, BTreeMap<String, i64>>)]
    pub by_kind: BTreeMap<Kind, BTreeMap<&'static str, i64>>,
    /// Which items failed and why.
    pub failures: Vec<ItemFailure>,
}

impl TallySummary {
    /// The summary of `t`.
    pub fn of(t: &Tally) -> Self {
        TallySummary {
            synced: t.synced,
            failed: t.failed,
            conflicts: t.conflicts,
            unchanged: t.unchanged,
            interrupted: t.interrupted.clone(),
            by_kind: t.by_kind.clone(),
            failures: t.failures.clone(),
        }
    }
}

/// [`TallySummary`] as JSON (a history row's `sync_metadata`).
pub fn tally_json(t: &Tally) -> Value {
    serde_json::to_value(TallySummary::of(t)).unwrap_or(Value::Null)
}
