//! History notes: facts about a sync a person should see that are neither a failure nor a
//! conflict. Today one: assignees left out of a write because their identity has no account
//! on the target platform (the rest of the change is written). A `sync_history` row of type
//! `note`, its `sync_metadata` saying what and why; recording it never fails the sync.

use chrono::Utc;
use elder_sync_store::{NewHistory, ResolvedConfig, Resource};
use serde_json::json;

use crate::engine::SyncEngine;
use crate::people;

/// The `sync_type` of a note's history row.
pub const NOTE: &str = "note";

/// Notes the assignees of `resource` that cannot be assigned on the config's platform (no
/// identity with an account there), if any, for the write of its item `external_id`.
pub async fn note_skipped_assignees(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    resource: &Resource,
    external_id: &str,
) {
    let platform = rc.config.platform.as_str();
    let skipped = match people::to_platform(engine, platform, &resource.assignees).await {
        Ok(on) => on.skipped,
        Err(e) => {
            tracing::warn!(error = %e, "reading identities for a history note failed");
            return;
        }
    };
    if skipped.is_empty() {
        return;
    }
    let message = format!(
        "not assigned on {platform}: {} (no identity with a {platform} account)",
        skipped.join(", ")
    );
    tracing::info!(config_id = rc.config.id, elder_id = resource.id, %message, "assignees skipped");
    let now = Utc::now();
    let row = NewHistory {
        sync_config_id: rc.config.id,
        correlation_id: uuid::Uuid::new_v4(),
        sync_type: NOTE.to_string(),
        items_synced: 0,
        items_failed: 0,
        started_at: now,
        completed_at: Some(now),
        success: true,
        error_message: None,
        sync_metadata: json!({
            "note": "assignees_skipped",
            "message": message,
            "assignees": skipped,
            "resource": {"kind": resource.kind, "id": resource.id},
            "external_id": external_id,
        }),
    };
    if let Err(e) = engine.store.insert_history(&row).await {
        tracing::warn!(error = %e, "recording a history note failed");
    }
}
