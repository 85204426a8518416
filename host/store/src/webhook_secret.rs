//! Webhook secrets on write: the rule that a config receiving webhooks always has one,
//! checking a secret an operator gives (not blank; a Standard Webhooks `whsec_` key must
//! decode to at least [`MIN_WHSEC_KEY_BYTES`] bytes), and generating a strong one in the
//! form the connector's webhook scheme needs when none is given.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use rand::RngCore;
use serde_json::Value;

use crate::error::{Result, StoreError};

/// The shortest Standard Webhooks key accepted, in decoded bytes.
pub const MIN_WHSEC_KEY_BYTES: usize = 16;
/// Random bytes in a generated secret.
pub const GENERATED_SECRET_BYTES: usize = 32;

const FIELD: &str = "webhook_secret";

/// The form a generated webhook secret takes, decided by the connector's declared schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookSecretForm {
    /// Plain text: HMAC keys and shared tokens (GitHub, Jira, Trello, OpenProject, GitLab).
    #[default]
    Plain,
    /// `whsec_<base64>`: a connector that only speaks Standard Webhooks.
    StandardWebhooks,
}

/// A new random secret of [`GENERATED_SECRET_BYTES`] bytes in `form`.
pub fn generate_webhook_secret(form: WebhookSecretForm) -> String {
    let mut raw = [0u8; GENERATED_SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    match form {
        WebhookSecretForm::Plain => B64URL.encode(raw),
        WebhookSecretForm::StandardWebhooks => format!("whsec_{}", B64.encode(raw)),
    }
}

/// Checks a webhook secret given as JSON: a literal value must not be blank, and a
/// `whsec_` value must decode to a key of at least [`MIN_WHSEC_KEY_BYTES`] bytes.
/// (`{"env": ...}` references are checked when resolved, at delivery time.)
pub fn check_webhook_secret(v: &Value) -> Result<()> {
    match v {
        Value::String(s) => check_literal(s),
        _ => Ok(()),
    }
}

fn check_literal(s: &str) -> Result<()> {
    if s.trim().is_empty() {
        return Err(StoreError::invalid(FIELD, "must not be empty or blank"));
    }
    if let Some(encoded) = s.strip_prefix("whsec_") {
        let long_enough = B64
            .decode(encoded.trim())
            .is_ok_and(|key| key.len() >= MIN_WHSEC_KEY_BYTES);
        if !long_enough {
            return Err(StoreError::invalid(
                FIELD,
                format!("a whsec_ secret must be base64 of at least {MIN_WHSEC_KEY_BYTES} bytes"),
            ));
        }
    }
    Ok(())
}

/// The rule on write: webhooks on and no secret is refused (the API generates one first).
pub(crate) fn require_secret(webhook_enabled: bool, has_secret: bool) -> Result<()> {
    if webhook_enabled && !has_secret {
        return Err(StoreError::invalid(
            FIELD,
            "webhooks are on (webhook_enabled) but no webhook_secret is set",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generated_secrets_are_long_random_and_in_the_right_form() {
        let a = generate_webhook_secret(WebhookSecretForm::Plain);
        let b = generate_webhook_secret(WebhookSecretForm::Plain);
        assert_ne!(a, b);
        assert_eq!(B64URL.decode(&a).unwrap().len(), GENERATED_SECRET_BYTES);
        let w = generate_webhook_secret(WebhookSecretForm::StandardWebhooks);
        let key = B64.decode(w.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(key.len(), GENERATED_SECRET_BYTES);
        check_webhook_secret(&json!(w)).unwrap();
    }

    #[test]
    fn blank_and_short_whsec_secrets_are_refused() {
        for bad in ["", "   ", "whsec_", "whsec_AAAA", "whsec_not base64!"] {
            let err = check_webhook_secret(&json!(bad)).unwrap_err();
            assert!(
                matches!(&err, StoreError::Invalid { field, .. } if field == FIELD),
                "{bad:?}: {err:?}"
            );
        }
        check_webhook_secret(&json!("It's a Secret to Everybody")).unwrap();
        check_webhook_secret(&json!({"env": "X_SECRET"})).unwrap();
    }
}
