//! `/api/v1/sync/dead-letters`: work that exhausted its attempts (webhook deliveries and
//! Elder changes parked as `error`), listed with its last error, retried or dropped. Ids name
//! their table: `inbox-<n>` or `outbox-<n>`. Retrying puts the work back in its queue
//! (`pending`, attempts reset, due now: the engine's workers pick it up within a second).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use elder_sync_store::{DeadLetter, DeadLetterFilter, DeadLetterId, Paged};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::query::{DeadLetterQuery, page};
use elder_sync_http::{ApiError, ApiQuery, ApiResult, ErrorBody, NoQuery};

pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
    r.routes(routes!(list_dead_letters))
        .routes(routes!(retry_dead_letter))
        .routes(routes!(drop_dead_letter))
}

/// `{id}` of a dead letter (documents the path parameter; handlers read it as text).
#[allow(dead_code)]
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeadLetterIdParam {
    /// `inbox-<n>` (a webhook delivery) or `outbox-<n>` (an Elder change).
    #[param(pattern = "^(inbox|outbox)-[1-9][0-9]*$")]
    pub id: String,
}

/// What a retry did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterRetried {
    pub id: String,
    /// Always `pending`: back in its queue, attempts reset.
    pub status: String,
}

/// A dead letter's id from the path; anything else is `400 invalid_path`.
pub fn dead_letter_id(raw: &str) -> ApiResult<DeadLetterId> {
    raw.parse().map_err(|e: elder_sync_store::StoreError| {
        let message = match e {
            elder_sync_store::StoreError::Invalid { message, .. } => message,
            other => other.to_string(),
        };
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", message).with_field("id")
    })
}

/// Work that exhausted its attempts, most recently parked first, with its last error.
#[utoipa::path(get, path = "/api/v1/sync/dead-letters", tag = "sync", params(DeadLetterQuery),
    responses((status = 200, body = Paged<DeadLetter>), (status = 400, body = ErrorBody)))]
async fn list_dead_letters(
    State(s): State<ApiState>,
    ApiQuery(q): ApiQuery<DeadLetterQuery>,
) -> ApiResult<Json<Paged<DeadLetter>>> {
    let filter = DeadLetterFilter {
        config_id: q.config_id,
        source: q.source,
    };
    Ok(Json(
        s.store
            .list_dead_letters(filter, page(q.page, q.per_page)?)
            .await?,
    ))
}

/// Retry a dead letter (admin token): back in its queue as `pending`, attempts reset.
#[utoipa::path(post, path = "/api/v1/sync/dead-letters/{id}/retry", tag = "sync",
    params(DeadLetterIdParam),
    responses((status = 200, body = DeadLetterRetried), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn retry_dead_letter(
    State(s): State<ApiState>,
    Path(raw): Path<String>,
    _: ApiQuery<NoQuery>,
) -> ApiResult<Json<DeadLetterRetried>> {
    let id = dead_letter_id(&raw)?;
    s.store.retry_dead_letter(id).await?;
    Ok(Json(DeadLetterRetried {
        id: id.to_string(),
        status: "pending".into(),
    }))
}

/// Drop a dead letter for good (admin token).
#[utoipa::path(delete, path = "/api/v1/sync/dead-letters/{id}", tag = "sync",
    params(DeadLetterIdParam),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn drop_dead_letter(
    State(s): State<ApiState>,
    Path(raw): Path<String>,
    _: ApiQuery<NoQuery>,
) -> ApiResult<StatusCode> {
    s.store.drop_dead_letter(dead_letter_id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
