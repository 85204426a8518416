//! `/api/v1/sync/configs`: list, create, get, patch, delete. Secrets are never returned,
//! with one exception: a `webhook_secret` the API generated (webhooks on and none given)
//! is returned once, in the answer to the create or patch that generated it, next to the
//! `webhook_url` to give the platform.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use elder_sync_store::{
    ConfigRequirements, NewSyncConfig, SyncConfig, SyncConfigPatch, WebhookSecretForm,
    WrittenConfig,
};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::catalog::requirements_for;
use elder_sync_http::{ApiJson, ApiPath, IdParam};
use elder_sync_http::{ApiResult, ErrorBody};

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

/// The answer to a create or patch: the config, plus `webhook_url` when webhooks are on
/// and, only when the API just generated it, the `webhook_secret` itself (never again).
fn written_json(s: &ApiState, written: WrittenConfig) -> ApiResult<Json<Value>> {
    let mut out = serde_json::to_value(&written.config).map_err(|_| crate::ApiError::internal())?;
    if written.config.webhook_enabled {
        out["webhook_url"] = Value::String(webhook_url(s, written.config.id));
    }
    if let Some(secret) = written.generated_webhook_secret {
        out["webhook_secret"] = Value::String(secret);
    }
    Ok(Json(out))
}

/// Create a sync config. `platform` must be served by an installed, enabled connector
/// (otherwise 422 naming `platform` and listing the installed ones); the keys that
/// connector's config schema marks required must be set (422 naming `config_json.<key>`).
/// Secret keys take a value or `{"env": "VARIABLE"}`. With webhooks
/// on (`webhook_enabled`, the default) and no `webhook_secret`, a strong secret is generated
/// (plain text, or `whsec_<base64>` for a Standard-Webhooks-only connector) and returned
/// once as `"webhook_secret": "<value>"` next to `webhook_url`; GET never shows it. A blank
/// secret, or a `whsec_` secret shorter than 16 bytes, is 422 naming `webhook_secret`.
#[utoipa::path(post, path = "/api/v1/sync/configs", tag = "sync", request_body = NewSyncConfig,
    responses((status = 201, body = SyncConfig,
               description = "the config; plus `webhook_url` when webhooks are on, and `webhook_secret` (a string, this once) when it was generated"),
              (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_config(
    State(s): State<ApiState>,
    ApiJson(new): ApiJson<NewSyncConfig>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let written = create(&s, &new).await?;
    Ok((StatusCode::CREATED, written_json(&s, written)?))
}

/// Creates a config checked against the schema of the connector serving its platform,
/// generating a webhook secret when webhooks are on and none is given (the API's create and
/// the console's).
pub async fn create(s: &ApiState, new: &NewSyncConfig) -> ApiResult<WrittenConfig> {
    let (requirements, form) = requirements_for(s.catalog.as_ref(), &new.platform)?;
    Ok(s.store
        .create_config_generating(new, form, &requirements)
        .await?)
}

/// Patches config `id`, checking the result against its platform's config schema and
/// generating a webhook secret when webhooks end up on without one (the API's patch and the
/// console's).
pub async fn update(s: &ApiState, id: i64, patch: &SyncConfigPatch) -> ApiResult<WrittenConfig> {
    let (requirements, form) = match &patch.platform {
        Some(p) => requirements_for(s.catalog.as_ref(), p)?,
        None => current_requirements(s, id).await?,
    };
    Ok(s.store
        .update_config_generating(id, patch, form, &requirements)
        .await?)
}

/// The URL platforms deliver webhooks for config `id` to (under `ELDER_PUBLIC_URL` when set).
pub fn webhook_url(s: &ApiState, id: i64) -> String {
    let path = format!("/api/v1/webhooks/{id}");
    match &s.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    }
}

/// One sync config.
#[utoipa::path(get, path = "/api/v1/sync/configs/{id}", tag = "sync",
    params(IdParam),
    responses((status = 200, body = SyncConfig), (status = 404, body = ErrorBody)))]
async fn get_config(
    State(s): State<ApiState>,
    ApiPath(id): ApiPath,
) -> ApiResult<Json<SyncConfig>> {
    Ok(Json(s.store.get_config(id).await?))
}

/// Update the given fields of a sync config. The result is checked against the config
/// schema of the connector serving its platform; a patch naming a `platform` no installed,
/// enabled connector serves is 422 like a create. A patch that leaves webhooks on without a
/// `webhook_secret` (e.g. `{"webhook_enabled": true}` on a config that has none) generates
/// one and returns it once, like a create.
#[utoipa::path(patch, path = "/api/v1/sync/configs/{id}", tag = "sync",
    params(IdParam), request_body = SyncConfigPatch,
    responses((status = 200, body = SyncConfig,
               description = "the config; plus `webhook_url` when webhooks are on, and `webhook_secret` (a string, this once) when it was generated"),
              (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn patch_config(
    State(s): State<ApiState>,
    ApiPath(id): ApiPath,
    ApiJson(patch): ApiJson<SyncConfigPatch>,
) -> ApiResult<Json<Value>> {
    let written = update(&s, id, &patch).await?;
    written_json(&s, written)
}

/// What the config's current platform requires. A config whose connector is no longer
/// installed (or is disabled) can still be edited, e.g. disabled, with nothing required.
async fn current_requirements(
    s: &ApiState,
    id: i64,
) -> ApiResult<(ConfigRequirements, WebhookSecretForm)> {
    let platform = s.store.get_config(id).await?.platform;
    Ok(requirements_for(s.catalog.as_ref(), platform.as_str())
        .unwrap_or((ConfigRequirements::none(), WebhookSecretForm::Plain)))
}

/// Delete a sync config with its mappings, history and conflicts.
#[utoipa::path(delete, path = "/api/v1/sync/configs/{id}", tag = "sync",
    params(IdParam),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_config(State(s): State<ApiState>, ApiPath(id): ApiPath) -> ApiResult<StatusCode> {
    s.store.delete_config(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
