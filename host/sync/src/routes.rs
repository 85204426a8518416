//! The engine's HTTP routes: webhook deliveries (`POST`/`HEAD /api/v1/webhooks/{config_id}`,
//! open: authenticated by signature) and the operator actions `POST
//! /api/v1/sync/configs/{id}/run`, `/test` and `POST /api/v1/sync/conflicts/{id}/resolve`
//! (mounted behind the API's token auth, which lets only admin tokens write).
//! Errors are JSON `{"error": {"code", "message", "field"}}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use elder_sync_api::Caller;
use elder_sync_store::{ResolutionStrategy, StoreError, SyncMethod};
use elder_sync_telemetry::redact::redact_text;
use serde_json::json;

use crate::engine::{Engine, connector_config};
use crate::error::EngineError;
use crate::ingest::{IngestError, Ingested, ingest};
use crate::poll::poll_config;
use crate::run::tally_json;
use crate::settle::{Settlement, settle_conflict};

/// The body of `POST /api/v1/sync/conflicts/{id}/resolve`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    resolution_strategy: ResolutionStrategy,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

/// `POST`/`HEAD /api/v1/webhooks/{config_id}` (HEAD answers 200: Trello's handshake).
pub fn webhook_routes(engine: Engine) -> Router {
    Router::new()
        .route(
            "/api/v1/webhooks/{config_id}",
            post(receive).head(handshake),
        )
        .with_state(engine)
}

/// `POST /api/v1/sync/configs/{id}/run`, `/test` and `/api/v1/sync/conflicts/{id}/resolve`.
pub fn action_routes(engine: Engine) -> Router {
    Router::new()
        .route("/api/v1/sync/configs/{id}/run", post(run_now))
        .route("/api/v1/sync/configs/{id}/test", post(test_now))
        .route("/api/v1/sync/conflicts/{id}/resolve", post(resolve_now))
        .with_state(engine)
}

fn error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    field: Option<&str>,
) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message.into(), "field": field}})),
    )
        .into_response()
}

fn bad_id(raw: &str, field: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_id",
        format!("{field} must be an integer, got {raw:?}"),
        Some(field),
    )
}

async fn handshake(Path(raw): Path<String>) -> Response {
    match raw.parse::<i64>() {
        Ok(_) => StatusCode::OK.into_response(),
        Err(_) => bad_id(&raw, "config_id"),
    }
}

async fn receive(
    State(engine): State<Engine>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(id) = raw.parse::<i64>() else {
        return bad_id(&raw, "config_id");
    };
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_string(), v.to_string()))
        })
        .collect();
    match ingest(&engine, id, &headers, &body).await {
        Ok(Ingested::Accepted { delivery_id }) => (
            StatusCode::ACCEPTED,
            Json(json!({"status": "accepted", "delivery_id": delivery_id})),
        )
            .into_response(),
        Ok(Ingested::Duplicate { delivery_id }) => (
            StatusCode::OK,
            Json(json!({"status": "duplicate", "delivery_id": delivery_id})),
        )
            .into_response(),
        Err(e) => ingest_error(e),
    }
}

/// The one answer to every delivery that is not authenticated, whatever the reason
/// (unknown config, disabled, webhooks off, no usable secret, unsigned, bad signature), so
/// a caller without the secret learns nothing about which configs exist.
pub const UNAUTHENTICATED_MESSAGE: &str = "webhook signature could not be verified";

fn ingest_error(e: IngestError) -> Response {
    match e {
        IngestError::Unauthenticated(_) => error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            UNAUTHENTICATED_MESSAGE,
            None,
        ),
        IngestError::ConnectorUnavailable(msg) => {
            error(StatusCode::CONFLICT, "connector_unavailable", msg, None)
        }
        IngestError::Engine(e) => engine_error(e),
    }
}

fn engine_error(e: EngineError) -> Response {
    let msg = redact_text(&e.to_string());
    match e {
        EngineError::Store(StoreError::NotFound(_)) => {
            error(StatusCode::NOT_FOUND, "not_found", msg, None)
        }
        EngineError::Store(StoreError::Invalid { field, message }) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            message,
            Some(&field),
        ),
        EngineError::Store(
            StoreError::UnresolvedSecret { key, .. } | StoreError::ForbiddenSecretRef { key, .. },
        ) => error(StatusCode::CONFLICT, "unresolved_secret", msg, Some(&key)),
        EngineError::Store(StoreError::Conflict(m)) => {
            error(StatusCode::CONFLICT, "conflict", m, None)
        }
        EngineError::Registry(_) => error(StatusCode::CONFLICT, "connector_unavailable", msg, None),
        other => {
            tracing::error!(error = %other, "engine request failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the sync engine could not complete the request; see the logs",
                None,
            )
        }
    }
}

async fn run_now(State(engine): State<Engine>, Path(raw): Path<String>) -> Response {
    let Ok(id) = raw.parse::<i64>() else {
        return bad_id(&raw, "id");
    };
    match poll_config(&engine, id, "manual", SyncMethod::Manual).await {
        Ok(report) => Json(json!({
            "history_id": report.history_id,
            "correlation_id": report.correlation_id,
            "success": report.error.is_none(),
            "error": report.error,
            "items": tally_json(&report.tally),
        }))
        .into_response(),
        Err(e) => engine_error(e),
    }
}

async fn test_now(State(engine): State<Engine>, Path(raw): Path<String>) -> Response {
    let Ok(id) = raw.parse::<i64>() else {
        return bad_id(&raw, "id");
    };
    let result = async {
        let rc = engine.store.resolve_config(id).await?;
        let connector = engine.connector_for(&rc)?;
        Ok::<_, EngineError>(connector.test_connection(&connector_config(&rc)).await)
    }
    .await;
    match result {
        // The answer may quote upstream bodies: the same redaction as the logs.
        Ok(Ok(reached)) => {
            Json(json!({"ok": true, "reached": redact_text(&reached)})).into_response()
        }
        Ok(Err(e)) => {
            Json(json!({"ok": false, "error": redact_text(&e.to_string())})).into_response()
        }
        Err(e) => engine_error(e),
    }
}

async fn resolve_now(
    State(engine): State<Engine>,
    Path(raw): Path<String>,
    caller: Option<Extension<Caller>>,
    body: Bytes,
) -> Response {
    let Ok(id) = raw.parse::<i64>() else {
        return bad_id(&raw, "id");
    };
    let body: ResolveBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return body_error(&e),
    };
    let settlement = Settlement {
        strategy: body.resolution_strategy,
        data: body.data.filter(|d| !d.is_null()),
        resolved_by: caller.map_or_else(|| "engine".to_string(), |Extension(c)| c.label()),
    };
    match settle_conflict(&engine, id, &settlement).await {
        Ok(conflict) => Json(conflict).into_response(),
        Err(e) => engine_error(e),
    }
}

/// A 400 for an unreadable JSON body, naming the offending field where serde tells it.
fn body_error(e: &serde_json::Error) -> Response {
    let msg = e.to_string();
    let field = if msg.contains("unknown variant") || msg.contains("`resolution_strategy`") {
        Some("resolution_strategy")
    } else if msg.contains("`data`") {
        Some("data")
    } else {
        None
    };
    error(
        StatusCode::BAD_REQUEST,
        "invalid_body",
        format!("invalid request body: {msg}"),
        field,
    )
}
