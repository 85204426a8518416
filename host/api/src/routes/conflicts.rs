//! `/api/v1/sync/conflicts`: list (optionally by resolved state) and resolve.

use axum::extract::State;
use axum::{Extension, Json};
use elder_sync_store::{Conflict, Paged, ResolutionStrategy};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::query::{ConflictQuery, page};

pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
    r.routes(routes!(list_conflicts))
        .routes(routes!(resolve_conflict))
}

/// The body of a resolution.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    pub resolution_strategy: ResolutionStrategy,
    /// Data for the resolution (e.g. merged fields); must be an object when given.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
}

/// Conflicts, newest first.
#[utoipa::path(get, path = "/api/v1/sync/conflicts", tag = "sync", params(ConflictQuery),
    responses((status = 200, body = Paged<Conflict>), (status = 400, body = ErrorBody)))]
async fn list_conflicts(
    State(s): State<ApiState>,
    ApiQuery(q): ApiQuery<ConflictQuery>,
) -> ApiResult<Json<Paged<Conflict>>> {
    Ok(Json(
        s.store
            .list_conflicts(q.resolved, page(q.page, q.per_page)?)
            .await?,
    ))
}

/// Store a conflict's resolution (the sync engine applies it).
#[utoipa::path(post, path = "/api/v1/sync/conflicts/{id}/resolve", tag = "sync",
    params(("id" = i64, Path)), request_body = Resolution,
    responses((status = 200, body = Conflict), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn resolve_conflict(
    State(s): State<ApiState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath,
    ApiJson(body): ApiJson<Resolution>,
) -> ApiResult<Json<Conflict>> {
    if body
        .data
        .as_ref()
        .is_some_and(|d| !d.is_object() && !d.is_null())
    {
        return Err(ApiError::validation("data", "must be a JSON object"));
    }
    let data = body.data.filter(|d| !d.is_null());
    let out = s
        .store
        .resolve_conflict(id, body.resolution_strategy, data, &caller.label())
        .await?;
    Ok(Json(out))
}
