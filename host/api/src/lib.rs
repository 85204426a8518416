//! The `/api/v1` REST API of Elder Sync (axum): sync configs, history, status, conflicts,
//! mappings and Elder's issues, projects, milestones and labels, with bearer-token auth and an
//! OpenAPI document at `GET /api/v1/openapi.json`.
//!
//! [`router`] returns a finished `Router` the service merges with its other routers
//! (webhooks, health, metrics); [`api_routes`] gives the un-finished parts for callers that want
//! to add documented routes of their own.

mod catalog;
mod openapi;
mod query;
mod routes;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;
use elder_sync_store::Store;
use std::sync::Arc;
use utoipa::openapi::OpenApi;

pub use catalog::{ConnectorCatalog, StaticCatalog, requirements_for};
pub use elder_sync_http::{
    ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ERROR_CODES, ErrorBody, ErrorDetail,
    IdParam, require_token,
};
pub use routes::configs::{create as create_config, update as update_config, webhook_url};
pub use routes::dead_letters::dead_letter_id;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct ApiState {
    /// The database handle the handlers read and write.
    pub store: Store,
    /// The installed connectors: which platforms configs can target, what their configs
    /// require, what form a generated webhook secret takes (none unless told).
    pub catalog: Arc<dyn ConnectorCatalog>,
    /// `ELDER_PUBLIC_URL`: webhook URLs shown to operators start with it when set.
    pub public_url: Option<String>,
}

impl ApiState {
    /// State over `store` with no connector installed (every config's platform is
    /// refused until [`ApiState::with_catalog`]); URLs are paths.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            catalog: Arc::new(StaticCatalog::new()),
            public_url: None,
        }
    }

    /// Answers which platforms exist and what their configs need from `catalog`.
    pub fn with_catalog(mut self, catalog: Arc<dyn ConnectorCatalog>) -> Self {
        self.catalog = catalog;
        self
    }

    /// Shows webhook URLs under `public_url` (`ELDER_PUBLIC_URL`).
    pub fn with_public_url(mut self, public_url: Option<String>) -> Self {
        self.public_url = public_url;
        self
    }
}

/// The authenticated API routes and their OpenAPI document, built from the same annotations.
pub fn api_routes(state: ApiState) -> (Router, OpenApi) {
    let (router, mut doc) = routes::all().split_for_parts();
    elder_sync_http::finish(&mut doc);
    let router = router
        .layer(middleware::from_fn_with_state(
            state.store.clone(),
            require_token,
        ))
        .with_state(state);
    (router, doc)
}

/// The whole `/api/v1` API: authenticated routes, the open OpenAPI document and JSON
/// answers for unknown paths under `/api/v1`.
pub fn router(state: ApiState) -> Router {
    router_documenting(state, [])
}

/// Like [`router`], but the served document also describes `others`: the documents of the
/// routes other crates serve next to this API (the service passes the sync engine's), so
/// `/api/v1/openapi.json` is one document of everything the service answers.
pub fn router_documenting(state: ApiState, others: impl IntoIterator<Item = OpenApi>) -> Router {
    let (api, mut doc) = api_routes(state);
    for other in others {
        doc.merge(other);
    }
    elder_sync_http::finish(&mut doc);
    let doc = std::sync::Arc::new(doc);
    api.route(
        "/api/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { axum::Json((*doc).clone()) }
        }),
    )
    .route("/api/v1/{*rest}", axum::routing::any(unknown_route))
    .method_not_allowed_fallback(method_not_allowed)
}

/// The answer to a path no route serves: `404 route_not_found` (the service's fallback).
pub async fn unknown_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "no such API route",
    )
}

/// The answer to a method a route does not take: `405 method_not_allowed`.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}

/// The OpenAPI document alone (for tooling and tests).
pub fn openapi() -> OpenApi {
    let mut doc = routes::all().split_for_parts().1;
    elder_sync_http::finish(&mut doc);
    doc
}
