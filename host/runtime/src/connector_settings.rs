//! The values of one sync config handed to a connector call ([`ConnectorSettings`], secrets
//! included). [`ConnectorSettings::split`] is the one place that decides what a connector
//! receives and what only the egress gets.

use std::collections::{BTreeMap, BTreeSet};

use elder_sync_model::{ConnectorInfo, is_secret_key};

use crate::error::RuntimeError;

/// All configuration values of one sync config, secrets included, and which of them are
/// secrets by where they came from (stored encrypted or given as an environment
/// reference). Its `Debug` output shows keys only, never values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnectorSettings {
    values: BTreeMap<String, String>,
    secret: BTreeSet<String>,
}

/// What one call hands out: the entries the guest may see, and the values withheld from
/// it (which the egress may use, and which never come back to the guest in a response).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SettingsSplit {
    /// The (key, value) entries the guest may see: every value not withheld.
    pub guest: Vec<(String, String)>,
    /// The values withheld from the guest (secrets); the egress may use them and redacts them
    /// from responses before the guest sees them.
    pub withheld_values: Vec<String>,
}

impl ConnectorSettings {
    /// Wraps key/value pairs (none of them marked secret by origin).
    pub fn new(values: BTreeMap<String, String>) -> Self {
        ConnectorSettings {
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
    pub fn split(&self, info: &ConnectorInfo, ever_secret: &BTreeSet<String>) -> SettingsSplit {
        let mut split = SettingsSplit::default();
        for (k, v) in &self.values {
            if self.is_withheld(k, info, ever_secret) {
                split.withheld_values.push(v.clone());
            } else {
                split.guest.push((k.clone(), v.clone()));
            }
        }
        split
    }

    /// A sync config's settings as a connector receives them (the one rule, used by the
    /// engine and the tests alike): strings as they are, numbers and booleans as their
    /// text, objects and arrays as JSON text (e.g. a status map), nulls left out. None of
    /// them is marked secret by origin; add secrets with [`ConnectorSettings::with_secrets`].
    pub fn from_settings(settings: &serde_json::Map<String, serde_json::Value>) -> Self {
        let values = settings
            .iter()
            .filter_map(|(key, value)| {
                let text = match value {
                    serde_json::Value::Null => return None,
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((key.clone(), text))
            })
            .collect();
        ConnectorSettings::new(values)
    }

    /// [`ConnectorSettings::from_settings`] of a JSON value, which must be an object.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, RuntimeError> {
        v.as_object()
            .map(ConnectorSettings::from_settings)
            .ok_or_else(|| RuntimeError::InvalidConfig("expected a JSON object".into()))
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

impl std::fmt::Debug for ConnectorSettings {
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
        let cfg = ConnectorSettings::new(BTreeMap::from([("token".into(), "s3cret".into())]));
        let shown = format!("{cfg:?}");
        assert!(shown.contains("token"));
        assert!(!shown.contains("s3cret"));
    }

    #[test]
    fn settings_become_text_nested_values_json_and_nulls_absent() {
        let cfg = ConnectorSettings::from_json(&serde_json::json!({
            "owner": "elder", "page": 50, "draft": true, "unset": null,
            "status_map": {"Done": "closed"}, "labels": ["a"]
        }))
        .unwrap();
        assert_eq!(cfg.get("owner"), Some("elder"));
        assert_eq!(cfg.get("page"), Some("50"));
        assert_eq!(cfg.get("draft"), Some("true"));
        assert_eq!(cfg.get("unset"), None);
        assert_eq!(cfg.get("status_map"), Some(r#"{"Done":"closed"}"#));
        assert_eq!(cfg.get("labels"), Some(r#"["a"]"#));
        assert_eq!(cfg.secret_keys().count(), 0);
        assert!(ConnectorSettings::from_json(&serde_json::json!([1])).is_err());
    }
}
