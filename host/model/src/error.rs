//! The connector error variant as the host sees it.

use serde::{Deserialize, Serialize};

/// A rate-limit answer: wait `retry_after_ms` before trying again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// How long to wait before trying again, in milliseconds.
    pub retry_after_ms: u64,
    /// The platform's explanation.
    pub message: String,
}

/// Why a connector call failed (mirrors the WIT `connector-error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "type", content = "detail", rename_all = "snake_case")]
pub enum ConnectorError {
    /// The credentials were refused (401).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The credentials lack permission (403 without a rate limit).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The item or container does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The write was based on a stale version (optimistic locking) or clashes.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The platform asked to slow down.
    #[error("rate limited for {} ms: {}", .0.retry_after_ms, .0.message)]
    RateLimited(RateLimit),
    /// The configuration is missing a key or has a bad value; the text names it.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// The input (item, patch, webhook) is malformed; the text says how.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The platform answered with an unexpected error.
    #[error("upstream error {status}: {body}")]
    Upstream {
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The connector or platform does not support this operation or kind.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A bug or unexpected state inside the connector.
    #[error("internal: {0}")]
    Internal(String),
}

impl ConnectorError {
    /// True for errors worth retrying later (rate limits, 5xx upstream answers).
    pub fn is_transient(&self) -> bool {
        matches!(self, ConnectorError::RateLimited(_))
            || matches!(self, ConnectorError::Upstream { status, .. } if *status >= 500)
    }
}
