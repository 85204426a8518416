//! CRUD for Elder's own resources: `/api/v1/issues`, `/projects`, `/milestones`, `/labels`.
//! One generic implementation; a macro stamps out the documented handlers per kind.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use elder_sync_model::Kind;
use elder_sync_store::{NewResource, Paged, Resource, ResourcePatch};
use utoipa_axum::router::OpenApiRouter;

use crate::ApiState;
use crate::query::{ResourceQuery, page};
use elder_sync_http::{ApiError, ApiResult};
use elder_sync_http::{ApiJson, ApiPath, ApiQuery, IdParam};

pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
    let r = issues::routes(r);
    let r = projects::routes(r);
    let r = milestones::routes(r);
    labels::routes(r)
}

async fn list(s: &ApiState, kind: Kind, q: &ResourceQuery) -> ApiResult<Json<Paged<Resource>>> {
    let req = page(q.page, q.per_page)?;
    Ok(Json(s.store.list_resources(kind, &q.filter(), req).await?))
}

/// A start date after the due date is refused here, where a person asked for it; the store
/// takes what a platform holds as it is (the sync must not fail on the platform's data).
fn check_dates(extras: Option<&serde_json::Value>) -> ApiResult<()> {
    match extras.and_then(serde_json::Value::as_object) {
        Some(obj) => elder_sync_model::check_date_order(obj)
            .map_err(|e| ApiError::validation(e.field, e.message)),
        None => Ok(()),
    }
}

async fn create(
    s: &ApiState,
    kind: Kind,
    new: &NewResource,
) -> ApiResult<(StatusCode, Json<Resource>)> {
    check_dates(new.extras.as_ref())?;
    Ok((
        StatusCode::CREATED,
        Json(s.store.create_resource(kind, new).await?),
    ))
}

async fn get_one(s: &ApiState, kind: Kind, id: i64) -> ApiResult<Json<Resource>> {
    Ok(Json(s.store.get_resource(kind, id).await?))
}

async fn patch(s: &ApiState, kind: Kind, id: i64, p: &ResourcePatch) -> ApiResult<Json<Resource>> {
    check_dates(p.extras.as_ref())?;
    Ok(Json(s.store.update_resource(kind, id, p).await?))
}

async fn delete(s: &ApiState, kind: Kind, id: i64) -> ApiResult<StatusCode> {
    s.store.delete_resource(kind, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

macro_rules! resource_routes {
    ($module:ident, $kind:expr, $tag:literal, $one_name:literal, $list:literal, $one:literal) => {
        mod $module {
            use super::*;
            use elder_sync_http::ErrorBody;
            use utoipa_axum::routes;

            pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
                r.routes(routes!(list_all, create_one))
                    .routes(routes!(get_by_id, patch_by_id, delete_by_id))
            }

            /// List live resources with filters and pagination.
            #[utoipa::path(get, path = $list, tag = $tag, operation_id = concat!("list_", $tag), params(ResourceQuery),
                responses((status = 200, body = Paged<Resource>), (status = 400, body = ErrorBody)))]
            async fn list_all(
                State(s): State<ApiState>,
                ApiQuery(q): ApiQuery<ResourceQuery>,
            ) -> ApiResult<Json<Paged<Resource>>> {
                list(&s, $kind, &q).await
            }

            /// Create a resource.
            #[utoipa::path(post, path = $list, tag = $tag, operation_id = concat!("create_", $one_name), request_body = NewResource,
                responses((status = 201, body = Resource), (status = 422, body = ErrorBody)))]
            async fn create_one(
                State(s): State<ApiState>,
                ApiJson(new): ApiJson<NewResource>,
            ) -> ApiResult<(StatusCode, Json<Resource>)> {
                create(&s, $kind, &new).await
            }

            /// One resource.
            #[utoipa::path(get, path = $one, tag = $tag, operation_id = concat!("get_", $one_name), params(IdParam),
                responses((status = 200, body = Resource), (status = 404, body = ErrorBody)))]
            async fn get_by_id(
                State(s): State<ApiState>,
                ApiPath(id): ApiPath,
            ) -> ApiResult<Json<Resource>> {
                get_one(&s, $kind, id).await
            }

            /// Update the given fields (optionally only at `expected_version`).
            #[utoipa::path(patch, path = $one, tag = $tag, operation_id = concat!("patch_", $one_name), params(IdParam),
                request_body = ResourcePatch,
                responses((status = 200, body = Resource), (status = 404, body = ErrorBody),
                          (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
            async fn patch_by_id(
                State(s): State<ApiState>,
                ApiPath(id): ApiPath,
                ApiJson(p): ApiJson<ResourcePatch>,
            ) -> ApiResult<Json<Resource>> {
                patch(&s, $kind, id, &p).await
            }

            /// Soft-delete a resource.
            #[utoipa::path(delete, path = $one, tag = $tag, operation_id = concat!("delete_", $one_name), params(IdParam),
                responses((status = 204), (status = 404, body = ErrorBody)))]
            async fn delete_by_id(
                State(s): State<ApiState>,
                ApiPath(id): ApiPath,
            ) -> ApiResult<StatusCode> {
                delete(&s, $kind, id).await
            }
        }
    };
}

resource_routes!(
    issues,
    Kind::Issue,
    "issues",
    "issue",
    "/api/v1/issues",
    "/api/v1/issues/{id}"
);
resource_routes!(
    projects,
    Kind::Project,
    "projects",
    "project",
    "/api/v1/projects",
    "/api/v1/projects/{id}"
);
resource_routes!(
    milestones,
    Kind::Milestone,
    "milestones",
    "milestone",
    "/api/v1/milestones",
    "/api/v1/milestones/{id}"
);
resource_routes!(
    labels,
    Kind::Label,
    "labels",
    "label",
    "/api/v1/labels",
    "/api/v1/labels/{id}"
);
