//! The connector error type and constructors that keep connector code short.

pub use crate::bindings::elder::connector::types::{ConnectorError, RateLimit, UpstreamError};

impl ConnectorError {
    /// `unsupported` with a message naming the operation.
    pub fn unsupported(what: impl Into<String>) -> Self {
        ConnectorError::Unsupported(what.into())
    }

    /// `invalid-config` naming the offending key.
    pub fn invalid_config(msg: impl Into<String>) -> Self {
        ConnectorError::InvalidConfig(msg.into())
    }

    /// `invalid-input` with an explanation.
    pub fn invalid_input(msg: impl Into<String>) -> Self {
        ConnectorError::InvalidInput(msg.into())
    }

    /// `internal` with an explanation.
    pub fn internal(msg: impl Into<String>) -> Self {
        ConnectorError::Internal(msg.into())
    }

    /// `rate-limited` asking to wait `retry_after_ms`.
    pub fn rate_limited(retry_after_ms: u64, message: impl Into<String>) -> Self {
        ConnectorError::RateLimited(RateLimit {
            retry_after_ms,
            message: message.into(),
        })
    }
}
