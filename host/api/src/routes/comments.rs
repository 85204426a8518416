//! `/api/v1/issues/{id}/comments`: comments on Elder's issues (list, add, edit, delete).
//! Every write enqueues the issue's outbox work, so the sync engine carries it to every
//! config holding the issue. Reads take any token, writes an admin one.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use elder_sync_store::{Comment, CommentPatch, NewComment, Paged};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::query::Pagination;
use elder_sync_http::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody, IdParam};

pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
    r.routes(routes!(list_comments, create_comment))
        .routes(routes!(patch_comment, delete_comment))
}

/// An issue id and a comment id from the path (`{id}`, `{cid}`), each a positive 64-bit
/// integer (anything else is `400 invalid_path` naming it).
struct CommentPath {
    issue: i64,
    comment: i64,
}

/// How [`CommentPath`] is documented.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct CommentParams {
    /// The issue's id.
    #[param(minimum = 1)]
    id: i64,
    /// The comment's id.
    #[param(minimum = 1)]
    cid: i64,
}

fn positive(raw: &str, field: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            format!("the {field} must be a positive integer"),
        )
        .with_field(field)
    })
}

impl<S: Send + Sync> FromRequestParts<S> for CommentPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((issue, comment)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("missing ids in the path").with_field("id"))?;
        Ok(CommentPath {
            issue: positive(&issue, "id")?,
            comment: positive(&comment, "cid")?,
        })
    }
}

/// The issue's comments, oldest first, with pagination. 404 for an unknown issue.
#[utoipa::path(get, path = "/api/v1/issues/{id}/comments", tag = "comments",
    params(IdParam, Pagination),
    responses((status = 200, body = Paged<Comment>), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_comments(
    State(s): State<ApiState>,
    ApiPath(id): ApiPath,
    ApiQuery(q): ApiQuery<Pagination>,
) -> ApiResult<Json<Paged<Comment>>> {
    Ok(Json(s.store.list_comments(id, q.request()?).await?))
}

/// Add a comment: `body` (Markdown) and `author` (an identity's handle or a name). 404 for
/// an unknown issue; 422 names an empty `body` or `author`.
#[utoipa::path(post, path = "/api/v1/issues/{id}/comments", tag = "comments",
    params(IdParam), request_body = NewComment,
    responses((status = 201, body = Comment), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_comment(
    State(s): State<ApiState>,
    ApiPath(id): ApiPath,
    ApiJson(new): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<Comment>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_comment(id, &new).await?),
    ))
}

/// Replace a comment's `body` (optionally only at `expected_version`: 409 otherwise). 404
/// for an unknown issue or comment; 422 names an empty `body`.
#[utoipa::path(patch, path = "/api/v1/issues/{id}/comments/{cid}", tag = "comments",
    params(CommentParams), request_body = CommentPatch,
    responses((status = 200, body = Comment), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn patch_comment(
    State(s): State<ApiState>,
    path: CommentPath,
    ApiJson(p): ApiJson<CommentPatch>,
) -> ApiResult<Json<Comment>> {
    Ok(Json(
        s.store.update_comment(path.issue, path.comment, &p).await?,
    ))
}

/// Delete a comment (the platforms holding a copy delete theirs). 404 for an unknown issue
/// or comment.
#[utoipa::path(delete, path = "/api/v1/issues/{id}/comments/{cid}", tag = "comments",
    params(CommentParams),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_comment(State(s): State<ApiState>, path: CommentPath) -> ApiResult<StatusCode> {
    s.store.delete_comment(path.issue, path.comment).await?;
    Ok(StatusCode::NO_CONTENT)
}
