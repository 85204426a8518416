//! The `/api/v1/plugins` routes: list and detail (any token), upload, enable, disable, rollback and
//! approve (admin tokens). Errors are the API's JSON errors. Each handler carries its OpenAPI
//! annotation and the answers are typed, so [`openapi`] documents exactly what is served; the
//! service merges it into the one document at `/api/v1/openapi.json`.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use elder_sync_http::{ApiError, ApiJson, Caller, ErrorBody, require_token};
use elder_sync_store::{Role, Store};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::cache::CacheStats;
use crate::detail::PluginDetail;
use crate::host::{InstallOutcome, Origin, PendingView, PluginHost, PluginView};
use crate::manifest::Manifest;

/// Largest accepted upload body (the component travels base64-encoded).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// The body of `POST /api/v1/plugins`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = PluginUpload)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// The manifest (`plugin.toml`), as TOML text: `id`, `version`, `hosts`, `[limits]`.
    pub manifest: String,
    /// The component's bytes, base64 (standard alphabet).
    pub component: String,
}

/// Installed plugins, versions waiting for approval and the cache's counters.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginList {
    /// Every installed plugin.
    pub plugins: Vec<PluginView>,
    /// Uploaded versions waiting for an operator's approval.
    pub pending: Vec<PendingView>,
    /// The compiled-code cache's counters.
    pub cache: CacheStats,
}

/// An upload that is serving: `status` is `installed` (201) or `unchanged` (200: that
/// exact version and manifest were already serving).
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginInstalled {
    /// `installed` or `unchanged`.
    #[schema(value_type = String, example = "installed")]
    pub status: &'static str,
    /// The plugin as it now serves.
    pub plugin: PluginView,
}

/// An upload waiting for approval (`status` `pending_approval`): the old version keeps
/// serving until `POST /api/v1/plugins/{id}/approve`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginPending {
    /// Always `pending_approval`.
    #[schema(value_type = String, example = "pending_approval")]
    pub status: &'static str,
    /// The version waiting for approval.
    pub pending: PendingView,
}

/// The plugin after an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginActionResult {
    /// The plugin as it is after the action.
    pub plugin: PluginView,
}

/// The OpenAPI entries of these routes, from the handlers' own annotations.
#[derive(OpenApi)]
#[openapi(
    paths(list, detail, upload, enable, disable, rollback, approve),
    security(("bearer" = []))
)]
pub struct PluginsDoc;

/// Method and path of every route this module serves.
pub const ROUTES: [(&str, &str); 7] = [
    ("get", "/api/v1/plugins"),
    ("post", "/api/v1/plugins"),
    ("get", "/api/v1/plugins/{id}"),
    ("post", "/api/v1/plugins/{id}/enable"),
    ("post", "/api/v1/plugins/{id}/disable"),
    ("post", "/api/v1/plugins/{id}/rollback"),
    ("post", "/api/v1/plugins/{id}/approve"),
];

/// The OpenAPI document of the plugin routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    PluginsDoc::openapi()
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
        .route("/api/v1/plugins/{id}/enable", post(enable))
        .route("/api/v1/plugins/{id}/disable", post(disable))
        .route("/api/v1/plugins/{id}/rollback", post(rollback))
        .route("/api/v1/plugins/{id}/approve", post(approve))
        .route("/api/v1/plugins/{id}/{action}", post(unknown_action))
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

/// Installed plugins and versions waiting for approval (any token).
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins",
    responses((status = 200, body = PluginList)))]
async fn list(State(host): State<Arc<PluginHost>>) -> Json<PluginList> {
    Json(PluginList {
        plugins: host.list(),
        pending: host.pending(),
        cache: host.cache_stats(),
    })
}

/// One installed plugin and what its connector declares (any token): the config schema a
/// sync config for its platform must satisfy (keys, descriptions, required, secret), the
/// kinds it syncs, its webhook schemes and its hosts. 404 when no such plugin is installed.
#[utoipa::path(get, path = "/api/v1/plugins/{id}", tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id.")),
    responses((status = 200, body = PluginDetail), (status = 404, body = ErrorBody)))]
async fn detail(
    State(host): State<Arc<PluginHost>>,
    Path(id): Path<String>,
) -> Result<Json<PluginDetail>, ApiError> {
    host.detail(&id).map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no plugin {id} is installed"),
        )
    })
}

/// Upload a connector component with its manifest (admin token). It is validated
/// (component, contract version, manifest against `describe`), then serves (201), or was
/// already serving (200), or waits for approval because it asks for new hosts (202).
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", request_body = Upload,
    responses((status = 201, body = PluginInstalled), (status = 200, body = PluginInstalled),
              (status = 202, body = PluginPending), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
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
    Ok(
        match install_upload(host, manifest, component, caller).await? {
            InstallOutcome::Installed(plugin) => (
                StatusCode::CREATED,
                Json(PluginInstalled {
                    status: "installed",
                    plugin,
                }),
            )
                .into_response(),
            InstallOutcome::Unchanged(plugin) => Json(PluginInstalled {
                status: "unchanged",
                plugin,
            })
            .into_response(),
            InstallOutcome::Pending(pending) => (
                StatusCode::ACCEPTED,
                Json(PluginPending {
                    status: "pending_approval",
                    pending,
                }),
            )
                .into_response(),
        },
    )
}

/// Installs an uploaded component with its parsed manifest for an admin (the API's upload and
/// the console's): validated, then serving, unchanged, or waiting for approval.
pub async fn install_upload(
    host: Arc<PluginHost>,
    manifest: Manifest,
    component: Vec<u8>,
    caller: Caller,
) -> Result<InstallOutcome, ApiError> {
    admin(&caller)?;
    tracing::info!(plugin = %manifest.id, by = %caller.label(), "connector upload");
    blocking(move || host.install(component, manifest, Origin::Upload)).await
}

/// Enable a plugin (admin token); remembered across restarts.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/enable", tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id.")),
    responses((status = 200, body = PluginActionResult), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn enable(
    State(host): State<Arc<PluginHost>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<PluginActionResult>, ApiError> {
    act(&caller, "enable", move || host.set_enabled(&id, true)).await
}

/// Disable a plugin (admin token): its configs' work waits (no poll, push or delivery is
/// attempted, none uses up attempts) and its verified webhooks are accepted and held until it
/// is enabled again; stored mappings are kept. Remembered across restarts.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/disable", tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id.")),
    responses((status = 200, body = PluginActionResult), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn disable(
    State(host): State<Arc<PluginHost>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<PluginActionResult>, ApiError> {
    act(&caller, "disable", move || host.set_enabled(&id, false)).await
}

/// Swap back to the previous version (admin token); 409 `no_previous_version` without one.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/rollback", tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id.")),
    responses((status = 200, body = PluginActionResult), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn rollback(
    State(host): State<Arc<PluginHost>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<PluginActionResult>, ApiError> {
    act(&caller, "rollback", move || host.rollback(&id)).await
}

/// Approve the version waiting for approval and swap it in (admin token); 409
/// `nothing_pending` when no version of that plugin is waiting.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/approve", tag = "plugins",
    params(("id" = String, Path, description = "The plugin's id.")),
    responses((status = 200, body = PluginActionResult), (status = 409, body = ErrorBody)))]
async fn approve(
    State(host): State<Arc<PluginHost>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<PluginActionResult>, ApiError> {
    act(&caller, "approve", move || host.approve(&id)).await
}

/// Runs one lifecycle action for an admin and answers the plugin after it.
async fn act(
    caller: &Caller,
    action: &str,
    f: impl FnOnce() -> Result<PluginView, crate::error::PluginError> + Send + 'static,
) -> Result<Json<PluginActionResult>, ApiError> {
    let plugin = lifecycle_action(caller, action, f).await?;
    Ok(Json(PluginActionResult { plugin }))
}

/// Runs one lifecycle action (`enable`, `disable`, `rollback`, `approve`: a call on the
/// [`PluginHost`]) for an admin, off the async workers, and logs who did it (the API's
/// actions and the console's).
pub async fn lifecycle_action(
    caller: &Caller,
    action: &str,
    f: impl FnOnce() -> Result<PluginView, crate::error::PluginError> + Send + 'static,
) -> Result<PluginView, ApiError> {
    admin(caller)?;
    let plugin = blocking(f).await?;
    tracing::info!(plugin = %plugin.id, action, by = %caller.label(), "plugin action");
    Ok(plugin)
}

async fn unknown_action(
    Extension(caller): Extension<Caller>,
    Path((_, action)): Path<(String, String)>,
) -> ApiError {
    if let Err(e) = admin(&caller) {
        return e;
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!("unknown plugin action {action:?}: use enable, disable, rollback or approve"),
    )
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
