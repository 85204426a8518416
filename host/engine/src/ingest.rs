//! Webhook ingestion: authenticate a delivery over its raw bytes with the scheme the
//! connector declares and the config's (mandatory) secret, drop its secret-bearing
//! headers, write it to the durable inbox keyed by its delivery id, answer. Unauthenticated
//! deliveries are stored nowhere and only counted (`trust`).
//! The inbox worker then translates deliveries with the connector's `parse-webhook` and
//! applies the changes. Nothing acknowledged is lost; redeliveries are no-ops.

use elder_sync_model::{ChangeAction, WebhookInfo};
use elder_sync_store::{StoreError, SyncConfig, SyncMethod, WorkQueue};
use elder_sync_telemetry::WebhookOutcome;

use crate::apply::{apply_external, apply_external_delete};
use crate::dispatch::backoff;
use crate::engine::{SyncEngine, connector_settings};
use crate::error::EngineError;
use crate::poll::count;
use crate::run::{Tally, recorded_with};
use crate::signatures::{delivery_id, verify_any};
use crate::trust::{Unverified, strip_secret_headers};
use elder_sync_model::now_ms;
use elder_sync_store::{
    InboxEntry, InboxInsert, claim_inbox, complete_inbox, fail_inbox, insert_inbox,
};
use tracing::Instrument;
use uuid::Uuid;

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Not authenticated, for any reason: the caller always gets the same 401 (the
    /// reason goes to the log, the metric and the config's status only).
    #[error("webhook delivery not authenticated: {}", .0.detail())]
    Unauthenticated(Unverified),
    /// Looking up the config or storing the delivery failed (mostly a database error).
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
    /// Verified and stored for processing.
    Accepted {
        /// The delivery id it was stored under.
        delivery_id: String,
    },
    /// Already stored: a redelivery.
    Duplicate {
        /// The delivery id already stored.
        delivery_id: String,
    },
    /// A redelivery of a delivery parked as a dead letter: queued again (attempts reset).
    Requeued {
        /// The delivery id requeued.
        delivery_id: String,
    },
}

/// Authenticates and stores one delivery for `config_id`. A delivery is stored only
/// after its signature verifies with the config's secret; refusals never touch webhook
/// health (they are counted instead).
pub async fn ingest(
    engine: &SyncEngine,
    config_id: i64,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Ingested, IngestError> {
    let config = match engine.store.get_config(config_id).await {
        Ok(c) => Some(c),
        Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let platform = config
        .as_ref()
        .map_or("unknown", |c| c.platform.as_str())
        .to_string();
    let result = match &config {
        None => Err(IngestError::Unauthenticated(Unverified::UnknownConfig)),
        Some(c) => check_and_store(engine, c, headers, body).await,
    };
    engine
        .metrics
        .webhook_delivery(&platform, outcome_of(&result));
    match &result {
        Ok(Ingested::Accepted { .. } | Ingested::Requeued { .. }) => {
            engine.inbox_notify.notify_one()
        }
        Err(IngestError::Unauthenticated(why)) => {
            refused(engine, config_id, &platform, config.is_some(), why).await?
        }
        _ => {}
    }
    result
}

fn outcome_of(result: &Result<Ingested, IngestError>) -> WebhookOutcome {
    match result {
        Ok(Ingested::Accepted { .. } | Ingested::Requeued { .. }) => WebhookOutcome::Accepted,
        Ok(Ingested::Duplicate { .. }) => WebhookOutcome::Duplicate,
        Err(IngestError::Unauthenticated(u)) if u.is_signature_failure() => {
            WebhookOutcome::BadSignature
        }
        Err(_) => WebhookOutcome::Rejected,
    }
}

/// Logs and counts a refused delivery (per config when the config exists).
async fn refused(
    engine: &SyncEngine,
    config_id: i64,
    platform: &str,
    known: bool,
    why: &Unverified,
) -> Result<(), IngestError> {
    tracing::warn!(config_id, platform, reason = why.reason(), detail = %why.detail(), "webhook delivery refused: not authenticated");
    engine.metrics.webhook_rejected(platform, why.reason());
    if known {
        engine
            .store
            .record_webhook_rejection(config_id, &why.detail(), now_ms())
            .await?;
    }
    Ok(())
}

/// The config's secret, or why there is none usable.
fn usable_secret(engine: &SyncEngine, config: &SyncConfig) -> Result<String, Unverified> {
    match engine.store.resolve_webhook_secret(config) {
        Ok(Some(secret)) if !secret.trim().is_empty() => Ok(secret),
        Ok(_) => Err(Unverified::NoUsableSecret(
            "the config has no webhook secret".into(),
        )),
        Err(e) => Err(Unverified::NoUsableSecret(e.to_string())),
    }
}

/// The webhook schemes of the config's connector (enabled or not: a delivery for a
/// disabled connector is verified and held like any other).
fn webhook_info(engine: &SyncEngine, config: &SyncConfig) -> Result<WebhookInfo, Unverified> {
    let platform = config.platform.as_str();
    let slot = engine
        .registry
        .slot(platform)
        .ok_or_else(|| Unverified::NoScheme(format!("no connector is loaded for {platform}")))?;
    slot.current.info().webhooks.clone().ok_or_else(|| {
        Unverified::NoScheme(format!("the {platform} connector declares no webhooks"))
    })
}

/// Verifies the delivery against the config's secret; the connector's schemes when it
/// does. A disabled config or connector still receives: its deliveries are verified, stored
/// and held until it is enabled again (answering 4xx would make GitLab disable the hook).
fn authenticate(
    engine: &SyncEngine,
    config: &SyncConfig,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<WebhookInfo, Unverified> {
    if !config.webhook_enabled {
        return Err(Unverified::WebhooksDisabled);
    }
    let secret = usable_secret(engine, config)?;
    let info = webhook_info(engine, config)?;
    let callback = engine.callback_url(config.id);
    verify_any(&info, &secret, headers, body, callback.as_deref(), now_ms())?;
    Ok(info)
}

async fn check_and_store(
    engine: &SyncEngine,
    config: &SyncConfig,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Ingested, IngestError> {
    let info = authenticate(engine, config, headers, body).map_err(IngestError::Unauthenticated)?;
    let delivery_id = delivery_id(&info, headers, body);
    let kept = strip_secret_headers(&info, headers);
    let stored = insert_inbox(
        &engine.store,
        &InboxInsert {
            config_id: config.id,
            delivery_id: &delivery_id,
            headers: &kept,
            body,
        },
    )
    .await?;
    Ok(if stored {
        Ingested::Accepted { delivery_id }
    } else if engine
        .store
        .requeue_parked_delivery(config.id, &delivery_id)
        .await?
    {
        tracing::info!(config_id = config.id, %delivery_id, "a parked delivery was delivered again: queued again");
        Ingested::Requeued { delivery_id }
    } else {
        Ingested::Duplicate { delivery_id }
    })
}

/// Claims and processes one batch of inbox deliveries; returns how many were claimed.
pub async fn process_inbox_batch(engine: &SyncEngine, limit: u32) -> Result<usize, EngineError> {
    let me = &engine.replica.id;
    let entries = claim_inbox(&engine.store, limit, crate::engine::CLAIM_LEASE, me).await?;
    let ids = entries.iter().map(|e| e.id).collect();
    let _renewal = crate::lease::renew_claims(engine, WorkQueue::Inbox, ids);
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
/// A delivery of a config whose work is paused (disabled, rate limited) is held untried.
async fn handle_delivery(
    engine: &SyncEngine,
    entry: &InboxEntry,
    correlation_id: Uuid,
) -> Result<(), EngineError> {
    let config = engine.store.get_config(entry.config_id).await?;
    if let Some(pause) = engine.paused(&config) {
        tracing::debug!(reason = %pause.reason, "the config's work is paused: delivery held");
        return hold(engine, entry, pause.until).await;
    }
    match process_delivery(engine, entry, correlation_id).await {
        Ok(()) => {
            complete_inbox(&engine.store, entry.id).await?;
            engine
                .update_health(entry.config_id, |h| h.delivery_succeeded(now_ms()))
                .await?;
        }
        Err(e) => {
            if let Some(wait) = e.rate_limit_wait() {
                let until = engine.pause_for_rate_limit(config.id, config.platform.as_str(), wait);
                return hold(engine, entry, until).await;
            }
            let give_up = !e.is_transient() || entry.attempts >= engine.settings.max_attempts;
            tracing::warn!(delivery_id = %entry.delivery_id, error = %e, give_up, "webhook processing failed");
            // Upstream bodies may quote credentials: the same redaction as the logs.
            let why = elder_sync_telemetry::redact::redact_text(&e.to_string());
            fail_inbox(
                &engine.store,
                entry.id,
                &why,
                backoff(entry.attempts),
                give_up,
            )
            .await?;
            if give_up {
                let policy = engine.settings.health;
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

/// Puts a claimed delivery back untried until `until`.
async fn hold(
    engine: &SyncEngine,
    entry: &InboxEntry,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<(), EngineError> {
    engine
        .store
        .hold_work(WorkQueue::Inbox, entry.id, until)
        .await?;
    Ok(())
}

async fn process_delivery(
    engine: &SyncEngine,
    entry: &InboxEntry,
    correlation_id: Uuid,
) -> Result<(), EngineError> {
    let rc = engine.store.resolve_config(entry.config_id).await?;
    let connector = engine.connector_for(&rc)?;
    let cfg = connector_settings(&rc);
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
                    change.kind,
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
                item.kind,
                &item.external_id,
            );
        }
        Ok(tally)
    })
    .await?;
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
