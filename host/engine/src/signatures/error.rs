//! Why a webhook delivery failed authentication.

/// A webhook signature check failure. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No secret is configured; the caller decides whether to accept unsigned deliveries.
    #[error("no webhook secret is configured")]
    NoSecret,
    /// The configured secret cannot be used by this scheme (e.g. not `whsec_<base64>`).
    #[error("the webhook secret is not usable for this scheme: {0}")]
    InvalidSecret(String),
    /// A header the scheme needs is absent.
    #[error("missing header {0}")]
    MissingHeader(String),
    /// A header is present but cannot be read (wrong prefix, bad hex/base64, bad number).
    #[error("malformed header {header}: {reason}")]
    Malformed {
        /// The header's name.
        header: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// The signature (or token) does not match.
    #[error("signature does not match")]
    BadSignature,
    /// The signed timestamp is outside the accepted window.
    #[error("timestamp {timestamp_s} s is outside the accepted window around {now_s} s")]
    StaleTimestamp {
        /// The signed timestamp, in seconds since the epoch (UTC).
        timestamp_s: i64,
        /// The host's clock when checking, in seconds since the epoch (UTC).
        now_s: i64,
    },
    /// The scheme signs the callback URL but none was given.
    #[error("the scheme signs the callback URL but none is configured")]
    MissingCallbackUrl,
    /// The connector declares no signature scheme.
    #[error("the connector declares no webhook signature scheme")]
    NoScheme,
}

impl SignatureError {
    /// Ranking used when several schemes fail: the most telling error is reported.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            SignatureError::NoScheme => 0,
            SignatureError::MissingHeader(_) => 1,
            SignatureError::MissingCallbackUrl => 2,
            SignatureError::InvalidSecret(_) => 3,
            SignatureError::Malformed { .. } => 4,
            SignatureError::StaleTimestamp { .. } => 5,
            SignatureError::BadSignature => 6,
            SignatureError::NoSecret => 7,
        }
    }
}
