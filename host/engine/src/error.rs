//! The engine's error type.

use elder_sync_model::ConnectorError;
use elder_sync_runtime::CallError;
use elder_sync_store::StoreError;

use elder_sync_runtime::RegistryError;

/// Why a sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("{0}")]
    Invalid(String),
    /// Part of an operation failed; trying again may succeed.
    #[error("{0}")]
    Retryable(String),
}

impl EngineError {
    /// The connector's error, when the connector answered with one.
    pub fn connector_error(&self) -> Option<&ConnectorError> {
        match self {
            EngineError::Call(CallError::Connector(e)) => Some(e),
            _ => None,
        }
    }

    /// True when trying again later may succeed (rate limits, 5xx, traps, DB hiccups).
    pub fn is_transient(&self) -> bool {
        match self {
            EngineError::Call(CallError::Connector(e)) => e.is_transient(),
            EngineError::Call(_) => true,
            EngineError::Store(StoreError::Database(_)) | EngineError::Retryable(_) => true,
            // A disabled connector is an operator's pause: keep the work for when it is back.
            EngineError::Registry(RegistryError::Disabled(_)) => true,
            _ => false,
        }
    }
}
