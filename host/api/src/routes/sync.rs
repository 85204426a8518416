//! `/api/v1/sync/history` (paginated, newest first) and `/api/v1/sync/status`.

use axum::Json;
use axum::extract::State;
use elder_sync_store::{HistoryEntry, HistoryFilter, Paged, SyncOverview};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::query::{HistoryQuery, page};
use elder_sync_http::ApiQuery;
use elder_sync_http::{ApiResult, ErrorBody};

pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
    r.routes(routes!(list_history)).routes(routes!(status))
}

/// Sync runs, newest first.
#[utoipa::path(get, path = "/api/v1/sync/history", tag = "sync", params(HistoryQuery),
    responses((status = 200, body = Paged<HistoryEntry>), (status = 400, body = ErrorBody)))]
async fn list_history(
    State(s): State<ApiState>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<Paged<HistoryEntry>>> {
    let filter = HistoryFilter {
        config_id: q.config_id,
        sync_type: q.sync_type.clone(),
        success: q.success,
    };
    Ok(Json(
        s.store
            .list_history(&filter, page(q.page, q.per_page)?)
            .await?,
    ))
}

/// Totals, last-24-hour activity, unresolved conflicts and per-config last syncs.
#[utoipa::path(get, path = "/api/v1/sync/status", tag = "sync",
    responses((status = 200, body = SyncOverview), (status = 401, body = ErrorBody)))]
async fn status(State(s): State<ApiState>) -> ApiResult<Json<SyncOverview>> {
    Ok(Json(s.store.sync_overview().await?))
}
