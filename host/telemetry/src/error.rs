//! The crate's error type.

/// Errors from building metrics, reading settings or installing the logger.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An environment setting has a value that cannot be used.
    #[error("invalid setting {name}: {reason}")]
    InvalidSetting {
        /// The environment variable name.
        name: &'static str,
        /// Why the value was rejected (never the value of a secret).
        reason: String,
    },
    /// A setting required by an enabled feature is absent.
    #[error("missing setting {0}")]
    MissingSetting(&'static str),
    /// The Prometheus registry refused a collector.
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    /// A global `tracing` subscriber was already installed.
    #[error("a global tracing subscriber is already installed")]
    AlreadyInitialized,
    /// A socket or thread could not be created.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The KillKrill client could not be configured (TLS roots, URL).
    #[error("killkrill client: {0}")]
    KillKrill(String),
}

impl Error {
    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidSetting {
            name,
            reason: reason.into(),
        }
    }
}
