//! What the OpenProject connector tells the host: kinds, config keys, Basic
//! `apikey:<key>` auth, the instance host, and the `X-OP-Signature` webhook scheme.

use elder_connector_sdk::{
    AuthRule, ConfigField, ConnectorInfo, HmacAlgorithm, HmacSignature, Kind, SignatureEncoding,
    SignedContent, WebhookInfo, WebhookScheme,
};

fn field(key: &str, description: &str, required: bool, secret: bool) -> ConfigField {
    ConfigField {
        key: key.into(),
        description: description.into(),
        required,
        secret,
    }
}

/// The connector's description.
pub fn describe() -> ConnectorInfo {
    ConnectorInfo {
        id: "openproject".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        platform: "openproject".into(),
        kinds: vec![Kind::Issue, Kind::Project, Kind::Milestone, Kind::Label],
        config_schema: vec![
            field(
                "api_key",
                "OpenProject API key (Basic auth as user `apikey`)",
                true,
                true,
            ),
            field(
                "base_url",
                "Instance root, e.g. https://op.example.com",
                true,
                false,
            ),
            field("project_id", "Project id or identifier", true, false),
            field(
                "closed_status",
                "Status name or id that closing sets (default: the first closed status)",
                false,
                false,
            ),
            field(
                "reopen_status",
                "Status name or id that reopening sets (default: the default status)",
                false,
                false,
            ),
        ],
        auth: vec![AuthRule::Basic(("apikey".into(), "{api_key}".into()))],
        webhooks: Some(WebhookInfo {
            schemes: vec![WebhookScheme::Hmac(HmacSignature {
                header: "X-OP-Signature".into(),
                prefix: "sha1=".into(),
                algorithm: HmacAlgorithm::Sha1,
                encoding: SignatureEncoding::Hex,
                content: SignedContent::Body,
            })],
            delivery_id_headers: Vec::new(),
        }),
        hosts: vec!["{base_url}".into()],
    }
}
