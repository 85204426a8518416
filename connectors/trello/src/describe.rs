//! What the Trello connector tells the host: kinds, config keys, query-parameter auth,
//! allowed hosts, and the `X-Trello-Webhook` signature over body + callback URL.

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
        id: "trello".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        platform: "trello".into(),
        kinds: vec![Kind::Issue, Kind::Project, Kind::Label],
        config_schema: vec![
            field(
                "api_key",
                "Trello API key (also the app whose secret signs webhooks)",
                true,
                true,
            ),
            field("api_token", "Trello user token", true, true),
            field(
                "board_id",
                "The board to sync (id or short link)",
                true,
                false,
            ),
            field(
                "base_url",
                "API root, default https://api.trello.com",
                false,
                false,
            ),
            field(
                "done_lists",
                "Comma-separated list names or ids that mean closed (default: lists named like \"Done\")",
                false,
                false,
            ),
            field(
                "list_state_map",
                "JSON object {\"list name or id\": \"open\"|\"closed\"}; wins over done_lists",
                false,
                false,
            ),
            field(
                "close_mode",
                "move (to the done list, the default) or archive",
                false,
                false,
            ),
        ],
        auth: vec![
            AuthRule::Query(("key".into(), "{api_key}".into())),
            AuthRule::Query(("token".into(), "{api_token}".into())),
        ],
        webhooks: Some(WebhookInfo {
            schemes: vec![WebhookScheme::Hmac(HmacSignature {
                header: "X-Trello-Webhook".into(),
                prefix: String::new(),
                algorithm: HmacAlgorithm::Sha1,
                encoding: SignatureEncoding::Base64,
                content: SignedContent::BodyThenCallbackUrl,
            })],
            delivery_id_headers: Vec::new(),
        }),
        hosts: vec!["api.trello.com".into(), "{base_url}".into()],
    }
}
