//! `/api/v1/identities`: the installation's identity table (an Elder person, their handle
//! in Elder's `assignees`, and their login or account id per platform) that assignees are
//! translated through. Reads take any token, writes an admin one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use elder_sync_store::{Identity, IdentityPatch, NewIdentity, Paged};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::query::Pagination;
use elder_sync_http::{ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody, IdParam};

pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
    r.routes(routes!(list_identities, create_identity))
        .routes(routes!(get_identity, patch_identity, delete_identity))
}

/// List identities by id, with pagination.
#[utoipa::path(get, path = "/api/v1/identities", tag = "identities", params(Pagination),
    responses((status = 200, body = Paged<Identity>), (status = 400, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn list_identities(
    State(s): State<ApiState>,
    ApiQuery(q): ApiQuery<Pagination>,
) -> ApiResult<Json<Paged<Identity>>> {
    Ok(Json(s.store.list_identities(q.request()?).await?))
}

/// Create an identity: `handle` (unique), optional `name` and `email`, and `accounts`
/// (`{"<platform>": "<login or account id>"}`). 422 names the field at fault; 409 when the
/// handle, the email or an account already belongs to another identity.
#[utoipa::path(post, path = "/api/v1/identities", tag = "identities", request_body = NewIdentity,
    responses((status = 201, body = Identity), (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_identity(
    State(s): State<ApiState>,
    ApiJson(new): ApiJson<NewIdentity>,
) -> ApiResult<(StatusCode, Json<Identity>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_identity(&new).await?),
    ))
}

/// One identity.
#[utoipa::path(get, path = "/api/v1/identities/{id}", tag = "identities", params(IdParam),
    responses((status = 200, body = Identity), (status = 404, body = ErrorBody)))]
async fn get_identity(
    State(s): State<ApiState>,
    ApiPath(id): ApiPath,
) -> ApiResult<Json<Identity>> {
    Ok(Json(s.store.get_identity(id).await?))
}

/// Update the given fields; in `accounts`, a platform set to a login adds or replaces that
/// account and one set to `null` removes it.
#[utoipa::path(patch, path = "/api/v1/identities/{id}", tag = "identities", params(IdParam),
    request_body = IdentityPatch,
    responses((status = 200, body = Identity), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn patch_identity(
    State(s): State<ApiState>,
    ApiPath(id): ApiPath,
    ApiJson(p): ApiJson<IdentityPatch>,
) -> ApiResult<Json<Identity>> {
    Ok(Json(s.store.update_identity(id, &p).await?))
}

/// Delete an identity and its accounts (Elder issues keep the handle as a plain name).
#[utoipa::path(delete, path = "/api/v1/identities/{id}", tag = "identities", params(IdParam),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_identity(State(s): State<ApiState>, ApiPath(id): ApiPath) -> ApiResult<StatusCode> {
    s.store.delete_identity(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
