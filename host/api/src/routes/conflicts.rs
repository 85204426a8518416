//! `/api/v1/sync/conflicts`: list (optionally by resolved state). Resolving is the sync
//! engine's route (it applies the resolution to both sides).

use axum::Json;
use axum::extract::State;
use elder_sync_store::{Conflict, Paged};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::query::{ConflictQuery, page};
use elder_sync_http::ApiQuery;
use elder_sync_http::{ApiResult, ErrorBody};

pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
    // Resolving (`POST .../conflicts/{id}/resolve`) is served by the sync engine, which
    // applies the resolution to both sides and documents the route itself.
    r.routes(routes!(list_conflicts))
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
