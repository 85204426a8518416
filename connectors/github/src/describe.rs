//! What the connector tells the host: config schema, auth template, hosts, webhooks.

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
pub fn info() -> ConnectorInfo {
    ConnectorInfo {
        id: "github".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        platform: "github".into(),
        kinds: vec![Kind::Issue, Kind::Milestone, Kind::Label],
        config_schema: vec![
            field(
                "api_token",
                "GitHub token (fine-grained or classic) with issues read/write",
                true,
                true,
            ),
            field(
                "owner",
                "Repository owner, user or organisation (alias: `org`)",
                true,
                false,
            ),
            field("org", "Alias of `owner`", false, false),
            field("repo", "Repository name", true, false),
            field(
                "base_url",
                "API root (default https://api.github.com; GitHub Enterprise: https://HOST/api/v3)",
                false,
                false,
            ),
            field(
                "webhook_secret",
                "Secret of the repository webhook (HMAC-SHA256)",
                false,
                true,
            ),
        ],
        auth: vec![AuthRule::Header((
            "Authorization".into(),
            "Bearer {api_token}".into(),
        ))],
        webhooks: Some(WebhookInfo {
            schemes: vec![WebhookScheme::Hmac(HmacSignature {
                header: "X-Hub-Signature-256".into(),
                prefix: "sha256=".into(),
                algorithm: HmacAlgorithm::Sha256,
                encoding: SignatureEncoding::Hex,
                content: SignedContent::Body,
            })],
            delivery_id_headers: vec!["X-GitHub-Delivery".into()],
        }),
        hosts: vec!["api.github.com".into(), "{base_url}".into()],
    }
}
