//! History notes for comments: one comment that could not be synced (the item's sync and
//! its other comments go on). A `sync_history` row of type `note` (`crate::notes::NOTE`);
//! recording it never fails the sync.

use chrono::Utc;
use elder_sync_store::{NewHistory, ResolvedConfig};
use serde_json::json;

use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::notes::NOTE;

/// Where the failed comment was.
pub struct Where<'a> {
    /// The Elder issue.
    pub issue_id: i64,
    /// The platform item.
    pub external_id: &'a str,
    /// The Elder comment, when there is one.
    pub comment_id: Option<i64>,
    /// The platform comment, when there is one.
    pub external_comment_id: Option<&'a str>,
}

/// Notes that `what` failed for one comment with `error` (redacted like the logs).
pub async fn note_comment_failed(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    at: Where<'_>,
    what: &str,
    error: &EngineError,
) {
    let error = elder_sync_telemetry::redact::redact_text(&error.to_string());
    let message = format!("comment not synced ({what}): {error}");
    tracing::warn!(config_id = rc.config.id, issue_id = at.issue_id, external_id = at.external_id, %message, "a comment could not be synced");
    let now = Utc::now();
    let row = NewHistory {
        sync_config_id: rc.config.id,
        correlation_id: uuid::Uuid::new_v4(),
        sync_type: NOTE.to_string(),
        items_synced: 0,
        items_failed: 1,
        started_at: now,
        completed_at: Some(now),
        success: false,
        error_message: Some(message.clone()),
        sync_metadata: json!({
            "note": "comment_failed",
            "message": message,
            "action": what,
            "resource": {"kind": "issue", "id": at.issue_id},
            "external_id": at.external_id,
            "comment_id": at.comment_id,
            "external_comment_id": at.external_comment_id,
        }),
    };
    if let Err(e) = engine.store.insert_history(&row).await {
        tracing::warn!(error = %e, "recording a history note failed");
    }
}
