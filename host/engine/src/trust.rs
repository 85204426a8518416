//! The webhook trust boundary: why an unauthenticated delivery was refused (one
//! [`Unverified`] reason, told only to the log, the metric and the config's status, never
//! to the caller, who always gets the same 401), and the secret-bearing headers the host
//! drops after verifying a delivery so neither the inbox nor `parse-webhook` sees them.

use elder_sync_model::{WebhookInfo, WebhookScheme};

use crate::signatures::SignatureError;

/// Headers that carry credentials on any platform; always dropped after verification.
pub const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-gitlab-token",
];

/// Why a delivery could not be authenticated. Every variant answers the same 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unverified {
    /// No sync config has this id.
    UnknownConfig,
    /// The config has `webhook_enabled = false`.
    WebhooksDisabled,
    /// The config's secret cannot be read or used (missing env var, no key, bad form).
    NoUsableSecret(String),
    /// No connector is loaded for the config's platform, or it declares no webhooks.
    NoScheme(String),
    /// The delivery carries no signature (a header the scheme needs is absent).
    Unsigned(String),
    /// The signature or token does not match (or is malformed or stale).
    BadSignature(String),
}

impl Unverified {
    /// The `reason` label of `sync_webhook_rejected_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            Unverified::UnknownConfig => "unknown_config",
            Unverified::WebhooksDisabled => "webhooks_disabled",
            Unverified::NoUsableSecret(_) => "no_usable_secret",
            Unverified::NoScheme(_) => "no_scheme",
            Unverified::Unsigned(_) => "unsigned",
            Unverified::BadSignature(_) => "bad_signature",
        }
    }

    /// The reason in words, for the log and the config's status (never the caller).
    pub fn detail(&self) -> String {
        match self {
            Unverified::UnknownConfig => "no such sync config".into(),
            Unverified::WebhooksDisabled => "webhooks are disabled for the config".into(),
            Unverified::NoUsableSecret(why)
            | Unverified::NoScheme(why)
            | Unverified::Unsigned(why)
            | Unverified::BadSignature(why) => format!("{}: {why}", self.reason()),
        }
    }

    /// True for a failed signature (as opposed to a config that cannot receive at all).
    pub fn is_signature_failure(&self) -> bool {
        matches!(self, Unverified::Unsigned(_) | Unverified::BadSignature(_))
    }
}

impl From<SignatureError> for Unverified {
    fn from(e: SignatureError) -> Self {
        let why = e.to_string();
        match e {
            SignatureError::MissingHeader(_) => Unverified::Unsigned(why),
            SignatureError::NoSecret | SignatureError::InvalidSecret(_) => {
                Unverified::NoUsableSecret(why)
            }
            SignatureError::NoScheme => Unverified::NoScheme(why),
            SignatureError::MissingCallbackUrl
            | SignatureError::Malformed { .. }
            | SignatureError::BadSignature
            | SignatureError::StaleTimestamp { .. } => Unverified::BadSignature(why),
        }
    }
}

/// `headers` without the secret-bearing ones: [`SECRET_HEADERS`] and the header of every
/// shared-token scheme the connector declares (names compared case-insensitively).
pub fn strip_secret_headers(
    info: &WebhookInfo,
    headers: &[(String, String)],
) -> Vec<(String, String)> {
    let token_headers: Vec<&str> = info
        .schemes
        .iter()
        .filter_map(|s| match s {
            WebhookScheme::SharedToken(name) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    headers
        .iter()
        .filter(|(k, _)| {
            !SECRET_HEADERS.iter().any(|s| k.eq_ignore_ascii_case(s))
                && !token_headers.iter().any(|s| k.eq_ignore_ascii_case(s))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn secret_headers_and_declared_token_headers_are_dropped() {
        let info = WebhookInfo {
            schemes: vec![WebhookScheme::SharedToken("X-Hook-Token".into())],
            delivery_id_headers: vec![],
        };
        let kept = strip_secret_headers(
            &info,
            &[
                h("AUTHORIZATION", "Bearer x"),
                h("cookie", "s=1"),
                h("Proxy-Authorization", "Basic y"),
                h("X-GitLab-Token", "t"),
                h("x-hook-token", "z"),
                h("X-GitHub-Event", "issues"),
                h("X-Hub-Signature-256", "sha256=00"),
            ],
        );
        assert_eq!(
            kept,
            vec![
                h("X-GitHub-Event", "issues"),
                h("X-Hub-Signature-256", "sha256=00")
            ]
        );
    }

    #[test]
    fn a_missing_signature_header_is_unsigned_and_a_mismatch_is_bad() {
        let u: Unverified = SignatureError::MissingHeader("X-Hub-Signature-256".into()).into();
        assert_eq!(u.reason(), "unsigned");
        let b: Unverified = SignatureError::BadSignature.into();
        assert_eq!(b.reason(), "bad_signature");
        let s: Unverified = SignatureError::InvalidSecret("short".into()).into();
        assert_eq!(s.reason(), "no_usable_secret");
    }
}
