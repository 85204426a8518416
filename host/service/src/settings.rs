//! Service settings, all read from the environment (documented in README.md), with
//! clear errors naming the variable that holds a bad value.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use elder_sync_runtime::{PoolSetting, PoolSettings};

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {var}: {message} (got {value:?})")]
pub struct SettingsError {
    pub var: &'static str,
    pub value: String,
    pub message: String,
}

/// Everything `elder-sync serve` needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ELDER_LISTEN_ADDR`, default `0.0.0.0:8000`: the API, webhooks, health and metrics.
    pub listen_addr: SocketAddr,
    /// `ELDER_WORKER_ADDR`, default the listen address: health and metrics for the workers.
    pub worker_addr: SocketAddr,
    /// `ELDER_DATA_DIR`, default `./data`: the SQLite file and the compiled-code cache.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: a `postgres://` URL selects PostgreSQL; unset means SQLite in the data dir.
    pub database_url: Option<String>,
    /// `ELDER_PLUGIN_DIR`, default `./plugins`: connector components (`*.wasm`).
    pub plugin_dir: PathBuf,
    /// `ELDER_PUBLIC_URL`: the URL platforms reach this host at (Trello signs its callback URL).
    pub public_url: Option<String>,
    /// `ELDER_CONNECTOR_DEADLINE_SECS`, default 30: the longest one connector call may run.
    pub connector_deadline: Duration,
    /// `ELDER_CONNECTOR_MEMORY_MB`, default 64: memory cap of one connector instance.
    pub connector_memory_mb: usize,
    /// `ELDER_ALLOW_HTTP_EGRESS`, default false: allow plain `http://` egress (local simulators).
    pub allow_http_egress: bool,
    /// `ELDER_EGRESS_ALLOW_PRIVATE`, default false: let egress reach loopback, private,
    /// link-local and other internal addresses (a self-hosted platform on a private network).
    pub egress_allow_private: bool,
    /// `ELDER_SECRET_ENV_PREFIX`, default `ELDER_SECRET_`: what `{"env": "VAR"}` secret
    /// references must start with.
    pub secret_env_prefix: String,
    /// `SYNC_BATCH_FALLBACK_ENABLED`, default true.
    pub batch_fallback_enabled: bool,
    /// `SYNC_BATCH_INTERVAL` in seconds, default 3600.
    pub batch_interval: Duration,
    /// `SYNC_BATCH_FALLBACK_SIZE`, default 100.
    pub batch_size: u32,
    /// `ELDER_RETENTION_DAYS`, default 14: how long completed inbox, outbox and history rows
    /// are kept (failed and parked ones are kept until handled).
    pub retention: Duration,
    /// `ELDER_CONNECTOR_MAX_CONCURRENT_CALLS`, default 256: connector calls running at once
    /// (sizes the instance pool); further calls wait for a slot.
    pub connector_max_calls: usize,
    /// `ELDER_INBOX_WORKERS`, default 4: webhook deliveries worked at once by this replica
    /// (configs in parallel; within a config's batch, different items in parallel on
    /// PostgreSQL; one item's deliveries always in order).
    pub inbox_workers: usize,
    /// The instance pool's capacity and per-call maxima (`ELDER_CONNECTOR_*_PER_CALL`,
    /// `ELDER_CONNECTOR_POOL_*`, `ELDER_CONNECTOR_*KEEP_RESIDENT_KB`).
    pub connector_pool: PoolSettings,
    /// The HTTP server's limits.
    pub http: HttpLimits,
}

/// What keeps slow or flooding clients from exhausting the HTTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// `ELDER_HTTP_HEADER_TIMEOUT_SECS`, default 10: a connection that has not sent a
    /// request's complete headers within this is closed.
    pub header_timeout: Duration,
    /// `ELDER_HTTP_BODY_TIMEOUT_SECS`, default 30: the longest a request body may take to
    /// arrive (then `408`).
    pub body_timeout: Duration,
    /// `ELDER_HTTP_REQUEST_TIMEOUT_SECS`, default 120: the longest a request may take in
    /// all, manual sync runs included (then `503 request_timeout`).
    pub request_timeout: Duration,
    /// `ELDER_HTTP_MAX_BODY_BYTES`, default 2097152 (2 MiB): larger bodies get `413`.
    pub max_body_bytes: usize,
    /// `ELDER_HTTP_MAX_CONCURRENT_REQUESTS`, default 512: API and webhook requests served
    /// at once; beyond that `503 overloaded` (health and metrics are not counted).
    pub max_concurrent_requests: usize,
}

impl HttpLimits {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<HttpLimits, SettingsError> {
        let secs = |var, default| positive(get, var, default).map(Duration::from_secs);
        Ok(HttpLimits {
            header_timeout: secs("ELDER_HTTP_HEADER_TIMEOUT_SECS", 10)?,
            body_timeout: secs("ELDER_HTTP_BODY_TIMEOUT_SECS", 30)?,
            request_timeout: secs("ELDER_HTTP_REQUEST_TIMEOUT_SECS", 120)?,
            max_body_bytes: positive(get, "ELDER_HTTP_MAX_BODY_BYTES", 2 << 20)? as usize,
            max_concurrent_requests: positive(get, "ELDER_HTTP_MAX_CONCURRENT_REQUESTS", 512)?
                as usize,
        })
    }
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `lookup` (the environment in production, a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let listen_addr = parse(&get, "ELDER_LISTEN_ADDR", "0.0.0.0:8000".parse().unwrap())?;
        let settings = Settings {
            listen_addr,
            worker_addr: parse(&get, "ELDER_WORKER_ADDR", listen_addr)?,
            data_dir: get("ELDER_DATA_DIR").map_or_else(|| PathBuf::from("data"), PathBuf::from),
            database_url: get("DATABASE_URL"),
            plugin_dir: get("ELDER_PLUGIN_DIR")
                .map_or_else(|| PathBuf::from("plugins"), PathBuf::from),
            public_url: get("ELDER_PUBLIC_URL"),
            connector_deadline: Duration::from_secs(positive(
                &get,
                "ELDER_CONNECTOR_DEADLINE_SECS",
                30,
            )?),
            connector_memory_mb: positive(&get, "ELDER_CONNECTOR_MEMORY_MB", 64)? as usize,
            allow_http_egress: boolean(&get, "ELDER_ALLOW_HTTP_EGRESS", false)?,
            egress_allow_private: boolean(&get, "ELDER_EGRESS_ALLOW_PRIVATE", false)?,
            secret_env_prefix: env_prefix(&get)?,
            batch_fallback_enabled: boolean(&get, "SYNC_BATCH_FALLBACK_ENABLED", true)?,
            batch_interval: Duration::from_secs(positive(&get, "SYNC_BATCH_INTERVAL", 3600)?),
            batch_size: positive(&get, "SYNC_BATCH_FALLBACK_SIZE", 100)? as u32,
            retention: Duration::from_secs(
                positive(&get, "ELDER_RETENTION_DAYS", 14)?.saturating_mul(24 * 3600),
            ),
            connector_pool: pool_settings(&get)?,
            connector_max_calls: positive(
                &get,
                "ELDER_CONNECTOR_MAX_CONCURRENT_CALLS",
                elder_sync_runtime::DEFAULT_MAX_CONCURRENT_CALLS as u64,
            )? as usize,
            inbox_workers: positive(
                &get,
                "ELDER_INBOX_WORKERS",
                elder_sync_engine::engine::DEFAULT_INBOX_WORKERS as u64,
            )? as usize,
            http: HttpLimits::from_lookup(&get)?,
        };
        // The pool's settings must also fit together, the concurrency and memory cap included.
        settings
            .connector_pool
            .check(
                settings.connector_max_calls,
                settings.connector_memory_mb << 20,
            )
            .map_err(|e| {
                let var = pool_var(e.setting);
                SettingsError {
                    var,
                    value: get(var).unwrap_or_else(|| "(default)".into()),
                    message: e.message,
                }
            })?;
        Ok(settings)
    }

    /// The database URL to open: `DATABASE_URL`, or the SQLite file in the data dir.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("elder-sync.db").display()
            ),
        }
    }
}

/// The instance pool settings; totals left unset are derived from the concurrency.
fn pool_settings(get: &impl Fn(&str) -> Option<String>) -> Result<PoolSettings, SettingsError> {
    let d = PoolSettings::default();
    let count = |setting, default: u32| -> Result<u32, SettingsError> {
        let var = pool_var(setting);
        let n = positive(get, var, u64::from(default))?;
        u32::try_from(n).map_err(|_| SettingsError {
            var,
            value: n.to_string(),
            message: "too large".into(),
        })
    };
    let total = |setting| -> Result<Option<u32>, SettingsError> {
        match get(pool_var(setting)) {
            None => Ok(None),
            Some(_) => count(setting, 1).map(Some),
        }
    };
    let kib = |setting, default: usize| -> Result<usize, SettingsError> {
        let n: u64 = parse(get, pool_var(setting), (default / 1024) as u64)?;
        Ok(usize::try_from(n.saturating_mul(1024)).unwrap_or(usize::MAX))
    };
    Ok(PoolSettings {
        core_instances_per_call: count(
            PoolSetting::CoreInstancesPerCall,
            d.core_instances_per_call,
        )?,
        memories_per_call: count(PoolSetting::MemoriesPerCall, d.memories_per_call)?,
        tables_per_call: count(PoolSetting::TablesPerCall, d.tables_per_call)?,
        total_core_instances: total(PoolSetting::TotalCoreInstances)?,
        total_memories: total(PoolSetting::TotalMemories)?,
        total_tables: total(PoolSetting::TotalTables)?,
        memory_keep_resident_bytes: kib(
            PoolSetting::MemoryKeepResident,
            d.memory_keep_resident_bytes,
        )?,
        table_keep_resident_bytes: kib(
            PoolSetting::TableKeepResident,
            d.table_keep_resident_bytes,
        )?,
    })
}

/// The environment variable of a pool setting.
fn pool_var(setting: PoolSetting) -> &'static str {
    match setting {
        PoolSetting::MaxConcurrentCalls => "ELDER_CONNECTOR_MAX_CONCURRENT_CALLS",
        PoolSetting::CoreInstancesPerCall => "ELDER_CONNECTOR_CORE_INSTANCES_PER_CALL",
        PoolSetting::MemoriesPerCall => "ELDER_CONNECTOR_MEMORIES_PER_CALL",
        PoolSetting::TablesPerCall => "ELDER_CONNECTOR_TABLES_PER_CALL",
        PoolSetting::TotalCoreInstances => "ELDER_CONNECTOR_POOL_CORE_INSTANCES",
        PoolSetting::TotalMemories => "ELDER_CONNECTOR_POOL_MEMORIES",
        PoolSetting::TotalTables => "ELDER_CONNECTOR_POOL_TABLES",
        PoolSetting::MemoryKeepResident => "ELDER_CONNECTOR_KEEP_RESIDENT_KB",
        PoolSetting::TableKeepResident => "ELDER_CONNECTOR_TABLE_KEEP_RESIDENT_KB",
    }
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
) -> Result<T, SettingsError>
where
    T::Err: std::fmt::Display,
{
    match get(var) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|e: T::Err| SettingsError {
            var,
            message: e.to_string(),
            value,
        }),
    }
}

fn env_prefix(get: &impl Fn(&str) -> Option<String>) -> Result<String, SettingsError> {
    const VAR: &str = "ELDER_SECRET_ENV_PREFIX";
    let prefix = get(VAR).unwrap_or_else(|| elder_sync_store::DEFAULT_ENV_PREFIX.to_string());
    let ok = prefix.len() >= 3
        && prefix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(SettingsError {
            var: VAR,
            value: prefix,
            message: "must be at least 3 characters of A-Z, 0-9 and _".into(),
        });
    }
    Ok(prefix)
}

fn positive(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
) -> Result<u64, SettingsError> {
    let n: u64 = parse(get, var, default)?;
    if n == 0 {
        return Err(SettingsError {
            var,
            value: "0".into(),
            message: "must be greater than zero".into(),
        });
    }
    Ok(n)
}

fn boolean(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, SettingsError> {
    match get(var) {
        None => Ok(default),
        Some(value) => match value.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(SettingsError {
                var,
                value,
                message: "expected true or false".into(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_listen_on_8000_with_sqlite_in_data_dir() {
        let s = with(&[]).unwrap();
        assert_eq!(s.listen_addr.to_string(), "0.0.0.0:8000");
        assert_eq!(s.worker_addr, s.listen_addr);
        assert!(
            s.effective_database_url()
                .starts_with("sqlite://data/elder-sync.db")
        );
        assert_eq!(s.connector_deadline, Duration::from_secs(30));
        assert!(s.batch_fallback_enabled);
    }

    #[test]
    fn http_limits_have_defaults_and_can_be_set() {
        let s = with(&[]).unwrap();
        assert_eq!(s.http.header_timeout, Duration::from_secs(10));
        assert_eq!(s.http.body_timeout, Duration::from_secs(30));
        assert_eq!(s.http.request_timeout, Duration::from_secs(120));
        assert_eq!(s.http.max_body_bytes, 2 << 20);
        assert_eq!(s.http.max_concurrent_requests, 512);
        assert_eq!(s.connector_max_calls, 256);
        let s = with(&[
            ("ELDER_HTTP_HEADER_TIMEOUT_SECS", "2"),
            ("ELDER_HTTP_MAX_CONCURRENT_REQUESTS", "4"),
        ])
        .unwrap();
        assert_eq!(s.http.header_timeout, Duration::from_secs(2));
        assert_eq!(s.http.max_concurrent_requests, 4);
        let err = with(&[("ELDER_HTTP_MAX_BODY_BYTES", "0")]).unwrap_err();
        assert_eq!(err.var, "ELDER_HTTP_MAX_BODY_BYTES");
    }

    #[test]
    fn egress_protections_are_on_by_default() {
        let s = with(&[]).unwrap();
        assert!(!s.egress_allow_private && !s.allow_http_egress);
        assert_eq!(s.secret_env_prefix, "ELDER_SECRET_");
        let s = with(&[
            ("ELDER_EGRESS_ALLOW_PRIVATE", "true"),
            ("ELDER_SECRET_ENV_PREFIX", "ACME_"),
        ])
        .unwrap();
        assert!(s.egress_allow_private);
        assert_eq!(s.secret_env_prefix, "ACME_");
        let err = with(&[("ELDER_SECRET_ENV_PREFIX", "a")]).unwrap_err();
        assert_eq!(err.var, "ELDER_SECRET_ENV_PREFIX");
    }

    #[test]
    fn connector_pool_has_defaults_can_be_set_and_refuses_nonsense() {
        let s = with(&[]).unwrap();
        assert_eq!(s.connector_pool, PoolSettings::default());
        let s = with(&[
            ("ELDER_CONNECTOR_POOL_MEMORIES", "1000"),
            ("ELDER_CONNECTOR_MEMORIES_PER_CALL", "4"),
            ("ELDER_CONNECTOR_KEEP_RESIDENT_KB", "256"),
        ])
        .unwrap();
        assert_eq!(s.connector_pool.total_memories, Some(1000));
        assert_eq!(s.connector_pool.memories_per_call, 4);
        assert_eq!(s.connector_pool.memory_keep_resident_bytes, 256 << 10);
        // Fewer memories in the pool than calls that may run at once.
        let err = with(&[("ELDER_CONNECTOR_POOL_MEMORIES", "100")]).unwrap_err();
        assert_eq!(err.var, "ELDER_CONNECTOR_POOL_MEMORIES");
        assert!(
            err.to_string()
                .contains("fewer than one per concurrent call"),
            "{err}"
        );
        // More tables per call than the whole pool holds (2 calls: 8 tables pooled; the
        // memories per call lowered so the pool's 4 memories are not the first complaint).
        let err = with(&[
            ("ELDER_CONNECTOR_MAX_CONCURRENT_CALLS", "2"),
            ("ELDER_CONNECTOR_MEMORIES_PER_CALL", "4"),
            ("ELDER_CONNECTOR_TABLES_PER_CALL", "9"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "ELDER_CONNECTOR_TABLES_PER_CALL");
        let err = with(&[("ELDER_CONNECTOR_CORE_INSTANCES_PER_CALL", "0")]).unwrap_err();
        assert_eq!(err.var, "ELDER_CONNECTOR_CORE_INSTANCES_PER_CALL");
        let err = with(&[("ELDER_CONNECTOR_KEEP_RESIDENT_KB", "lots")]).unwrap_err();
        assert_eq!(err.var, "ELDER_CONNECTOR_KEEP_RESIDENT_KB");
        let err = with(&[("ELDER_CONNECTOR_KEEP_RESIDENT_KB", "1000000")]).unwrap_err();
        assert!(err.to_string().contains("memory cap"), "{err}");
    }

    #[test]
    fn postgres_url_is_used_as_given() {
        let s = with(&[("DATABASE_URL", "postgres://u@h/db")]).unwrap();
        assert_eq!(s.effective_database_url(), "postgres://u@h/db");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = with(&[("ELDER_LISTEN_ADDR", "nope")]).unwrap_err();
        assert_eq!(err.var, "ELDER_LISTEN_ADDR");
        let err = with(&[("SYNC_BATCH_FALLBACK_ENABLED", "maybe")]).unwrap_err();
        assert_eq!(err.var, "SYNC_BATCH_FALLBACK_ENABLED");
        let err = with(&[("ELDER_CONNECTOR_DEADLINE_SECS", "0")]).unwrap_err();
        assert!(err.to_string().contains("greater than zero"));
    }
}
