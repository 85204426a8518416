//! Dispatch over the declared schemes.

use elder_sync_model::{WebhookInfo, WebhookScheme};

use super::error::SignatureError;
use super::hmac_scheme::verify_hmac;
use super::shared_token::verify_token;
use super::standard::verify_standard;

/// Verifies one delivery under `scheme`. `headers` names are matched case-insensitively;
/// `callback_url` is the URL registered with the platform (Trello signs it);
/// `now_ms` is milliseconds since the epoch (Standard Webhooks timestamps).
pub fn verify(
    scheme: &WebhookScheme,
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
    callback_url: Option<&str>,
    now_ms: i64,
) -> Result<(), SignatureError> {
    if secret.trim().is_empty() {
        return Err(SignatureError::NoSecret);
    }
    match scheme {
        WebhookScheme::Hmac(h) => verify_hmac(h, secret, headers, body, callback_url),
        WebhookScheme::SharedToken(name) => verify_token(name, secret, headers),
        WebhookScheme::StandardWebhooks => verify_standard(secret, headers, body, now_ms),
    }
}

/// Accepts the delivery when any declared scheme verifies it, returning that scheme.
/// Otherwise the most telling failure (a bad signature beats a missing header).
pub fn verify_any<'a>(
    info: &'a WebhookInfo,
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
    callback_url: Option<&str>,
    now_ms: i64,
) -> Result<&'a WebhookScheme, SignatureError> {
    let mut worst = SignatureError::NoScheme;
    for scheme in &info.schemes {
        match verify(scheme, secret, headers, body, callback_url, now_ms) {
            Ok(()) => return Ok(scheme),
            Err(e) if e.rank() > worst.rank() => worst = e,
            Err(_) => {}
        }
    }
    Err(worst)
}
