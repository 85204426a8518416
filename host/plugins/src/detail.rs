//! What `GET /api/v1/plugins/{id}` shows about the connector behind a plugin, from its
//! `describe`: the config schema (what a sync config for its platform needs), the kinds it
//! syncs, its webhook schemes and the hosts it declares.

use elder_sync_model::{ConfigField, ConnectorInfo, HmacAlgorithm, WebhookScheme};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, ArrayBuilder, ObjectBuilder, Type};

use crate::host::PluginView;

/// One plugin with its connector's description.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginDetail {
    /// The installed plugin.
    pub plugin: PluginView,
    /// What its serving version's `describe` declares.
    pub connector: ConnectorView,
}

/// What the serving version of a connector declares.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = PluginConnector)]
pub struct ConnectorView {
    /// Config keys: which are required, which are secret (stored sealed, never handed to
    /// the connector), and what they mean.
    #[schema(schema_with = config_schema_schema)]
    pub config_schema: Vec<ConfigField>,
    /// `issue`, `project`, `milestone`, `label`.
    #[schema(value_type = Vec<String>)]
    pub kinds: Vec<&'static str>,
    /// How webhook deliveries are authenticated; `None` when the platform has no webhooks.
    pub webhooks: Option<WebhooksView>,
    /// Hosts from `describe` (literal names or `{key}` templates naming a config key).
    pub hosts: Vec<String>,
}

/// Webhook authentication and delivery-id headers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = PluginWebhooks)]
pub struct WebhooksView {
    /// Accepted schemes; a delivery passing any one of them is authentic.
    pub schemes: Vec<SchemeView>,
    /// Headers carrying a delivery id stable across redeliveries, tried in order.
    pub delivery_id_headers: Vec<String>,
}

/// One accepted webhook scheme.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = PluginWebhookScheme)]
pub struct SchemeView {
    /// `hmac`, `shared_token` or `standard_webhooks`.
    #[schema(value_type = String)]
    pub scheme: &'static str,
    /// The header carrying the signature or token (none for Standard Webhooks).
    pub header: Option<String>,
    /// `sha1` or `sha256` for `hmac`.
    #[schema(value_type = Option<String>)]
    pub algorithm: Option<&'static str>,
}

/// The schema of `config_schema`: the model's `ConfigField`s (the model crate carries no
/// OpenAPI derives), as they serialize.
pub fn config_schema_schema() -> Array {
    let field = |ty: Type, what: &str| {
        ObjectBuilder::new()
            .schema_type(ty)
            .description(Some(what))
            .build()
    };
    let item = ObjectBuilder::new()
        .property("key", field(Type::String, "The `config_json` key."))
        .property(
            "description",
            field(Type::String, "What it is, for operators."),
        )
        .property(
            "required",
            field(
                Type::Boolean,
                "A config without it is refused with 422 naming `config_json.<key>`.",
            ),
        )
        .property(
            "secret",
            field(
                Type::Boolean,
                "Stored sealed, never returned by the API, never handed to the connector.",
            ),
        )
        .required("key")
        .required("description")
        .required("required")
        .required("secret")
        .build();
    ArrayBuilder::new().items(item).build()
}

impl ConnectorView {
    /// The view of `info`.
    pub fn of(info: &ConnectorInfo) -> ConnectorView {
        ConnectorView {
            config_schema: info.config_schema.clone(),
            kinds: info.kinds.iter().map(|k| k.as_str()).collect(),
            webhooks: info.webhooks.as_ref().map(|w| WebhooksView {
                schemes: w.schemes.iter().map(scheme_view).collect(),
                delivery_id_headers: w.delivery_id_headers.clone(),
            }),
            hosts: info.hosts.clone(),
        }
    }
}

fn scheme_view(s: &WebhookScheme) -> SchemeView {
    match s {
        WebhookScheme::Hmac(h) => SchemeView {
            scheme: "hmac",
            header: Some(h.header.clone()),
            algorithm: Some(match h.algorithm {
                HmacAlgorithm::Sha1 => "sha1",
                HmacAlgorithm::Sha256 => "sha256",
            }),
        },
        WebhookScheme::SharedToken(header) => SchemeView {
            scheme: "shared_token",
            header: Some(header.clone()),
            algorithm: None,
        },
        WebhookScheme::StandardWebhooks => SchemeView {
            scheme: "standard_webhooks",
            header: None,
            algorithm: None,
        },
    }
}
