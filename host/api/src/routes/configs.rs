//! `/api/v1/sync/configs`: list, create, get, patch, delete. Secrets are never returned.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use elder_sync_store::{NewSyncConfig, SyncConfig, SyncConfigPatch};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
    r.routes(routes!(list_configs, create_config))
        .routes(routes!(get_config, patch_config, delete_config))
}

/// List sync configs.
#[utoipa::path(get, path = "/api/v1/sync/configs", tag = "sync",
    responses((status = 200, body = Vec<SyncConfig>), (status = 401, body = ErrorBody)))]
async fn list_configs(State(s): State<ApiState>) -> ApiResult<Json<Vec<SyncConfig>>> {
    Ok(Json(s.store.list_configs().await?))
}

/// Create a sync config. Secret keys take a value or `{"env": "VARIABLE"}`.
#[utoipa::path(post, path = "/api/v1/sync/configs", tag = "sync", request_body = NewSyncConfig,
    responses((status = 201, body = SyncConfig), (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_config(
    State(s): State<ApiState>,
    ApiJson(new): ApiJson<NewSyncConfig>,
) -> ApiResult<(StatusCode, Json<SyncConfig>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_config(&new).await?),
    ))
}

/// One sync config.
#[utoipa::path(get, path = "/api/v1/sync/configs/{id}", tag = "sync",
    params(("id" = i64, Path)),
    responses((status = 200, body = SyncConfig), (status = 404, body = ErrorBody)))]
async fn get_config(
    State(s): State<ApiState>,
    ApiPath(id): ApiPath,
) -> ApiResult<Json<SyncConfig>> {
    Ok(Json(s.store.get_config(id).await?))
}

/// Update the given fields of a sync config.
#[utoipa::path(patch, path = "/api/v1/sync/configs/{id}", tag = "sync",
    params(("id" = i64, Path)), request_body = SyncConfigPatch,
    responses((status = 200, body = SyncConfig), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn patch_config(
    State(s): State<ApiState>,
    ApiPath(id): ApiPath,
    ApiJson(patch): ApiJson<SyncConfigPatch>,
) -> ApiResult<Json<SyncConfig>> {
    Ok(Json(s.store.update_config(id, &patch).await?))
}

/// Delete a sync config with its mappings, history and conflicts.
#[utoipa::path(delete, path = "/api/v1/sync/configs/{id}", tag = "sync",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_config(State(s): State<ApiState>, ApiPath(id): ApiPath) -> ApiResult<StatusCode> {
    s.store.delete_config(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
