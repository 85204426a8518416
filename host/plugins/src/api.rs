//! The `/api/v1/plugins` routes: list and detail (any token), upload, enable, disable, rollback and
//! approve (admin tokens). Errors are the API's JSON errors.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use elder_sync_http::{ApiError, ApiJson, Caller, require_token};
use elder_sync_store::{Role, Store};
use serde::Deserialize;
use serde_json::json;

use crate::host::{InstallOutcome, Origin, PluginHost};
use crate::manifest::Manifest;

/// Largest accepted upload body (the component travels base64-encoded).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// The body of `POST /api/v1/plugins`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// The manifest, as TOML text.
    pub manifest: String,
    /// The component's bytes, base64 (standard alphabet).
    pub component: String,
}

/// The plugin routes behind the API's token check (tokens live in `store`).
pub fn router(host: Arc<PluginHost>, store: Store) -> Router {
    Router::new()
        .route(
            "/api/v1/plugins",
            get(list)
                .post(upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/api/v1/plugins/{id}", get(detail))
        .route("/api/v1/plugins/{id}/{action}", post(action))
        .layer(axum::middleware::from_fn_with_state(store, require_token))
        .with_state(host)
}

fn admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("managing plugins needs an admin token"))
    }
}

async fn list(State(host): State<Arc<PluginHost>>) -> Response {
    Json(json!({"plugins": host.list(), "pending": host.pending(), "cache": host.cache_stats()}))
        .into_response()
}

/// One plugin and what its connector declares: config schema, kinds, webhooks, hosts.
async fn detail(
    State(host): State<Arc<PluginHost>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    match host.detail(&id) {
        Some(detail) => Ok(Json(detail).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no plugin {id} is installed"),
        )),
    }
}

async fn upload(
    State(host): State<Arc<PluginHost>>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<Upload>,
) -> Result<Response, ApiError> {
    admin(&caller)?;
    let manifest = Manifest::parse(&body.manifest)?;
    let component = base64::engine::general_purpose::STANDARD
        .decode(body.component.trim())
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("component must be base64: {e}"),
            )
            .with_field("component")
        })?;
    tracing::info!(plugin = %manifest.id, by = %caller.label(), "connector upload");
    let outcome = blocking(move || host.install(component, manifest, Origin::Upload)).await?;
    Ok(match outcome {
        InstallOutcome::Installed(view) => (
            StatusCode::CREATED,
            Json(json!({"status": "installed", "plugin": view})),
        )
            .into_response(),
        InstallOutcome::Unchanged(view) => {
            Json(json!({"status": "unchanged", "plugin": view})).into_response()
        }
        InstallOutcome::Pending(pending) => (
            StatusCode::ACCEPTED,
            Json(json!({"status": "pending_approval", "pending": pending})),
        )
            .into_response(),
    })
}

async fn action(
    State(host): State<Arc<PluginHost>>,
    Extension(caller): Extension<Caller>,
    Path((id, action)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    admin(&caller)?;
    let view = match action.as_str() {
        "enable" => blocking(move || host.set_enabled(&id, true)).await?,
        "disable" => blocking(move || host.set_enabled(&id, false)).await?,
        "rollback" => blocking(move || host.rollback(&id)).await?,
        "approve" => blocking(move || host.approve(&id)).await?,
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "route_not_found",
                format!(
                    "unknown plugin action {other:?}: use enable, disable, rollback or approve"
                ),
            ));
        }
    };
    tracing::info!(plugin = %view.id, action, by = %caller.label(), "plugin action");
    Ok(Json(json!({"plugin": view})).into_response())
}

/// Runs lifecycle work (compiling, file I/O) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::error::PluginError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "plugin operation panicked");
            Err(ApiError::internal())
        }
    }
}
