//! What a connector says about itself in `describe`.

use serde::{Deserialize, Serialize};

use crate::Kind;

/// A configuration key a connector reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigField {
    pub key: String,
    pub description: String,
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
    Sha1,
    Sha256,
}

/// Encoding of a signature value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureEncoding {
    Hex,
    Base64,
}

/// The bytes a signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedContent {
    Body,
    BodyThenCallbackUrl,
}

/// An HMAC signature in a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HmacSignature {
    pub header: String,
    pub prefix: String,
    pub algorithm: HmacAlgorithm,
    pub encoding: SignatureEncoding,
    pub content: SignedContent,
}

/// One accepted way to authenticate a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookScheme {
    Hmac(HmacSignature),
    /// The header carrying the secret in clear.
    SharedToken(String),
    StandardWebhooks,
}

/// Webhook authentication and delivery-id headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInfo {
    pub schemes: Vec<WebhookScheme>,
    pub delivery_id_headers: Vec<String>,
}

/// The result of `describe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorInfo {
    pub id: String,
    pub version: String,
    pub platform: String,
    pub kinds: Vec<Kind>,
    pub config_schema: Vec<ConfigField>,
    pub auth: Vec<AuthRule>,
    pub webhooks: Option<WebhookInfo>,
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
