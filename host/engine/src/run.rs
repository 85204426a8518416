//! One recorded sync operation: a `sync_history` row with a correlation id, a tracing span
//! carrying correlation id, config id and platform (so every log line of the operation has
//! them), and the operation's metrics.

use std::time::Instant;

use chrono::Utc;
use elder_sync_store::{NewHistory, ResolvedConfig};
use elder_sync_telemetry::SyncStatus as MetricStatus;
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
}

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
    let platform = rc.config.platform.as_str();
    let span = tracing::info_span!("sync", correlation_id = %correlation_id, config_id = rc.config.id, platform, sync_type);
    let history = engine
        .store
        .insert_history(&NewHistory {
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
        })
        .await?;
    let started = Instant::now();
    let outcome = op(correlation_id).instrument(span.clone()).await;
    let secs = started.elapsed().as_secs_f64();
    let permanent = outcome.as_ref().is_err_and(|e| !e.is_transient());
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
    let error =
        error.or_else(|| (tally.failed > 0).then(|| format!("{} items failed", tally.failed)));
    engine
        .store
        .finish_history(
            history.id,
            Utc::now(),
            tally.synced,
            tally.failed,
            error.as_deref(),
        )
        .await?;
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
    Ok(RunReport {
        history_id: history.id,
        correlation_id,
        tally,
        error,
        permanent,
    })
}

/// A JSON summary of a tally, for API answers.
pub fn tally_json(t: &Tally) -> Value {
    json!({
        "synced": t.synced, "failed": t.failed,
        "conflicts": t.conflicts, "unchanged": t.unchanged, "interrupted": t.interrupted,
    })
}
