//! `/api/v1/sync/mappings`: which Elder resource maps to which external item.

use axum::Json;
use axum::extract::State;
use elder_sync_store::{Mapping, MappingFilter, Paged};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::query::{MappingQuery, page};
use elder_sync_http::ApiQuery;
use elder_sync_http::{ApiResult, ErrorBody};

pub fn routes(r: OpenApiRouter<ApiState>) -> OpenApiRouter<ApiState> {
    r.routes(routes!(list_mappings))
}

/// Mappings, by id.
#[utoipa::path(get, path = "/api/v1/sync/mappings", tag = "sync", params(MappingQuery),
    responses((status = 200, body = Paged<Mapping>), (status = 400, body = ErrorBody)))]
async fn list_mappings(
    State(s): State<ApiState>,
    ApiQuery(q): ApiQuery<MappingQuery>,
) -> ApiResult<Json<Paged<Mapping>>> {
    let filter = MappingFilter {
        config_id: q.config_id,
        elder_type: q.elder_type,
    };
    Ok(Json(
        s.store
            .list_mappings(&filter, page(q.page, q.per_page)?)
            .await?,
    ))
}
