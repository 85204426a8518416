//! OpenAPI entries for the routes the sync engine serves next to this API (host/sync
//! `routes.rs`, merged by the service): webhook deliveries, manual run, connection test
//! and applying a conflict resolution. They are documented here so the one document at
//! `/api/v1/openapi.json` describes everything the service answers; the handlers live in
//! the engine, which applies resolutions to both sides.

#![allow(dead_code)] // the functions only carry the OpenAPI annotations

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use elder_sync_http::ErrorBody;
use elder_sync_http::IdParam;
use elder_sync_store::{Conflict, ResolutionStrategy};

/// Method and path of every engine route documented here.
pub const ENGINE_ROUTES: [(&str, &str); 5] = [
    ("post", "/api/v1/webhooks/{config_id}"),
    ("head", "/api/v1/webhooks/{config_id}"),
    ("post", "/api/v1/sync/configs/{id}/run"),
    ("post", "/api/v1/sync/configs/{id}/test"),
    ("post", "/api/v1/sync/conflicts/{id}/resolve"),
];

/// The body of a resolution.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// `elder_wins`: Elder's current state goes to the platform; `external_wins`: the
    /// platform's goes to Elder; `merge`: a per-field merge of both, then `data`;
    /// `manual`: the fields in `data` over Elder's state (without `data`: both sides must
    /// already agree).
    pub resolution_strategy: ResolutionStrategy,
    /// Field values for the resolution: any of `title`, `body`, `state` (`open`/`closed`),
    /// `labels`, `assignees`.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
}

/// Apply a conflict's resolution to Elder and to the platform, and mark it resolved.
#[utoipa::path(post, path = "/api/v1/sync/conflicts/{id}/resolve", tag = "sync",
    params(IdParam), request_body = Resolution,
    responses((status = 200, body = Conflict), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
fn resolve_conflict() {}

/// Run a manual sync of one config now (`sync_type` manual); answers the run's
/// `history_id`, `correlation_id`, `success`, `error` and item counts.
#[utoipa::path(post, path = "/api/v1/sync/configs/{id}/run", tag = "sync",
    params(IdParam),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
fn run_config() {}

/// Test the connection of one config through its connector; answers `ok` and `reached`
/// or `error`.
#[utoipa::path(post, path = "/api/v1/sync/configs/{id}/test", tag = "sync",
    params(IdParam),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
fn test_config() {}

/// Receive a platform's webhook delivery (no token: authenticated by the signature the
/// connector declares, with the config's webhook secret). 202 accepted, 200 duplicate,
/// 409 `connector_unavailable` (verified, but the connector is disabled). Anything that
/// cannot be verified (unsigned, bad signature, unknown config, disabled config or
/// webhooks, unusable secret) is the same 401 `unauthorized` "webhook signature could not
/// be verified", and is stored nowhere. Secret-bearing headers are dropped after
/// verification.
#[utoipa::path(post, path = "/api/v1/webhooks/{config_id}", tag = "webhooks",
    params(("config_id" = i64, Path)), request_body(content = String, content_type = "application/octet-stream"),
    security(()),
    responses((status = 202, body = Object), (status = 200, body = Object),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
fn receive_webhook() {}

/// Webhook handshake (Trello checks the callback URL with HEAD).
#[utoipa::path(head, path = "/api/v1/webhooks/{config_id}", tag = "webhooks",
    params(("config_id" = i64, Path)), security(()),
    responses((status = 200), (status = 400, body = ErrorBody)))]
fn webhook_handshake() {}
