//! OpenAPI entries for the connector lifecycle routes (`/api/v1/plugins`), served by the
//! plugin host (host/plugins `api.rs`, merged by the service). They are documented here so
//! the one document at `/api/v1/openapi.json` describes everything the service answers;
//! this crate cannot depend on the plugin host, so the bodies below mirror its views
//! (host/plugins tests check that the two agree field for field).

#![allow(dead_code)] // the types and functions only carry the OpenAPI annotations

use utoipa::ToSchema;

use elder_sync_http::ErrorBody;

/// Method and path of every plugin route documented here.
pub const PLUGIN_ROUTES: [(&str, &str); 7] = [
    ("get", "/api/v1/plugins"),
    ("post", "/api/v1/plugins"),
    ("get", "/api/v1/plugins/{id}"),
    ("post", "/api/v1/plugins/{id}/enable"),
    ("post", "/api/v1/plugins/{id}/disable"),
    ("post", "/api/v1/plugins/{id}/rollback"),
    ("post", "/api/v1/plugins/{id}/approve"),
];

/// The body of an upload.
#[derive(ToSchema)]
pub struct PluginUpload {
    /// The manifest (`plugin.toml`), as TOML text: `id`, `version`, `hosts`, `[limits]`.
    pub manifest: String,
    /// The component's bytes, base64 (standard alphabet).
    pub component: String,
}

/// Per-connector limits from the manifest; each is capped by the host's setting.
#[derive(ToSchema)]
pub struct PluginLimits {
    /// The longest one call may run, in seconds.
    pub call_deadline_secs: Option<u64>,
    /// Memory cap of one instance, in MiB.
    pub memory_mb: Option<u64>,
}

/// A version by number and hash.
#[derive(ToSchema)]
pub struct PluginVersion {
    pub version: String,
    /// SHA-256 of the component, hex.
    pub source_hash: String,
}

/// An installed plugin.
#[derive(ToSchema)]
pub struct Plugin {
    pub id: String,
    pub version: String,
    /// The platform it serves (`github`, `gitlab`, `jira`, `trello`, `openproject`, or any
    /// other connector's platform id): configs with this `platform` use it.
    pub platform: String,
    /// Disabled, its configs do not sync and its webhooks answer 409.
    pub enabled: bool,
    /// SHA-256 of the component, hex.
    pub source_hash: String,
    /// When the current version started serving (RFC 3339, UTC).
    pub loaded_at: String,
    /// Calls into the connector since the host started.
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Hosts the connector may reach.
    pub hosts: Vec<String>,
    pub limits: PluginLimits,
    /// The version a rollback returns to.
    pub previous: Option<PluginVersion>,
    /// Replaced versions whose calls are still running.
    pub draining: u64,
}

/// One key of a connector's config schema.
#[derive(ToSchema)]
pub struct PluginConfigField {
    /// The `config_json` key.
    pub key: String,
    /// What it is, for operators.
    pub description: String,
    /// A config without it (or, for a key another field declares itself ``Alias of `key` ``
    /// for, without either) is refused with 422 naming `config_json.<key>`.
    pub required: bool,
    /// Stored sealed (encrypted, or an `{"env": ...}` reference), never returned by the API,
    /// never handed to the connector: the host applies it in the connector's auth rules.
    pub secret: bool,
}

/// One webhook scheme a connector accepts.
#[derive(ToSchema)]
pub struct PluginWebhookScheme {
    /// `hmac`, `shared_token` or `standard_webhooks`.
    pub scheme: String,
    /// The header carrying the signature or token (none for Standard Webhooks).
    pub header: Option<String>,
    /// `sha1` or `sha256` for `hmac`.
    pub algorithm: Option<String>,
}

/// How a connector's webhook deliveries are authenticated.
#[derive(ToSchema)]
pub struct PluginWebhooks {
    pub schemes: Vec<PluginWebhookScheme>,
    /// Headers carrying a delivery id (duplicates are dropped).
    pub delivery_id_headers: Vec<String>,
}

/// What the serving version of a connector declares in `describe`.
#[derive(ToSchema)]
pub struct PluginConnector {
    /// What a sync config for its platform needs in `config_json`.
    pub config_schema: Vec<PluginConfigField>,
    /// Kinds it syncs: `issue`, `project`, `milestone`, `label`.
    pub kinds: Vec<String>,
    /// `null` when the platform has no webhooks.
    pub webhooks: Option<PluginWebhooks>,
    /// Hosts it declares: literal names or `{key}` templates naming a config key.
    pub hosts: Vec<String>,
}

/// One plugin with what its connector declares.
#[derive(ToSchema)]
pub struct PluginDetail {
    pub plugin: Plugin,
    pub connector: PluginConnector,
}

/// What changed between the approved manifest and a new one.
#[derive(ToSchema)]
pub struct PluginManifestDiff {
    /// Hosts the new version may reach that the approved one could not.
    pub added_hosts: Vec<String>,
    /// Hosts the new version no longer asks for.
    pub removed_hosts: Vec<String>,
    /// A line diff of the two manifests: `-` old only, `+` new only.
    pub lines: Vec<String>,
    /// Security-surface changes from `describe` (secret flags, auth rules and the host they
    /// apply to, webhook schemes), one line each.
    pub surface: Vec<String>,
}

/// A version waiting for an operator's approval (it asks for new hosts or changes its
/// security surface).
#[derive(ToSchema)]
pub struct PendingPlugin {
    pub id: String,
    pub version: String,
    pub source_hash: String,
    pub diff: PluginManifestDiff,
}

/// What the compiled-code cache did since the host started.
#[derive(ToSchema)]
pub struct PluginCacheStats {
    /// Components compiled (cache misses and rebuilds).
    pub compiles: u64,
    /// Components loaded from a verified cache entry, without compiling.
    pub hits: u64,
    /// Entries found but not trusted.
    pub rejected: u64,
}

/// Installed plugins, versions waiting for approval and the cache's counters.
#[derive(ToSchema)]
pub struct PluginList {
    pub plugins: Vec<Plugin>,
    pub pending: Vec<PendingPlugin>,
    pub cache: PluginCacheStats,
}

/// An upload that is serving: `status` is `installed` (201) or `unchanged` (200: that
/// exact version and manifest were already serving).
#[derive(ToSchema)]
pub struct PluginInstalled {
    #[schema(example = "installed")]
    pub status: String,
    pub plugin: Plugin,
}

/// An upload waiting for approval (`status` `pending_approval`): the old version keeps
/// serving until `POST /api/v1/plugins/{id}/approve`.
#[derive(ToSchema)]
pub struct PluginPending {
    #[schema(example = "pending_approval")]
    pub status: String,
    pub pending: PendingPlugin,
}

/// The plugin after an action.
#[derive(ToSchema)]
pub struct PluginActionResult {
    pub plugin: Plugin,
}

/// Installed plugins and versions waiting for approval (any token).
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins",
    responses((status = 200, body = PluginList), (status = 401, body = ErrorBody)))]
fn list_plugins() {}

/// One installed plugin and what its connector declares (any token): the config schema a
/// sync config for its platform must satisfy (keys, descriptions, required, secret), the
/// kinds it syncs, its webhook schemes and its hosts. 404 when no such plugin is installed.
#[utoipa::path(get, path = "/api/v1/plugins/{id}", tag = "plugins",
    params(("id" = String, Path)),
    responses((status = 200, body = PluginDetail), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
fn get_plugin() {}

/// Upload a connector component with its manifest (admin token). It is validated
/// (component, contract version, manifest against `describe`), then serves (201), or was
/// already serving (200), or waits for approval because it asks for new hosts (202).
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", request_body = PluginUpload,
    responses((status = 201, body = PluginInstalled), (status = 200, body = PluginInstalled),
              (status = 202, body = PluginPending), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
fn upload_plugin() {}

/// Enable a plugin (admin token); remembered across restarts.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/enable", tag = "plugins",
    params(("id" = String, Path)),
    responses((status = 200, body = PluginActionResult), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
fn enable_plugin() {}

/// Disable a plugin (admin token): its configs stop syncing, its webhooks answer 409,
/// stored mappings are kept. Remembered across restarts.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/disable", tag = "plugins",
    params(("id" = String, Path)),
    responses((status = 200, body = PluginActionResult), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
fn disable_plugin() {}

/// Swap back to the previous version (admin token); 409 `no_previous_version` without one.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/rollback", tag = "plugins",
    params(("id" = String, Path)),
    responses((status = 200, body = PluginActionResult), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
fn rollback_plugin() {}

/// Approve the version waiting for approval and swap it in (admin token); 409
/// `nothing_pending` when no version of that plugin is waiting.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/approve", tag = "plugins",
    params(("id" = String, Path)),
    responses((status = 200, body = PluginActionResult), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
fn approve_plugin() {}
