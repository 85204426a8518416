//! The connector error variant as the host sees it.

use serde::{Deserialize, Serialize};

/// A rate-limit answer: wait `retry_after_ms` before trying again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub retry_after_ms: u64,
    pub message: String,
}

/// Why a connector call failed (mirrors the WIT `connector-error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "type", content = "detail", rename_all = "snake_case")]
pub enum ConnectorError {
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("rate limited for {} ms: {}", .0.retry_after_ms, .0.message)]
    RateLimited(RateLimit),
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("upstream error {status}: {body}")]
    Upstream { status: u16, body: String },
    #[error("unsupported: {0}")]
    Unsupported(String),
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
