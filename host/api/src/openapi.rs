//! The OpenAPI document's frame: title, bearer security, the plugin host's entries (the
//! sync engine documents its own routes; the service merges them in); the shared error answers come from `elder_sync_http::finish`.

use utoipa::OpenApi;

use crate::plugin_routes::{
    __path_approve_plugin, __path_disable_plugin, __path_enable_plugin, __path_get_plugin,
    __path_list_plugins, __path_rollback_plugin, __path_upload_plugin,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Elder Sync API", version = "1.0.0",
         description = "Sync configs, history, conflicts, mappings, Elder resources and connector plugins. \
                        Every error answer is `{\"error\": {\"code\", \"message\", \"field\"}}`; the codes are listed in `ErrorDetail`."),
    paths(list_plugins, get_plugin, upload_plugin, enable_plugin, disable_plugin, rollback_plugin,
          approve_plugin),
    security(("bearer" = []))
)]
pub struct ApiDoc;
