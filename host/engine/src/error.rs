//! The engine's error type.

use elder_sync_model::ConnectorError;
use elder_sync_runtime::CallError;
use elder_sync_store::StoreError;

use elder_sync_runtime::RegistryError;

/// Why a sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed or refused (not found, conflict, invalid input, database error).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A call into the connector failed (connector error, trap or runtime failure).
    #[error(transparent)]
    Call(#[from] CallError),
    /// No usable connector serves the config's platform (not loaded or disabled).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The operation cannot succeed as given (e.g. an unreadable outbox snapshot, or a
    /// delivery the connector refused as malformed); trying again will not help.
    #[error("{0}")]
    Invalid(String),
    /// Part of an operation failed; trying again may succeed.
    #[error("{0}")]
    Retryable(String),
    /// The platform asked to wait `wait` before trying again (a rate limit met inside an
    /// operation whose error was recorded as text).
    #[error("{message}")]
    RateLimited {
        /// How long the platform asked to wait.
        wait: std::time::Duration,
        /// The error as recorded (redacted).
        message: String,
    },
}

impl EngineError {
    /// The connector's error, when the connector answered with one.
    pub fn connector_error(&self) -> Option<&ConnectorError> {
        match self {
            EngineError::Call(CallError::Connector(e)) => Some(e),
            _ => None,
        }
    }

    /// How long the platform asked to wait, when this is a rate limit.
    pub fn rate_limit_wait(&self) -> Option<std::time::Duration> {
        match self {
            EngineError::Call(CallError::Connector(ConnectorError::RateLimited(r))) => {
                Some(std::time::Duration::from_millis(r.retry_after_ms))
            }
            EngineError::RateLimited { wait, .. } => Some(*wait),
            _ => None,
        }
    }

    /// True when trying again later may succeed (rate limits, 5xx, traps, DB hiccups).
    pub fn is_transient(&self) -> bool {
        match self {
            EngineError::Call(CallError::Connector(e)) => e.is_transient(),
            EngineError::Call(_) => true,
            EngineError::Store(StoreError::Database(_))
            | EngineError::Retryable(_)
            | EngineError::RateLimited { .. } => true,
            // A disabled connector is an operator's pause: keep the work for when it is back.
            EngineError::Registry(RegistryError::Disabled(_)) => true,
            _ => false,
        }
    }
}
