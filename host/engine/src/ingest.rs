//! Webhook ingestion: authenticate a delivery over its raw bytes with the scheme the
//! connector declares and the config's (mandatory) secret, drop its secret-bearing
//! headers, write it to the durable inbox keyed by its delivery id, answer. Unauthenticated
//! deliveries are stored nowhere and only counted (`trust`).
//! The inbox worker (`inbox`) then translates deliveries with the connector's
//! `parse-webhook` and applies the changes. Nothing acknowledged is lost; redeliveries are
//! no-ops.

use elder_sync_model::WebhookInfo;
use elder_sync_store::{StoreError, WebhookGate};
use elder_sync_telemetry::WebhookOutcome;

use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::gates::KeptGate;
use crate::signatures::{delivery_id, verify_any};
use crate::trust::{Unverified, strip_secret_headers};
use elder_sync_model::now_ms;
use elder_sync_store::InboxInsert;

pub use crate::inbox::process_inbox_batch;

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
/// health (they are counted instead). A config's gate is kept in memory after a delivery
/// verifies with it (`gates`), so the next delivery costs an HMAC and one inbox write.
pub async fn ingest(
    engine: &SyncEngine,
    config_id: i64,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Ingested, IngestError> {
    if let Some(kept) = engine.gates.get(config_id) {
        if let Some(ingested) = ingest_kept(engine, &kept, headers, body).await? {
            let platform = kept.gate.platform.as_str();
            engine
                .metrics
                .webhook_delivery(platform, WebhookOutcome::Accepted);
            engine.inbox_notify.notify_one();
            return Ok(ingested);
        }
        engine.gates.forget(config_id);
    }
    let gate = engine.store.webhook_gate(config_id).await?;
    let platform = gate
        .as_ref()
        .map_or("unknown", |g| g.platform.as_str())
        .to_string();
    let result = match gate {
        None => Err(IngestError::Unauthenticated(Unverified::UnknownConfig)),
        Some(g) => check_and_store(engine, g, headers, body).await,
    };
    engine
        .metrics
        .webhook_delivery(&platform, outcome_of(&result));
    match &result {
        Ok(Ingested::Accepted { .. } | Ingested::Requeued { .. }) => {
            engine.inbox_notify.notify_one()
        }
        Err(IngestError::Unauthenticated(why)) => {
            let known = !matches!(why, Unverified::UnknownConfig);
            refused(engine, config_id, &platform, known, why).await?
        }
        _ => {}
    }
    result
}

/// A delivery verified with a kept gate and stored while the config still has that gate;
/// `None` for anything else (not verified, a duplicate, the config changed), which then
/// takes the full path.
async fn ingest_kept(
    engine: &SyncEngine,
    kept: &KeptGate,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Option<Ingested>, IngestError> {
    let Ok(info) = verify(engine, &kept.gate, &kept.secret, headers, body) else {
        return Ok(None);
    };
    let delivery_id = delivery_id(&info, headers, body);
    let kept_headers = strip_secret_headers(&info, headers);
    let insert = InboxInsert {
        config_id: kept.gate.config_id,
        delivery_id: &delivery_id,
        headers: &kept_headers,
        body,
    };
    let stored = engine
        .inbox_writer
        .insert_if_current(&insert, &kept.gate)
        .await?;
    Ok(stored.then_some(Ingested::Accepted { delivery_id }))
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

/// The gate's secret, or why there is none usable.
fn usable_secret(engine: &SyncEngine, gate: &WebhookGate) -> Result<String, Unverified> {
    match engine.store.resolve_gate_secret(gate) {
        Ok(Some(secret)) if !secret.trim().is_empty() => Ok(secret),
        Ok(_) => Err(Unverified::NoUsableSecret(
            "the config has no webhook secret".into(),
        )),
        Err(e) => Err(Unverified::NoUsableSecret(e.to_string())),
    }
}

/// The webhook schemes of the config's connector (enabled or not: a delivery for a
/// disabled connector is verified and held like any other).
fn webhook_info(engine: &SyncEngine, gate: &WebhookGate) -> Result<WebhookInfo, Unverified> {
    let platform = gate.platform.as_str();
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
/// Returns the schemes and the secret that verified.
fn authenticate(
    engine: &SyncEngine,
    gate: &WebhookGate,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(WebhookInfo, String), Unverified> {
    let secret = usable_secret(engine, gate)?;
    let info = verify(engine, gate, &secret, headers, body)?;
    Ok((info, secret))
}

/// Verifies the delivery with `secret` and the connector's current schemes (a connector
/// swapped meanwhile is honoured at once: schemes are never kept).
fn verify(
    engine: &SyncEngine,
    gate: &WebhookGate,
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<WebhookInfo, Unverified> {
    if !gate.webhook_enabled {
        return Err(Unverified::WebhooksDisabled);
    }
    let info = webhook_info(engine, gate)?;
    let callback = engine.callback_url(gate.config_id);
    verify_any(&info, secret, headers, body, callback.as_deref(), now_ms())?;
    Ok(info)
}

async fn check_and_store(
    engine: &SyncEngine,
    gate: WebhookGate,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Ingested, IngestError> {
    let (info, secret) =
        authenticate(engine, &gate, headers, body).map_err(IngestError::Unauthenticated)?;
    let delivery_id = delivery_id(&info, headers, body);
    let kept = strip_secret_headers(&info, headers);
    let config_id = gate.config_id;
    let stored = engine
        .inbox_writer
        .insert(&InboxInsert {
            config_id,
            delivery_id: &delivery_id,
            headers: &kept,
            body,
        })
        .await?;
    engine.gates.keep(gate, secret);
    Ok(if stored {
        Ingested::Accepted { delivery_id }
    } else if engine
        .store
        .requeue_parked_delivery(config_id, &delivery_id)
        .await?
    {
        tracing::info!(config_id, %delivery_id, "a parked delivery was delivered again: queued again");
        Ingested::Requeued { delivery_id }
    } else {
        Ingested::Duplicate { delivery_id }
    })
}
