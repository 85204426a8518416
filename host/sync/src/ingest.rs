//! Webhook ingestion: authenticate a delivery over its raw bytes with the scheme the
//! connector declares, write it to the durable inbox keyed by its delivery id, answer.
//! The inbox worker then translates deliveries with the connector's `parse-webhook` and
//! applies the changes. Nothing acknowledged is lost; redeliveries are no-ops.

use std::time::Duration;

use elder_sync_model::ChangeAction;
use elder_sync_store::{ResolvedConfig, StoreError, SyncMethod};
use elder_sync_telemetry::WebhookOutcome;

use crate::apply::{apply_external, apply_external_delete};
use crate::dispatch::backoff;
use crate::engine::{Engine, connector_config};
use crate::error::EngineError;
use crate::persist::{
    InboxEntry, InboxInsert, claim_inbox, complete_inbox, fail_inbox, insert_inbox, now_ms,
};
use crate::poll::count;
use crate::run::{Tally, recorded_with};
use crate::signatures::{delivery_id, verify_any};
use tracing::Instrument;
use uuid::Uuid;

/// Why a delivery was refused (each maps to a 4xx answer).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("no sync config {0}")]
    UnknownConfig(i64),
    #[error("sync config {0} is disabled")]
    ConfigDisabled(i64),
    #[error("webhooks are disabled for sync config {0} (webhook_enabled is false)")]
    WebhooksDisabled(i64),
    #[error("{0}")]
    ConnectorUnavailable(String),
    #[error("the {0} connector declares no webhooks")]
    NoWebhooks(String),
    #[error("webhook signature rejected: {0}")]
    BadSignature(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> Self {
        IngestError::Engine(e.into())
    }
}

/// What happened to an accepted delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// Stored for processing.
    Accepted { delivery_id: String, signed: bool },
    /// Already stored: a redelivery.
    Duplicate { delivery_id: String },
}

/// Authenticates and stores one delivery for `config_id`.
pub async fn ingest(
    engine: &Engine,
    config_id: i64,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Ingested, IngestError> {
    let rc = match engine.store.resolve_config(config_id).await {
        Ok(rc) => rc,
        Err(StoreError::NotFound(_)) => return Err(IngestError::UnknownConfig(config_id)),
        Err(e) => return Err(e.into()),
    };
    let platform = rc.config.platform.as_str();
    let result = check_and_store(engine, &rc, headers, body).await;
    let outcome = match &result {
        Ok(Ingested::Accepted { .. }) => WebhookOutcome::Accepted,
        Ok(Ingested::Duplicate { .. }) => WebhookOutcome::Duplicate,
        Err(IngestError::BadSignature(_)) => WebhookOutcome::BadSignature,
        Err(_) => WebhookOutcome::Rejected,
    };
    engine.metrics.webhook_delivery(platform, outcome);
    match &result {
        Ok(Ingested::Accepted { .. }) => engine.inbox_notify.notify_one(),
        Err(IngestError::BadSignature(why)) => {
            tracing::warn!(config_id, platform, reason = %why, "webhook delivery rejected: bad signature");
            let policy = engine.settings.health;
            engine
                .update_health(config_id, |h| h.delivery_failed(&policy, now_ms(), why))
                .await?;
        }
        _ => {}
    }
    result
}

async fn check_and_store(
    engine: &Engine,
    rc: &ResolvedConfig,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Ingested, IngestError> {
    let id = rc.config.id;
    if !rc.config.enabled {
        return Err(IngestError::ConfigDisabled(id));
    }
    if !rc.config.webhook_enabled {
        return Err(IngestError::WebhooksDisabled(id));
    }
    let connector = engine
        .connector_for(rc)
        .map_err(|e| IngestError::ConnectorUnavailable(e.to_string()))?;
    let info = connector
        .info()
        .webhooks
        .clone()
        .ok_or_else(|| IngestError::NoWebhooks(connector.info().id.clone()))?;
    let signed = match rc.webhook_secret.as_deref() {
        Some(secret) => {
            let callback = engine.callback_url(id);
            verify_any(&info, secret, headers, body, callback.as_deref(), now_ms())
                .map_err(|e| IngestError::BadSignature(e.to_string()))?;
            true
        }
        None => {
            tracing::warn!(
                config_id = id,
                "webhook accepted without a signature check: the config has no webhook secret"
            );
            false
        }
    };
    let delivery_id = delivery_id(&info, headers, body);
    let stored = insert_inbox(
        &engine.store,
        &InboxInsert {
            config_id: id,
            delivery_id: &delivery_id,
            headers,
            body,
        },
    )
    .await?;
    Ok(if stored {
        Ingested::Accepted {
            delivery_id,
            signed,
        }
    } else {
        Ingested::Duplicate { delivery_id }
    })
}

/// Claims and processes one batch of inbox deliveries; returns how many were claimed.
pub async fn process_inbox_batch(engine: &Engine, limit: u32) -> Result<usize, EngineError> {
    let entries = claim_inbox(&engine.store, limit, Duration::from_secs(120)).await?;
    for entry in &entries {
        // One correlation id per delivery: its history row and every log line carry it.
        let correlation_id = Uuid::new_v4();
        let span = tracing::info_span!("webhook_delivery", correlation_id = %correlation_id, config_id = entry.config_id, inbox_id = entry.id);
        handle_delivery(engine, entry, correlation_id)
            .instrument(span)
            .await?;
    }
    Ok(entries.len())
}

/// Processes one claimed delivery and records the outcome (done, retry later, or parked).
async fn handle_delivery(
    engine: &Engine,
    entry: &InboxEntry,
    correlation_id: Uuid,
) -> Result<(), EngineError> {
    match process_delivery(engine, entry, correlation_id).await {
        Ok(()) => {
            complete_inbox(&engine.store, entry.id).await?;
            engine
                .update_health(entry.config_id, |h| h.delivery_succeeded(now_ms()))
                .await?;
        }
        Err(e) => {
            let give_up = !e.is_transient() || entry.attempts >= engine.settings.max_attempts;
            tracing::warn!(delivery_id = %entry.delivery_id, error = %e, give_up, "webhook processing failed");
            fail_inbox(
                &engine.store,
                entry.id,
                &e.to_string(),
                backoff(entry.attempts),
                give_up,
            )
            .await?;
            if give_up {
                let policy = engine.settings.health;
                let why = elder_sync_telemetry::redact::redact_text(&e.to_string());
                engine
                    .update_health(entry.config_id, |h| {
                        h.delivery_failed(&policy, now_ms(), &why)
                    })
                    .await?;
            }
        }
    }
    Ok(())
}

async fn process_delivery(
    engine: &Engine,
    entry: &InboxEntry,
    correlation_id: Uuid,
) -> Result<(), EngineError> {
    let rc = engine.store.resolve_config(entry.config_id).await?;
    let connector = engine.connector_for(&rc)?;
    let cfg = connector_config(&rc);
    let report = recorded_with(engine, &rc, "webhook", correlation_id, |_| async {
        let changes = connector
            .parse_webhook(&cfg, entry.headers.clone(), entry.body.clone())
            .await?;
        let _guard = engine.lock_config(rc.config.id).await;
        let mut tally = Tally::default();
        for change in changes {
            if change.action == ChangeAction::Deleted {
                count(
                    apply_external_delete(engine, &rc, change.kind, &change.external_id).await,
                    &mut tally,
                    &change.external_id,
                );
                continue;
            }
            let item = match change.item {
                Some(item) => item,
                None => {
                    connector
                        .get(&cfg, change.kind, &change.external_id)
                        .await?
                }
            };
            count(
                apply_external(engine, &rc, &connector, &item, SyncMethod::Webhook).await,
                &mut tally,
                &item.external_id,
            );
        }
        Ok(tally)
    })
    .await?;
    match report.error {
        Some(e) => Err(EngineError::Retryable(e)),
        _ => Ok(()),
    }
}
