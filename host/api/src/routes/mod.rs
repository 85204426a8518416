//! Every `/api/v1` route, grouped by concern; each handler carries its OpenAPI annotation
//! and the router and the document are built from the same list.

mod comments;
pub(crate) mod configs;
mod conflicts;
pub(crate) mod dead_letters;
mod identities;
mod mappings;
mod resources;
mod sync;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::ApiState;
use crate::openapi::ApiDoc;

/// All documented routes.
pub fn all() -> OpenApiRouter<ApiState> {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let router = configs::routes(router);
    let router = sync::routes(router);
    let router = conflicts::routes(router);
    let router = dead_letters::routes(router);
    let router = mappings::routes(router);
    let router = identities::routes(router);
    let router = comments::routes(router);
    resources::routes(router)
}
