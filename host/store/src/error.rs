//! The store's typed errors: what callers (API, sync engine, service) match on.

use thiserror::Error;

/// Everything the store can fail with.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The addressed row does not exist (or is soft-deleted).
    #[error("{0} not found")]
    NotFound(String),
    /// A unique constraint, a stale version or an illegal state change.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input that breaks a rule; `field` names the offending field.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The offending field, as the API names it (e.g. `page`, `config_json.api_token`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A secret was given but `ELDER_SECRET_KEY` is not set.
    #[error("cannot store a secret: ELDER_SECRET_KEY is not set (base64 of 32 bytes)")]
    MissingSecretKey,
    /// The database holds encrypted secrets and no key was given.
    #[error("the database holds encrypted secrets but ELDER_SECRET_KEY is not set")]
    SecretsLocked,
    /// `ELDER_SECRET_KEY` is not base64 of exactly 32 bytes.
    #[error("ELDER_SECRET_KEY is invalid: {0}")]
    BadSecretKey(String),
    /// Stored secrets do not decrypt with the key given.
    #[error("stored secrets cannot be decrypted with this ELDER_SECRET_KEY")]
    WrongSecretKey,
    /// A secret refers to an environment variable that is not set.
    #[error("secret `{key}` refers to environment variable `{var}`, which is not set")]
    UnresolvedSecret {
        /// The config key holding the secret reference.
        key: String,
        /// The environment variable it names.
        var: String,
    },
    /// A stored secret refers to an environment variable secret references may not name
    /// (outside the configured prefix, or one of the service's own settings).
    #[error(
        "secret `{key}` refers to environment variable `{var}`, which secret references may not \
         name (they must start with the configured prefix and never name the service's own \
         settings); set the secret again"
    )]
    ForbiddenSecretRef {
        /// The config key holding the secret reference.
        key: String,
        /// The environment variable it names.
        var: String,
    },
    /// The URL names no engine we support.
    #[error("unsupported database URL (use sqlite://... or postgres://...): {0}")]
    UnsupportedUrl(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data that does not parse (should not happen).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl StoreError {
    /// Shorthand for [`StoreError::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    return StoreError::Conflict("a record with the same unique key exists".into());
                }
                ErrorKind::ForeignKeyViolation => {
                    return StoreError::invalid(
                        "reference",
                        "refers to a record that does not exist",
                    );
                }
                ErrorKind::CheckViolation => {
                    return StoreError::invalid("value", "a value is outside the allowed set");
                }
                _ => {}
            }
        }
        if let sqlx::Error::RowNotFound = e {
            return StoreError::NotFound("record".into());
        }
        StoreError::Database(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// Result alias of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
