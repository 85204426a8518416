//! What a connector says about itself in `describe`.

use serde::{Deserialize, Serialize};

use crate::Kind;

/// A configuration key a connector reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigField {
    /// Key name, e.g. `api_token`.
    pub key: String,
    /// What the key is, for operators.
    pub description: String,
    /// Whether a config without this key is invalid.
    pub required: bool,
    /// Secret keys never reach the guest; the host applies them at egress.
    pub secret: bool,
}

/// How the host authenticates outgoing requests; templates name config keys in braces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthRule {
    /// (header name, value template)
    Header(String, String),
    /// (query parameter, value template)
    Query(String, String),
    /// (user template, password template)
    Basic(String, String),
}

/// HMAC algorithm of a webhook signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HmacAlgorithm {
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-SHA256.
    Sha256,
}

/// Encoding of a signature value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureEncoding {
    /// Lowercase hexadecimal.
    Hex,
    /// Standard base64.
    Base64,
}

/// The bytes a signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedContent {
    /// The raw request body.
    Body,
    /// The raw body followed by the callback URL the webhook was registered with (Trello).
    BodyThenCallbackUrl,
}

/// An HMAC signature in a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HmacSignature {
    /// The header carrying the signature, e.g. `X-Hub-Signature-256`.
    pub header: String,
    /// A prefix before the value, e.g. `sha256=` (empty for none).
    pub prefix: String,
    /// The HMAC algorithm.
    pub algorithm: HmacAlgorithm,
    /// How the signature value is written.
    pub encoding: SignatureEncoding,
    /// Which bytes the signature covers.
    pub content: SignedContent,
}

/// One accepted way to authenticate a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookScheme {
    /// An HMAC signature in a header.
    Hmac(HmacSignature),
    /// The header carrying the secret in clear.
    SharedToken(String),
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`
    /// over `{id}.{timestamp}.{body}`, with a `whsec_<base64>` key.
    StandardWebhooks,
}

/// Webhook authentication and delivery-id headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInfo {
    /// Accepted schemes; a delivery passing any one of them is authentic.
    pub schemes: Vec<WebhookScheme>,
    /// Headers carrying a delivery id stable across redeliveries, tried in order; when none is
    /// present the host uses a hash of the body.
    pub delivery_id_headers: Vec<String>,
}

/// The result of `describe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    /// The connector's stable id, e.g. `github`.
    pub id: String,
    /// The connector's own semantic version.
    pub version: String,
    /// The platform it connects (`github`, `gitlab`, `jira`, `trello`, `openproject`, or a third
    /// party's name).
    pub platform: String,
    /// The kinds it can sync.
    pub kinds: Vec<Kind>,
    /// The configuration keys it reads.
    pub config_schema: Vec<ConfigField>,
    /// How the host authenticates its outgoing requests.
    pub auth: Vec<AuthRule>,
    /// Webhook authentication and delivery ids; `None` when the platform has no webhooks.
    pub webhooks: Option<WebhookInfo>,
    /// Hosts it may reach: literal host names or `{key}` templates naming a config key (see
    /// `hosts` in the WIT `connector-info` for the full rule).
    pub hosts: Vec<String>,
}

impl ConnectorInfo {
    /// The config keys marked secret.
    pub fn secret_keys(&self) -> impl Iterator<Item = &str> {
        self.config_schema
            .iter()
            .filter(|f| f.secret)
            .map(|f| f.key.as_str())
    }
}
