//! Elder -> external: the outbox dispatcher. Every Elder change (written to the outbox in
//! the same transaction as the change) is pushed to each enabled config linked to the
//! resource's project. A config whose mapping base already equals the resource (the change
//! came from that platform) gets nothing: that is what keeps writes from echoing back.
//! Failures retry with backoff; poison rows are parked as `error`, never blocking the rest.
//! A create is never sent twice blindly: see `unknown_creates`.

use std::time::Duration;

use elder_sync_model::{ConnectorError, Item, ItemPatch, Kind};
use elder_sync_runtime::{CallError, LoadedConnector};
use elder_sync_store::{
    ConflictType, Mapping, OutboxEntry, OutboxOperation, ResolvedConfig, Resource, StoreError,
    SyncConfig, SyncMethod, SyncStatus, WorkQueue,
};
use elder_sync_telemetry::SyncStatus as MetricStatus;

use crate::apply::Applied;
use crate::conflict_record::record_typed_conflict;
use crate::convert::{comparable, fingerprint, new_item};
use crate::engine::{SyncEngine, connector_settings, strategy_of};
use crate::error::EngineError;
use crate::mapping_write::write_mapping;
use crate::resolution::{aligned, apply_resolution, resolve};
use crate::resolver::{Capabilities, Field, Strategy, diff};
use crate::run::{Finished, record_finished};
use crate::sides::{base_of, elder_item};
use crate::unknown_creates::{earlier_attempt, find_own_create};
use elder_sync_store::{is_reserved, placeholder};
use tracing::Instrument;

/// Claims and pushes one batch of outbox rows; returns how many rows were handled.
pub async fn dispatch_batch(engine: &SyncEngine, limit: u32) -> Result<usize, EngineError> {
    let entries = engine
        .store
        .claim_outbox(limit, crate::engine::CLAIM_LEASE, &engine.replica.id)
        .await?;
    let ids = entries.iter().map(|e| e.id).collect();
    let _renewal = crate::lease::renew_claims(engine, WorkQueue::Outbox, ids);
    for entry in &entries {
        match dispatch_entry(engine, entry).await {
            Ok(RowOutcome::Done) => engine.store.complete_outbox(entry.id).await?,
            Ok(RowOutcome::Held(until)) => {
                engine
                    .store
                    .hold_work(WorkQueue::Outbox, entry.id, until)
                    .await?
            }
            Err(failed) => fail_entry(engine, entry, failed).await?,
        }
    }
    Ok(entries.len())
}

/// What pushing one outbox row to every linked config came to.
enum RowOutcome {
    /// Every linked config has the change (or needed nothing).
    Done,
    /// Some linked config's work waits (`pause`): the row is kept, untried, until then.
    Held(chrono::DateTime<chrono::Utc>),
}

/// A push that failed, and the config it failed for (none: before any config was tried).
struct Failed {
    error: EngineError,
    config_id: Option<i64>,
}

impl From<EngineError> for Failed {
    fn from(error: EngineError) -> Self {
        Failed {
            error,
            config_id: None,
        }
    }
}

/// Records a failed row: retried with backoff, or parked as a dead letter once its attempts
/// are used up or the failure is one trying again cannot fix.
async fn fail_entry(
    engine: &SyncEngine,
    entry: &OutboxEntry,
    failed: Failed,
) -> Result<(), EngineError> {
    let e = failed.error;
    let give_up = !e.is_transient() || entry.attempts >= engine.settings.max_attempts;
    let retry = backoff(entry.attempts);
    tracing::warn!(outbox_id = entry.id, config_id = failed.config_id, error = %e, give_up, "outbox push failed");
    let retry_at = (!give_up).then(|| chrono::Utc::now() + retry);
    engine
        .store
        .fail_outbox(
            entry.id,
            &elder_sync_telemetry::redact::redact_text(&e.to_string()),
            retry_at,
            failed.config_id,
        )
        .await?;
    Ok(())
}

/// The first retry's wait; each later one doubles it.
const BACKOFF_FIRST_SECS: u64 = 2;

/// The longest wait between retries: a platform down for hours is still tried every 10
/// minutes, and `max_attempts` decides when the work is parked.
const BACKOFF_CAP: Duration = Duration::from_secs(600);

/// Exponential backoff: 2 s, 4 s, ... capped at [`BACKOFF_CAP`].
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(0, 9) as u32;
    Duration::from_secs(BACKOFF_FIRST_SECS << exp).min(BACKOFF_CAP)
}

async fn dispatch_entry(engine: &SyncEngine, entry: &OutboxEntry) -> Result<RowOutcome, Failed> {
    let resource = current_resource(engine, entry).await?;
    let mut first_error: Option<Failed> = None;
    let mut held: Option<chrono::DateTime<chrono::Utc>> = None;
    for config in engine
        .store
        .list_configs()
        .await
        .map_err(EngineError::from)?
    {
        if !config.covers(&resource) {
            continue;
        }
        if let Some(pause) = engine.paused(&config) {
            // Disabled or rate limited: this config gets the change when it resumes.
            held = Some(held.map_or(pause.until, |h| h.min(pause.until)));
            continue;
        }
        let _guard = engine.lock_config(config.id).await;
        // Each push logs under a correlation id of its own, the id of its history row.
        let correlation_id = uuid::Uuid::new_v4();
        let started_at = chrono::Utc::now();
        let span = tracing::info_span!("push", correlation_id = %correlation_id, config_id = config.id, outbox_id = entry.id);
        let result = async {
            let rc = engine.store.resolve_config(config.id).await?;
            let connector = engine.connector_for(&rc)?;
            let applied =
                push_to_config(engine, &rc, &connector, &resource, entry.operation).await?;
            if resource.deleted_at.is_none()
                && crate::comments::sync_issue_comments(
                    engine,
                    &rc,
                    &connector,
                    resource.kind,
                    resource.id,
                )
                .await
                .transient
            {
                // The item is there; a comment is not yet: the row is tried again.
                return Err(EngineError::Retryable(format!(
                    "a comment of {} {} could not be pushed yet (see the history note)",
                    resource.kind, resource.id
                )));
            }
            Ok(applied)
        }
        .instrument(span.clone())
        .await;
        match &result {
            Ok(Applied::Unchanged) => {
                let platform = config.platform.as_str();
                engine
                    .metrics
                    .sync_operation(platform, MetricStatus::Skipped, 0.0);
            }
            Err(e) if e.rate_limit_wait().is_some() => {}
            _ => record_push(engine, &config, entry, correlation_id, started_at, &result).await,
        }
        match result {
            Ok(_) => {}
            Err(e) => match e.rate_limit_wait() {
                Some(wait) => {
                    let until =
                        engine.pause_for_rate_limit(config.id, config.platform.as_str(), wait);
                    held = Some(held.map_or(until, |h| h.min(until)));
                }
                None => {
                    span.in_scope(|| tracing::warn!(error = %e, "pushing an Elder change failed"));
                    first_error.get_or_insert(Failed {
                        error: e,
                        config_id: Some(config.id),
                    });
                }
            },
        }
    }
    match (first_error, held) {
        (Some(failed), _) => Err(failed),
        (None, Some(until)) => Ok(RowOutcome::Held(until)),
        (None, None) => Ok(RowOutcome::Done),
    }
}

/// Records a push that wrote something or failed (a rate limit waits, and is recorded when
/// the push happens): a `push` history row and `sync_operations_total`.
async fn record_push(
    engine: &SyncEngine,
    config: &SyncConfig,
    entry: &OutboxEntry,
    correlation_id: uuid::Uuid,
    started_at: chrono::DateTime<chrono::Utc>,
    result: &Result<Applied, EngineError>,
) {
    let action = match result {
        Ok(Applied::Created) => "created",
        Ok(Applied::Conflict) => "conflict",
        Ok(_) => "updated",
        Err(_) => "failed",
    };
    record_finished(
        engine,
        Finished {
            config_id: config.id,
            platform: config.platform.as_str(),
            sync_type: "push",
            correlation_id,
            started_at,
            synced: i64::from(matches!(result, Ok(Applied::Created | Applied::Updated))),
            error: result.as_ref().err().map(ToString::to_string),
            metadata: serde_json::json!({
                "outbox_id": entry.id,
                "operation": entry.operation,
                "resource": {"kind": entry.resource_type, "id": entry.resource_id},
                "action": action,
            }),
        },
    )
    .await;
}

async fn current_resource(
    engine: &SyncEngine,
    entry: &OutboxEntry,
) -> Result<Resource, EngineError> {
    match engine
        .store
        .get_resource(entry.resource_type, entry.resource_id)
        .await
    {
        Ok(r) => Ok(r),
        Err(StoreError::NotFound(_)) => serde_json::from_value(entry.snapshot.clone())
            .map_err(|e| EngineError::Invalid(format!("outbox snapshot: {e}"))),
        Err(e) => Err(e.into()),
    }
}

/// Pushes one Elder resource's current state to one config's platform; what it did there
/// (`Unchanged`: nothing to push).
pub async fn push_to_config(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    resource: &Resource,
    operation: OutboxOperation,
) -> Result<Applied, EngineError> {
    let mapping = engine
        .store
        .find_mapping_by_elder(rc.config.id, resource.kind, resource.id)
        .await?;
    let cfg = connector_settings(rc);
    let deleted = resource.deleted_at.is_some() || operation == OutboxOperation::Delete;
    let Some(m) = mapping.filter(|m| !is_reserved(&m.external_id)) else {
        if deleted || !rc.config.two_way_create || !connector.info().kinds.contains(&resource.kind)
        {
            return Ok(Applied::Unchanged);
        }
        return create_external(engine, rc, connector, &cfg, resource).await;
    };
    if deleted {
        return push_delete(engine, rc, connector, &cfg, &m, resource).await;
    }
    if m.sync_status == SyncStatus::Conflict {
        // Waiting for a person to resolve it: pushing now would overwrite one side.
        return Ok(Applied::Unchanged);
    }
    // A lock conflict means the platform changed between our read and our write: read it
    // again and merge again (a few times), so neither side's change is lost.
    let mut attempt = 1;
    loop {
        let result = merge_and_push(engine, rc, connector, &m, resource).await;
        match result {
            Err(e) if attempt < LOCK_RETRIES && crate::refusals::is_lock_conflict(&e) => {
                tracing::info!(config_id = rc.config.id, external_id = %m.external_id, error = %e, "the platform changed under our write: re-reading");
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Attempts of one push that meets lock conflicts.
const LOCK_RETRIES: u32 = 3;

/// One read-merge-write of a mapped resource (the resource and mapping read afresh).
async fn merge_and_push(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    m: &elder_sync_store::Mapping,
    resource: &Resource,
) -> Result<Applied, EngineError> {
    let cfg = connector_settings(rc);
    let resource = &engine
        .store
        .get_resource(resource.kind, resource.id)
        .await?;
    let m = &engine
        .store
        .find_mapping_by_elder(rc.config.id, resource.kind, resource.id)
        .await?
        .unwrap_or_else(|| m.clone());
    let Some(base) = base_of(m) else {
        return Ok(Applied::Unchanged);
    };
    let elder = aligned(&elder_item(engine, rc, resource).await?, &base);
    let mut fields = vec![
        Field::Title,
        Field::Body,
        Field::State,
        Field::Labels,
        Field::Assignees,
        Field::MilestoneRef,
        Field::Extras,
    ];
    if elder.status_name.is_some() {
        // Elder's status counts only when it has one (and the platform has statuses).
        fields.push(Field::StatusName);
    }
    if diff(&base, &elder, Capabilities::any(), fields, &[]).is_empty() {
        // Elder holds what was last synced: this change came from the platform (or is
        // already there). Nothing to push: no echo.
        return Ok(Applied::Unchanged);
    }
    // Read the platform's current state and merge three-way, so a change made there since
    // the last sync is never overwritten blindly (most platforms have no optimistic locking).
    let current = comparable(&connector.get(&cfg, resource.kind, &m.external_id).await?);
    let strategy = strategy_of(rc);
    let resolution = resolve(Some(&base), Some(&elder), Some(&current), strategy);
    apply_resolution(
        engine,
        rc,
        connector,
        m,
        Some(resource),
        &current,
        &resolution,
        strategy,
        m.sync_method,
    )
    .await
}

/// An Elder deletion: deleted (or closed) on the platform, unless the platform changed
/// the item since the last sync, which is a `deleted_local` conflict (nothing applied)
/// except under `elder_wins`.
async fn push_delete(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    cfg: &elder_sync_runtime::ConnectorSettings,
    m: &Mapping,
    resource: &Resource,
) -> Result<Applied, EngineError> {
    if strategy_of(rc) != Strategy::ElderWins
        && let Some(base) = base_of(m)
    {
        let current = match connector.get(cfg, resource.kind, &m.external_id).await {
            Ok(item) => comparable(&item),
            Err(CallError::Connector(ConnectorError::NotFound(_))) => {
                return Ok(Applied::Unchanged);
            }
            Err(e) => return Err(e.into()),
        };
        if fingerprint(&current) != fingerprint(&base) {
            record_typed_conflict(
                engine,
                m,
                ConflictType::DeletedLocal,
                Some(resource),
                Some(&current),
            )
            .await?;
            engine.metrics.sync_conflict(
                rc.config.platform.as_str(),
                elder_sync_telemetry::ConflictType::DeletedLocal,
            );
            return Ok(Applied::Conflict);
        }
    }
    if let Some(closed) = delete_external(connector, cfg, &m.external_id, resource.kind).await? {
        // Closed instead of deleted: re-base on the closed item so its webhook is an echo.
        let base = comparable(&closed);
        let print = fingerprint(&base);
        write_mapping(
            engine,
            rc,
            resource,
            &base,
            Some(print),
            m.sync_method,
            SyncStatus::Synced,
        )
        .await?;
    }
    Ok(Applied::Updated)
}

/// Creates `resource` on the platform. The mapping is reserved first (placeholder id,
/// status `pending`, the content's fingerprint), so the platform's webhook for this
/// create, if it is processed before the call returns, adopts the reservation instead
/// of creating a twin in Elder. A reservation still there from an earlier attempt means
/// that attempt's outcome is unknown (timeout, trap, 5xx): the platform is searched for
/// the item it may have created, which is adopted instead of being sent again.
async fn create_external(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    connector: &LoadedConnector,
    cfg: &elder_sync_runtime::ConnectorSettings,
    resource: &Resource,
) -> Result<Applied, EngineError> {
    let earlier = engine
        .store
        .find_mapping_by_elder(rc.config.id, resource.kind, resource.id)
        .await?;
    if let Some(reservation) = earlier_attempt(earlier.as_ref())
        && let Some(found) =
            find_own_create(engine, rc.config.id, connector, cfg, reservation).await?
    {
        tracing::info!(config_id = rc.config.id, kind = %resource.kind, elder_id = resource.id, external_id = %found.external_id, "an earlier create whose answer was lost did create the item: adopted, not sent again");
        return map_created(engine, rc, resource, &found).await;
    }
    let elder = elder_item(engine, rc, resource).await?;
    let mut planned = elder.clone();
    planned.external_id = placeholder();
    let planned_print = fingerprint(&planned);
    write_mapping(
        engine,
        rc,
        resource,
        &planned,
        Some(planned_print),
        SyncMethod::Manual,
        SyncStatus::Pending,
    )
    .await?;
    let mut new = new_item(resource, elder.milestone_ref.clone());
    new.assignees = elder.assignees.clone();
    let created = match connector.create(cfg, new).await {
        Ok(created) => created,
        Err(e) => {
            let e = EngineError::from(e);
            if e.is_transient() {
                // The item may exist now: the kept reservation records this attempt.
                tracing::warn!(config_id = rc.config.id, elder_id = resource.id, error = %e, "create outcome unknown: the next attempt looks for the item first");
            } else {
                release_reservation(engine, rc, resource).await?;
            }
            if crate::refusals::is_unsupported(&e) {
                // E.g. GitLab epics without a group: the platform cannot hold this item.
                tracing::info!(config_id = rc.config.id, kind = %resource.kind, error = %e, "the platform cannot hold this item: not created there");
                return Ok(Applied::Unchanged);
            }
            return Err(e);
        }
    };
    crate::notes::note_skipped_assignees(engine, rc, resource, &created.external_id).await;
    let created = move_to_status(connector, cfg, &elder, created).await;
    map_created(engine, rc, resource, &created).await
}

/// A platform creates an item in its first status (a new item carries none): when Elder's
/// status (`wanted`, in the platform's terms) is another one, the item is moved there at
/// once. A refusal leaves it where it was, to be moved by a later change.
async fn move_to_status(
    connector: &LoadedConnector,
    cfg: &elder_sync_runtime::ConnectorSettings,
    wanted: &Item,
    created: Item,
) -> Item {
    let Some(status) = wanted
        .status_name
        .clone()
        .filter(|s| created.status_name.as_ref() != Some(s))
    else {
        return created;
    };
    let patch = ItemPatch {
        status_name: Some(status),
        expected_version: created.version.clone(),
        ..ItemPatch::default()
    };
    match connector
        .update(cfg, created.kind, &created.external_id, patch)
        .await
    {
        Ok(moved) => moved,
        Err(e) => {
            tracing::warn!(external_id = %created.external_id, error = %e, "the new item could not be moved to Elder's status");
            created
        }
    }
}

/// Maps `resource` to the platform item created for it.
async fn map_created(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    resource: &Resource,
    created: &Item,
) -> Result<Applied, EngineError> {
    let base = comparable(created);
    let print = fingerprint(&base);
    write_mapping(
        engine,
        rc,
        resource,
        &base,
        Some(print),
        SyncMethod::Manual,
        SyncStatus::Synced,
    )
    .await?;
    Ok(Applied::Created)
}

/// Drops a reservation whose create failed for good (a retry reserves again).
async fn release_reservation(
    engine: &SyncEngine,
    rc: &ResolvedConfig,
    resource: &Resource,
) -> Result<(), EngineError> {
    if let Some(m) = engine
        .store
        .find_mapping_by_elder(rc.config.id, resource.kind, resource.id)
        .await?
        && is_reserved(&m.external_id)
    {
        engine.store.delete_mapping(m.id).await?;
    }
    Ok(())
}

/// Deletes the item on the platform; where the platform cannot delete (GitHub issues) it
/// is closed instead and the closed item is returned (its echo must be recognised).
pub(crate) async fn delete_external(
    connector: &LoadedConnector,
    cfg: &elder_sync_runtime::ConnectorSettings,
    external_id: &str,
    kind: Kind,
) -> Result<Option<Item>, EngineError> {
    match connector.delete(cfg, kind, external_id).await {
        Ok(()) | Err(CallError::Connector(ConnectorError::NotFound(_))) => Ok(None),
        Err(CallError::Connector(ConnectorError::Unsupported(_))) => {
            match connector.close(cfg, kind, external_id).await {
                Ok(closed) => Ok(Some(closed)),
                Err(CallError::Connector(ConnectorError::NotFound(_))) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0), Duration::from_secs(2));
        assert_eq!(backoff(1), Duration::from_secs(4));
        assert_eq!(backoff(3), Duration::from_secs(16));
        assert_eq!(backoff(50), Duration::from_secs(600));
    }
}
