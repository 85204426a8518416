//! Runtime settings ([`RuntimeConfig`]) and the per-sync-config values handed to
//! calls ([`ConnectorConfig`], secrets included). [`ConnectorConfig::split`] is the one
//! place that decides what a connector receives and what only the egress gets.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use elder_sync_model::{ConnectorInfo, is_secret_key};

use crate::egress::Egress;
use crate::error::RuntimeError;
use crate::observer::RuntimeObserver;

/// How the runtime runs connectors.
#[derive(Clone)]
pub struct RuntimeConfig {
    /// Wall-clock budget of one call (epoch-based inside wasm, also enforced around host calls).
    pub call_deadline: Duration,
    /// Maximum linear memory of one call: the sum over all memories of its store.
    pub memory_limit_bytes: usize,
    /// Calls that may hold an instance at once (sizes the instance pool); more wait.
    pub max_concurrent_calls: usize,
    /// Maximum response body size accepted at egress.
    pub max_response_bytes: usize,
    /// Timeout of one HTTP request at egress.
    pub http_timeout: Duration,
    /// Whether `http://` URLs are allowed (loopback simulators in tests); otherwise https only.
    pub allow_plain_http: bool,
    /// Whether egress may reach loopback, link-local, private, unique-local and other
    /// internal addresses (`ELDER_EGRESS_ALLOW_PRIVATE`: a self-hosted platform on a
    /// private network, or local simulators in tests). Off by default.
    pub allow_private_networks: bool,
    /// The HTTP transport; `None` uses the real reqwest (rustls) egress.
    pub egress: Option<Arc<dyn Egress>>,
    /// Metrics hooks; `None` observes nothing.
    pub observer: Option<Arc<dyn RuntimeObserver>>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            call_deadline: Duration::from_secs(30),
            memory_limit_bytes: 64 << 20,
            max_concurrent_calls: crate::engine::DEFAULT_MAX_CONCURRENT_CALLS,
            max_response_bytes: 10 << 20,
            http_timeout: Duration::from_secs(20),
            allow_plain_http: false,
            allow_private_networks: false,
            egress: None,
            observer: None,
        }
    }
}

impl std::fmt::Debug for RuntimeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeConfig")
            .field("call_deadline", &self.call_deadline)
            .field("memory_limit_bytes", &self.memory_limit_bytes)
            .field("max_concurrent_calls", &self.max_concurrent_calls)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("http_timeout", &self.http_timeout)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("allow_private_networks", &self.allow_private_networks)
            .field("custom_egress", &self.egress.is_some())
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// All configuration values of one sync config, secrets included, and which of them are
/// secrets by where they came from (stored encrypted or given as an environment
/// reference). Its `Debug` output shows keys only, never values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnectorConfig {
    values: BTreeMap<String, String>,
    secret: BTreeSet<String>,
}

/// What one call hands out: the entries the guest may see, and the values withheld from
/// it (which the egress may use, and which never come back to the guest in a response).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConfigSplit {
    pub guest: Vec<(String, String)>,
    pub withheld_values: Vec<String>,
}

impl ConnectorConfig {
    /// Wraps key/value pairs (none of them marked secret by origin).
    pub fn new(values: BTreeMap<String, String>) -> Self {
        ConnectorConfig {
            values,
            secret: BTreeSet::new(),
        }
    }

    /// Adds secret values (decrypted, or read from the environment): never handed to
    /// the guest, whatever the connector declares.
    pub fn with_secrets(mut self, secrets: impl IntoIterator<Item = (String, String)>) -> Self {
        for (k, v) in secrets {
            self.secret.insert(k.clone());
            self.values.insert(k, v);
        }
        self
    }

    /// Keys marked secret by origin.
    pub fn secret_keys(&self) -> impl Iterator<Item = &str> {
        self.secret.iter().map(String::as_str)
    }

    /// True when `key` must not reach a connector described by `info`: a secret by origin,
    /// by the store's name rule, declared secret by any approved version (`ever_secret`),
    /// or by the current version.
    pub fn is_withheld(
        &self,
        key: &str,
        info: &ConnectorInfo,
        ever_secret: &BTreeSet<String>,
    ) -> bool {
        self.secret.contains(key)
            || is_secret_key(key)
            || ever_secret.contains(key)
            || info.secret_keys().any(|k| k == key)
    }

    /// Splits the config for one call of the connector `info` describes.
    pub fn split(&self, info: &ConnectorInfo, ever_secret: &BTreeSet<String>) -> ConfigSplit {
        let mut split = ConfigSplit::default();
        for (k, v) in &self.values {
            if self.is_withheld(k, info, ever_secret) {
                split.withheld_values.push(v.clone());
            } else {
                split.guest.push((k.clone(), v.clone()));
            }
        }
        split
    }

    /// Reads a JSON object whose values are strings, numbers or booleans (stored as text).
    pub fn from_json(v: &serde_json::Value) -> Result<Self, RuntimeError> {
        let obj = v
            .as_object()
            .ok_or_else(|| RuntimeError::InvalidConfig("expected a JSON object".into()))?;
        let mut values = BTreeMap::new();
        for (key, value) in obj {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Null => continue,
                _ => {
                    return Err(RuntimeError::InvalidConfig(format!(
                        "value of `{key}` must be a string, number or boolean"
                    )));
                }
            };
            values.insert(key.clone(), text);
        }
        Ok(ConnectorConfig::new(values))
    }

    /// The value of `key`, if set.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.values.get(k).map(String::as_str)
    }

    /// All entries, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl std::fmt::Debug for ConnectorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.values.keys().map(|k| (k, "<redacted>")))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_values() {
        let cfg = ConnectorConfig::new(BTreeMap::from([("token".into(), "s3cret".into())]));
        let shown = format!("{cfg:?}");
        assert!(shown.contains("token"));
        assert!(!shown.contains("s3cret"));
    }

    #[test]
    fn from_json_reads_scalars_and_rejects_nested_values() {
        let cfg = ConnectorConfig::from_json(&serde_json::json!({
            "owner": "elder", "page": 50, "draft": true, "unset": null
        }))
        .unwrap();
        assert_eq!(cfg.get("owner"), Some("elder"));
        assert_eq!(cfg.get("page"), Some("50"));
        assert_eq!(cfg.get("draft"), Some("true"));
        assert_eq!(cfg.get("unset"), None);

        let err = ConnectorConfig::from_json(&serde_json::json!({"labels": ["a"]})).unwrap_err();
        assert!(err.to_string().contains("labels"), "{err}");
        assert!(ConnectorConfig::from_json(&serde_json::json!([1])).is_err());
    }
}
