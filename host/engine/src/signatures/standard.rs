//! Standard Webhooks (GitLab signing tokens): `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` (several
//! space-separated signatures allowed), key given as `whsec_<base64>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use elder_sync_model::HmacAlgorithm;

use super::error::SignatureError;
use super::headers::{malformed, required};
use super::hmac_scheme::mac_matches;

/// How far the signed timestamp may be from now (either way): 5 minutes.
pub const STANDARD_WEBHOOKS_TOLERANCE_MS: i64 = 5 * 60 * 1000;

const ID: &str = "webhook-id";
const TIMESTAMP: &str = "webhook-timestamp";
const SIGNATURE: &str = "webhook-signature";

/// Checks a Standard Webhooks delivery; `now_ms` is milliseconds since the epoch.
pub(crate) fn verify_standard(
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
    now_ms: i64,
) -> Result<(), SignatureError> {
    let id = required(headers, ID)?;
    let ts_text = required(headers, TIMESTAMP)?.trim();
    let signatures = required(headers, SIGNATURE)?;
    let key = key_bytes(secret)?;
    let ts: i64 = ts_text
        .parse()
        .map_err(|_| malformed(TIMESTAMP, "not an integer number of seconds"))?;
    check_fresh(ts, now_ms)?;
    let candidates = v1_signatures(signatures);
    if candidates.is_empty() {
        return Err(malformed(SIGNATURE, "no v1 signature"));
    }
    let parts: [&[u8]; 5] = [id.as_bytes(), b".", ts_text.as_bytes(), b".", body];
    let mut ok = false;
    for sig in &candidates {
        ok |= mac_matches(HmacAlgorithm::Sha256, &key, &parts, sig);
    }
    if ok {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

/// The shortest key accepted, in bytes (an empty `whsec_` would let anyone sign).
pub const MIN_KEY_BYTES: usize = 16;

/// The key bytes of `whsec_<base64>` (the prefix is optional); at least [`MIN_KEY_BYTES`].
fn key_bytes(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = B64
        .decode(encoded.trim())
        .map_err(|_| SignatureError::InvalidSecret("expected whsec_<base64>".into()))?;
    if key.len() < MIN_KEY_BYTES {
        return Err(SignatureError::InvalidSecret(format!(
            "the key is {} bytes; at least {MIN_KEY_BYTES} are needed",
            key.len()
        )));
    }
    Ok(key)
}

fn check_fresh(ts_s: i64, now_ms: i64) -> Result<(), SignatureError> {
    let now_s = now_ms.div_euclid(1000);
    let delta_ms = ts_s.saturating_mul(1000).saturating_sub(now_ms);
    if delta_ms.saturating_abs() > STANDARD_WEBHOOKS_TOLERANCE_MS {
        return Err(SignatureError::StaleTimestamp {
            timestamp_s: ts_s,
            now_s,
        });
    }
    Ok(())
}

/// The decoded `v1,<base64>` entries; other versions and undecodable entries are skipped.
fn v1_signatures(header: &str) -> Vec<Vec<u8>> {
    header
        .split_whitespace()
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|b64| B64.decode(b64).ok())
        .collect()
}
