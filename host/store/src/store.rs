//! The `Store` handle: opening, the secret-key check at start, and access to the pool.

use sqlx::AnyPool;

use crate::crypto::SecretBox;
use crate::db::{Backend, connect};
use crate::error::{Result, StoreError};
use crate::secrets::DEFAULT_ENV_PREFIX;

/// A cheap-to-clone handle on the database.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) secret_box: Option<SecretBox>,
    /// What environment-variable secret references must start with.
    pub(crate) env_prefix: String,
}

impl Store {
    /// Opens the database at `url` with the key from `ELDER_SECRET_KEY`.
    pub async fn open(url: &str) -> Result<Store> {
        Self::open_with(url, SecretBox::from_env()?).await
    }

    /// Opens the database at `url` with an explicit key (or none). Fails with
    /// [`StoreError::SecretsLocked`] when encrypted secrets exist and no key is given, and with
    /// [`StoreError::WrongSecretKey`] when they do not decrypt with the key.
    pub async fn open_with(url: &str, secret_box: Option<SecretBox>) -> Result<Store> {
        let (backend, pool) = connect(url, 16).await?;
        let store = Store {
            pool,
            backend,
            secret_box,
            env_prefix: DEFAULT_ENV_PREFIX.to_string(),
        };
        store.check_secret_key().await?;
        Ok(store)
    }

    /// Opens the database at `url` for operations that never read a stored secret (such as
    /// creating API tokens), without a key and without checking one. Reading or storing a
    /// secret through this handle fails with [`StoreError::SecretsLocked`] or
    /// [`StoreError::MissingSecretKey`].
    pub async fn open_without_secrets(url: &str) -> Result<Store> {
        let (backend, pool) = connect(url, 4).await?;
        Ok(Store {
            pool,
            backend,
            secret_box: None,
            env_prefix: DEFAULT_ENV_PREFIX.to_string(),
        })
    }

    async fn check_secret_key(&self) -> Result<()> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(encrypted_secrets), 0) AS BIGINT) FROM sync_configs",
        )
        .fetch_one(&self.pool)
        .await?;
        if count == 0 {
            return Ok(());
        }
        if self.secret_box.is_none() {
            self.pool.close().await;
            return Err(StoreError::SecretsLocked);
        }
        let configs = self.list_configs().await?;
        let sample = configs.iter().find_map(|c| {
            c.sealed
                .iter()
                .find(|(_, s)| s.is_encrypted())
                .map(|(k, s)| (k.clone(), s.clone()))
        });
        if let Some((k, s)) = sample
            && let Err(e) = s.resolve(&k, self.secret_box.as_ref(), &self.env_prefix)
        {
            self.pool.close().await;
            return Err(e);
        }
        Ok(())
    }

    /// Sets what environment-variable secret references must start with
    /// (`ELDER_SECRET_ENV_PREFIX`; default [`DEFAULT_ENV_PREFIX`]). An empty prefix is
    /// refused by the service's settings, never silently allowed.
    pub fn with_secret_env_prefix(mut self, prefix: impl Into<String>) -> Store {
        self.env_prefix = prefix.into();
        self
    }

    /// The engine in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for crates that add their own tables (e.g. the sync engine).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// True when a secret key is configured.
    pub fn has_secret_key(&self) -> bool {
        self.secret_box.is_some()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
