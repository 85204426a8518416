//! Which configuration keys are secret, how secret values are sealed for storage
//! (encrypted value or environment-variable reference), and how they are reported and resolved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::SecretBox;
use crate::error::{Result, StoreError};

/// True for configuration keys whose values are secret.
pub fn is_secret_key(key: &str) -> bool {
    const EXACT: [&str; 7] = [
        "api_token",
        "api_key",
        "token",
        "password",
        "secret",
        "webhook_secret",
        "private_key",
    ];
    let k = key.to_ascii_lowercase();
    EXACT.contains(&k.as_str())
        || k.ends_with("_token")
        || k.ends_with("_secret")
        || k.contains("password")
}

/// A secret as the caller gives it: a value, or `{"env": "VAR"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SecretInput {
    Value(String),
    Env { env: String },
}

impl SecretInput {
    /// Reads a secret from a JSON value (string or `{"env": "VAR"}`).
    pub fn from_json(field: &str, v: &Value) -> Result<Self> {
        match v {
            Value::String(s) if !s.is_empty() => Ok(SecretInput::Value(s.clone())),
            Value::Object(o) => match (o.len(), o.get("env")) {
                (1, Some(Value::String(var))) if valid_env_name(var) => {
                    Ok(SecretInput::Env { env: var.clone() })
                }
                _ => Err(StoreError::invalid(
                    field,
                    "a secret is a non-empty string or {\"env\": \"VARIABLE_NAME\"}",
                )),
            },
            _ => Err(StoreError::invalid(
                field,
                "a secret is a non-empty string or {\"env\": \"VARIABLE_NAME\"}",
            )),
        }
    }
}

fn valid_env_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// A secret as stored: `{"enc": "<sealed>"}` or `{"env": "VAR"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SealedSecret {
    Encrypted { enc: String },
    Env { env: String },
}

impl SealedSecret {
    /// Seals a secret input; a value needs a key.
    pub fn seal(input: &SecretInput, key: Option<&SecretBox>) -> Result<Self> {
        match input {
            SecretInput::Env { env } => Ok(SealedSecret::Env { env: env.clone() }),
            SecretInput::Value(v) => {
                let key = key.ok_or(StoreError::MissingSecretKey)?;
                Ok(SealedSecret::Encrypted {
                    enc: key.encrypt(v)?,
                })
            }
        }
    }

    /// The plaintext: decrypted, or read from the environment.
    pub fn resolve(&self, name: &str, key: Option<&SecretBox>) -> Result<String> {
        match self {
            SealedSecret::Encrypted { enc } => key.ok_or(StoreError::SecretsLocked)?.decrypt(enc),
            SealedSecret::Env { env } => match std::env::var(env) {
                Ok(v) if !v.is_empty() => Ok(v),
                _ => Err(StoreError::UnresolvedSecret {
                    key: name.to_string(),
                    var: env.clone(),
                }),
            },
        }
    }

    /// What the API may show about this secret.
    pub fn status(&self) -> SecretStatus {
        match self {
            SealedSecret::Encrypted { .. } => SecretStatus {
                set: true,
                source: SecretSource::Stored,
                env: None,
                resolved: true,
            },
            SealedSecret::Env { env } => SecretStatus {
                set: true,
                source: SecretSource::Env,
                env: Some(env.clone()),
                resolved: std::env::var(env).is_ok_and(|v| !v.is_empty()),
            },
        }
    }

    pub fn is_encrypted(&self) -> bool {
        matches!(self, SealedSecret::Encrypted { .. })
    }
}

/// Where a secret's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    /// Encrypted in the database.
    Stored,
    /// Read from an environment variable when used.
    Env,
}

/// The public face of a secret: whether it is set, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SecretStatus {
    pub set: bool,
    pub source: SecretSource,
    /// The variable name, for environment references.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// False when an environment reference's variable is missing.
    pub resolved: bool,
}

/// Splits a caller's config object into plain settings and sealed secrets.
pub fn seal_config(
    input: &Map<String, Value>,
    key: Option<&SecretBox>,
) -> Result<(Map<String, Value>, BTreeMap<String, SealedSecret>)> {
    let mut settings = Map::new();
    let mut secrets = BTreeMap::new();
    for (k, v) in input {
        if is_secret_key(k) {
            let field = format!("config_json.{k}");
            let sealed = SealedSecret::seal(&SecretInput::from_json(&field, v)?, key)?;
            secrets.insert(k.clone(), sealed);
        } else {
            settings.insert(k.clone(), v.clone());
        }
    }
    Ok((settings, secrets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys_are_recognised() {
        for k in [
            "api_token",
            "api_key",
            "token",
            "password",
            "webhook_secret",
            "client_secret",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "owner",
            "repo",
            "project_key",
            "jira_url",
            "board_id",
            "email",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn values_need_a_key_but_env_refs_do_not() {
        let cfg = json!({"api_token": "t0ken", "repo": "r"});
        let err = seal_config(cfg.as_object().unwrap(), None).unwrap_err();
        assert!(matches!(err, StoreError::MissingSecretKey));
        let cfg = json!({"api_token": {"env": "SOME_VAR"}, "repo": "r"});
        let (settings, secrets) = seal_config(cfg.as_object().unwrap(), None).unwrap();
        assert_eq!(settings.get("repo"), Some(&json!("r")));
        assert_eq!(
            secrets["api_token"],
            SealedSecret::Env {
                env: "SOME_VAR".into()
            }
        );
    }

    #[test]
    fn malformed_secret_names_the_field() {
        let cfg = json!({"api_token": {"env": "1bad name"}});
        match seal_config(cfg.as_object().unwrap(), None).unwrap_err() {
            StoreError::Invalid { field, .. } => assert_eq!(field, "config_json.api_token"),
            e => panic!("{e}"),
        }
    }

    #[test]
    fn missing_env_var_is_unresolved() {
        let s = SealedSecret::Env {
            env: "ELDER_TEST_SURELY_UNSET_VAR".into(),
        };
        assert!(!s.status().resolved);
        assert!(matches!(
            s.resolve("api_token", None),
            Err(StoreError::UnresolvedSecret { .. })
        ));
    }
}
