//! The delivery id that keys the webhook inbox.

use elder_sync_model::WebhookInfo;
use sha2::{Digest, Sha256};

use super::headers::header;

/// The first non-empty value of the declared delivery-id headers, else
/// `"sha256:" + hex(sha256(body))`.
pub fn delivery_id(info: &WebhookInfo, headers: &[(String, String)], body: &[u8]) -> String {
    info.delivery_id_headers
        .iter()
        .filter_map(|name| header(headers, name))
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(body))))
}
