//! The OpenAPI document's frame: title and bearer security (the sync engine and the plugin
//! host document their own routes; the service merges them in); the shared error answers come from `elder_sync_http::finish`.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Elder Sync API", version = "1.0.0",
         description = "Sync configs, history, conflicts, mappings, Elder resources and connector plugins. \
                        Every error answer is `{\"error\": {\"code\", \"message\", \"field\"}}`; the codes are listed in `ErrorDetail`."),
    security(("bearer" = []))
)]
pub struct ApiDoc;
