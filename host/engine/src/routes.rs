//! The engine's HTTP routes: webhook deliveries (`POST`/`HEAD /api/v1/webhooks/{config_id}`,
//! open: authenticated by signature) and the operator actions `POST
//! /api/v1/sync/configs/{id}/run` (`?dry_run=true`: a dry run), `/test`, `POST
//! /api/v1/sync/conflicts/{id}/resolve`, and linking by hand (`POST /api/v1/sync/mappings`,
//! `DELETE /api/v1/sync/mappings/{id}`), mounted behind the API's token auth, which lets
//! only admin tokens write.
//! Errors are the API's [`ApiError`]s (`{"error": {"code", "message", "field"}}`), ids and
//! bodies are read with its extractors.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::{Extension, Json, Router};
use elder_sync_http::{
    ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody, IdParam, NoQuery,
};
use elder_sync_model::Kind;
use elder_sync_store::{Conflict, Mapping, ResolutionStrategy, StoreError, SyncMethod};
use elder_sync_telemetry::redact::redact_text;
use utoipa::{OpenApi, ToSchema};

use crate::dry_run::{Actions, DryRun, PlanFailure, PlannedItem, SidePlan, dry_run};
use crate::engine::{SyncEngine, connector_settings};
use crate::error::EngineError;
use crate::ingest::{IngestError, Ingested, ingest};
use crate::linking::{LinkError, NewLink, link};
use crate::poll::poll_config;
use crate::run::{ItemFailure, RunReport, TallySummary};
use crate::settle::{Settlement, settle_conflict};

/// The body of a resolution (`POST /api/v1/sync/conflicts/{id}/resolve`).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[schema(as = Resolution)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// `elder_wins`: Elder's current state goes to the platform; `external_wins`: the
    /// platform's goes to Elder; `merge`: a per-field merge of both, then `data`;
    /// `manual`: the fields in `data` over Elder's state (without `data`: both sides must
    /// already agree).
    pub resolution_strategy: ResolutionStrategy,
    /// Field values for the resolution: any of `title`, `body`, `state` (`open`/`closed`),
    /// `labels`, `assignees`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// The OpenAPI entries of these routes, from the handlers' own annotations; the service
/// merges them into the one document at `/api/v1/openapi.json`.
#[derive(OpenApi)]
#[openapi(
    paths(resolve_now, run_now, test_now, receive, handshake, create_link, unlink),
    components(schemas(ResolveBody, LinkBody, DryRun, SidePlan, Actions, PlannedItem, PlanFailure,
        RunResponse, RunAnswer, TallySummary, ItemFailure, TestAnswer, WebhookAnswer, WebhookOutcome)),
    security(("bearer" = []))
)]
pub struct EngineDoc;

/// Method and path of every route this module serves.
pub const ROUTES: [(&str, &str); 7] = [
    ("post", "/api/v1/webhooks/{config_id}"),
    ("head", "/api/v1/webhooks/{config_id}"),
    ("post", "/api/v1/sync/configs/{id}/run"),
    ("post", "/api/v1/sync/configs/{id}/test"),
    ("post", "/api/v1/sync/conflicts/{id}/resolve"),
    ("post", "/api/v1/sync/mappings"),
    ("delete", "/api/v1/sync/mappings/{id}"),
];

/// The OpenAPI document of the engine's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    EngineDoc::openapi()
}

/// `POST`/`HEAD /api/v1/webhooks/{config_id}` (HEAD answers 200: Trello's handshake).
pub fn webhook_routes(engine: SyncEngine) -> Router {
    Router::new()
        .route(
            "/api/v1/webhooks/{config_id}",
            post(receive).head(handshake),
        )
        .with_state(engine)
}

/// `POST /api/v1/sync/configs/{id}/run`, `/test`, `/api/v1/sync/conflicts/{id}/resolve`,
/// `POST /api/v1/sync/mappings` and `DELETE /api/v1/sync/mappings/{id}`.
pub fn action_routes(engine: SyncEngine) -> Router {
    Router::new()
        .route("/api/v1/sync/configs/{id}/run", post(run_now))
        .route("/api/v1/sync/configs/{id}/test", post(test_now))
        .route("/api/v1/sync/conflicts/{id}/resolve", post(resolve_now))
        .route("/api/v1/sync/mappings", post(create_link))
        .route("/api/v1/sync/mappings/{id}", delete(unlink))
        .with_state(engine)
}

/// `400 invalid_path` for a webhook's `config_id` that is not an integer. Any integer goes
/// on to verification, so an unknown (or non-positive) id answers the same 401 as every
/// other unverified delivery.
fn config_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            format!("config_id must be an integer, got {raw:?}"),
        )
        .with_field("config_id")
    })
}

/// Webhook handshake (Trello checks the callback URL with HEAD).
#[utoipa::path(head, path = "/api/v1/webhooks/{config_id}", tag = "webhooks",
    params(("config_id" = i64, Path, description = "The config the platform delivers for.")),
    security(()),
    responses((status = 200), (status = 400, body = ErrorBody)))]
async fn handshake(Path(raw): Path<String>) -> Result<StatusCode, ApiError> {
    config_id(&raw).map(|_| StatusCode::OK)
}

/// Receive a platform's webhook delivery (no token: authenticated by the signature the
/// connector declares, with the config's webhook secret). 202 `accepted` (stored for
/// processing; for a disabled config or connector, held until it is enabled again), 202
/// `requeued` (a redelivery of a delivery parked as a dead letter: queued again), 200
/// `duplicate` (already queued or processed). Anything that cannot be verified (unsigned,
/// bad signature, unknown config, webhooks off, unusable secret) is the same 401
/// `unauthorized` "webhook signature could not be verified", and is stored nowhere.
/// Secret-bearing headers are dropped after verification.
#[utoipa::path(post, path = "/api/v1/webhooks/{config_id}", tag = "webhooks",
    params(("config_id" = i64, Path, description = "The config the platform delivers for.")),
    request_body(content = String, content_type = "application/octet-stream"),
    security(()),
    responses((status = 202, body = WebhookAnswer, description = "`accepted` or `requeued`"),
              (status = 200, body = WebhookAnswer, description = "`duplicate`"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn receive(
    State(engine): State<SyncEngine>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let id = match config_id(&raw) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
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
        Ok(Ingested::Accepted { delivery_id }) => {
            WebhookAnswer::respond(WebhookOutcome::Accepted, delivery_id)
        }
        Ok(Ingested::Requeued { delivery_id }) => {
            WebhookAnswer::respond(WebhookOutcome::Requeued, delivery_id)
        }
        Ok(Ingested::Duplicate { delivery_id }) => {
            WebhookAnswer::respond(WebhookOutcome::Duplicate, delivery_id)
        }
        Err(e) => {
            // Bearer tokens play no part in a delivery: no `WWW-Authenticate: Bearer` hint.
            let mut answer = ingest_error(e).into_response();
            answer.headers_mut().remove(header::WWW_AUTHENTICATE);
            answer
        }
    }
}

/// The one answer to every delivery that is not authenticated, whatever the reason
/// (unknown config, webhooks off, no usable secret, unsigned, bad signature), so
/// a caller without the secret learns nothing about which configs exist.
pub const UNAUTHENTICATED_MESSAGE: &str = "webhook signature could not be verified";

fn ingest_error(e: IngestError) -> ApiError {
    match e {
        IngestError::Unauthenticated(_) => ApiError::unauthorized(UNAUTHENTICATED_MESSAGE),
        IngestError::Engine(e) => engine_error(e),
    }
}

/// The API's answer to an engine failure; messages are redacted like the logs.
pub fn engine_error(e: EngineError) -> ApiError {
    let msg = redact_text(&e.to_string());
    match e {
        EngineError::Store(StoreError::NotFound(_)) => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", msg)
        }
        EngineError::Store(StoreError::Invalid { field, message }) => {
            ApiError::validation(field, message)
        }
        EngineError::Store(
            StoreError::UnresolvedSecret { key, .. } | StoreError::ForbiddenSecretRef { key, .. },
        ) => ApiError::new(StatusCode::CONFLICT, "unresolved_secret", msg).with_field(key),
        EngineError::Store(StoreError::Conflict(m)) => {
            ApiError::new(StatusCode::CONFLICT, "conflict", m)
        }
        EngineError::Registry(_) => {
            ApiError::new(StatusCode::CONFLICT, "connector_unavailable", msg)
        }
        other => {
            tracing::error!(error = %other, "engine request failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the sync engine could not complete the request; see the logs",
            )
        }
    }
}

/// The query of `run`: only `dry_run` (any other parameter is a `400 invalid_query`).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RunQuery {
    /// `true`: answer what the run would do, writing nothing anywhere.
    #[serde(default)]
    dry_run: bool,
}

/// What a webhook delivery became.
#[derive(Debug, Clone, Copy, serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookOutcome {
    /// Stored for processing (202).
    Accepted,
    /// A redelivery of a delivery parked as a dead letter, queued again (202).
    Requeued,
    /// Already queued or processed (200).
    Duplicate,
}

/// The answer to a platform's webhook delivery.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct WebhookAnswer {
    /// What the delivery became.
    pub status: WebhookOutcome,
    /// The delivery id it is stored under.
    pub delivery_id: String,
}

impl WebhookAnswer {
    fn respond(status: WebhookOutcome, delivery_id: String) -> Response {
        let code = match status {
            WebhookOutcome::Duplicate => StatusCode::OK,
            WebhookOutcome::Accepted | WebhookOutcome::Requeued => StatusCode::ACCEPTED,
        };
        (
            code,
            Json(WebhookAnswer {
                status,
                delivery_id,
            }),
        )
            .into_response()
    }
}

/// What a manual run did.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct RunAnswer {
    /// Row id of the run's `sync_history` row.
    pub history_id: i64,
    /// The id every log line of the run carries.
    #[schema(value_type = String, format = Uuid)]
    pub correlation_id: uuid::Uuid,
    /// Whether the run finished without failing.
    pub success: bool,
    /// Why it failed (secrets redacted).
    pub error: Option<String>,
    /// What it did to items.
    pub items: TallySummary,
}

/// The answer of `run`: what a run did, or with `dry_run=true` what it would do.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum RunResponse {
    /// A real run.
    Run(RunAnswer),
    /// A dry run.
    Dry(Box<DryRun>),
}

/// The answer of `test`: whether the platform was reached with the config's credentials.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct TestAnswer {
    /// True when the platform answered the connector's check.
    pub ok: bool,
    /// What was reached (e.g. the account or project), when `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached: Option<String>,
    /// Why not, when not `ok` (redacted like the logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Run a manual sync of one config now (`sync_type` manual); answers the run's
/// `history_id`, `correlation_id`, `success`, `error` and item counts. With
/// `dry_run=true` nothing runs: the answer is what the run would create, update, close and
/// flag as conflict in Elder and on the platform (a [`DryRun`]), computed by the run's own
/// decisions from reads only: no Elder or platform write, no cursor moved, no mapping,
/// history or outbox row.
#[utoipa::path(post, path = "/api/v1/sync/configs/{id}/run", tag = "sync", params(IdParam, RunQuery),
    responses((status = 200, body = RunResponse,
               description = "the run's result; with `dry_run=true`, a `DryRun`"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn run_now(
    State(engine): State<SyncEngine>,
    ApiPath(id): ApiPath,
    ApiQuery(query): ApiQuery<RunQuery>,
) -> ApiResult<Json<RunResponse>> {
    if query.dry_run {
        let plan = dry_run(&engine, id).await.map_err(engine_error)?;
        return Ok(Json(RunResponse::Dry(Box::new(plan))));
    }
    let report = run_manually(&engine, id).await.map_err(engine_error)?;
    Ok(Json(RunResponse::Run(RunAnswer {
        history_id: report.history_id,
        correlation_id: report.correlation_id,
        success: report.error.is_none(),
        items: TallySummary::of(&report.tally),
        error: report.error,
    })))
}

/// The body of `POST /api/v1/sync/mappings`: which Elder resource is which platform item.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// The sync config the pair belongs to.
    pub config_id: i64,
    /// The Elder resource's kind: `issue` (the default), `project`, `milestone` or `label`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub elder_type: Option<String>,
    /// The Elder resource's id.
    pub elder_id: i64,
    /// The platform's id of the item (e.g. a GitHub issue number).
    pub external_id: String,
}

/// Link an existing Elder resource to an existing platform item under a config. The next
/// run reconciles the pair from a fresh base: fields both sides agree on are kept (nothing
/// written), fields they disagree on are conflicts settled by the config's
/// `conflict_strategy`. 404: no such config or Elder resource, or the platform has no such
/// item (`field: external_id`); 422: the resource is outside the config's project
/// (`elder_id`), or its kind is one the config's connector does not sync (`elder_type`);
/// 409: either side is already mapped under the config.
#[utoipa::path(post, path = "/api/v1/sync/mappings", tag = "sync", request_body = LinkBody,
    responses((status = 201, body = Mapping), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn create_link(
    State(engine): State<SyncEngine>,
    _: ApiQuery<NoQuery>,
    ApiJson(body): ApiJson<LinkBody>,
) -> ApiResult<(StatusCode, Json<Mapping>)> {
    let kind = match body.elder_type.as_deref() {
        None => Kind::Issue,
        Some(k) => Kind::parse(k).ok_or_else(|| {
            ApiError::validation(
                "elder_type",
                format!("unknown kind {k:?}; one of: issue, project, milestone, label"),
            )
        })?,
    };
    let new = NewLink {
        config_id: body.config_id,
        kind,
        elder_id: body.elder_id,
        external_id: body.external_id,
    };
    match link(&engine, &new).await {
        Ok(m) => Ok((StatusCode::CREATED, Json(m))),
        Err(LinkError::OutsideProject(msg)) => Err(ApiError::validation("elder_id", msg)),
        Err(LinkError::KindNotSynced(msg)) => Err(ApiError::validation("elder_type", msg)),
        Err(LinkError::NoSuchExternal(msg)) => {
            Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", msg).with_field("external_id"))
        }
        Err(LinkError::Engine(e)) => Err(engine_error(e)),
    }
}

/// Unlink a pair: the mapping (and its open conflicts) is removed; both items stay as they
/// are. The platform item's next change is imported as a new Elder item unless the pair is
/// linked again first.
#[utoipa::path(delete, path = "/api/v1/sync/mappings/{id}", tag = "sync", params(IdParam),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unlink(
    State(engine): State<SyncEngine>,
    ApiPath(id): ApiPath,
    _: ApiQuery<NoQuery>,
) -> ApiResult<StatusCode> {
    let result = async {
        let m = engine.store.get_mapping(id).await?;
        let _guard = engine.lock_config(m.sync_config_id).await;
        engine.store.delete_mapping(id).await
    }
    .await;
    result
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(|e| engine_error(e.into()))
}

/// A manual sync of config `id` now, recorded in history as `manual` (the API's run and the
/// console's).
pub async fn run_manually(engine: &SyncEngine, id: i64) -> Result<RunReport, EngineError> {
    poll_config(engine, id, "manual", SyncMethod::Manual).await
}

/// Test the connection of one config through its connector; answers `ok` and `reached`
/// or `error`.
#[utoipa::path(post, path = "/api/v1/sync/configs/{id}/test", tag = "sync", params(IdParam),
    responses((status = 200, body = TestAnswer), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn test_now(
    State(engine): State<SyncEngine>,
    ApiPath(id): ApiPath,
    _: ApiQuery<NoQuery>,
) -> ApiResult<Json<TestAnswer>> {
    let answer = match test_connection(&engine, id).await.map_err(engine_error)? {
        Ok(reached) => TestAnswer {
            ok: true,
            reached: Some(reached),
            error: None,
        },
        Err(error) => TestAnswer {
            ok: false,
            reached: None,
            error: Some(error),
        },
    };
    Ok(Json(answer))
}

/// Tests the connection of config `id` through its connector: `Ok(reached)` or
/// `Err(why)` from the platform, both redacted like the logs (they may quote upstream
/// bodies); the outer error is a config or connector that cannot be used.
pub async fn test_connection(
    engine: &SyncEngine,
    id: i64,
) -> Result<Result<String, String>, EngineError> {
    let rc = engine.store.resolve_config(id).await?;
    let connector = engine.connector_for(&rc)?;
    Ok(connector
        .test_connection(&connector_settings(&rc))
        .await
        .map(|reached| redact_text(&reached))
        .map_err(|e| redact_text(&e.to_string())))
}

/// Apply a conflict's resolution to Elder and to the platform, and mark it resolved.
#[utoipa::path(post, path = "/api/v1/sync/conflicts/{id}/resolve", tag = "sync",
    params(IdParam), request_body = ResolveBody,
    responses((status = 200, body = Conflict), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
async fn resolve_now(
    State(engine): State<SyncEngine>,
    ApiPath(id): ApiPath,
    _: ApiQuery<NoQuery>,
    caller: Option<Extension<Caller>>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> ApiResult<Json<Conflict>> {
    let settlement = Settlement {
        strategy: body.resolution_strategy,
        data: body.data.filter(|d| !d.is_null()),
        resolved_by: caller.map_or_else(|| "engine".to_string(), |Extension(c)| c.label()),
    };
    settle_conflict(&engine, id, &settlement)
        .await
        .map(Json)
        .map_err(engine_error)
}
