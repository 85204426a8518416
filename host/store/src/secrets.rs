//! Which configuration keys are secret, how secret values are sealed for storage
//! (encrypted value or environment-variable reference), and how they are reported and resolved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::crypto::SecretBox;
use crate::error::{Result, StoreError};

/// True for configuration keys whose values are secret (the one name rule, shared with
/// the runtime, which withholds such keys from connectors).
pub use elder_sync_model::is_secret_key;

/// The default prefix an environment-variable secret reference must start with
/// (`ELDER_SECRET_ENV_PREFIX` changes it): `{"env": "DATABASE_URL"}` or
/// `{"env": "ELDER_SECRET_KEY"}` must not send the host's own settings to a platform.
pub const DEFAULT_ENV_PREFIX: &str = "ELDER_SECRET_";

/// The service's own settings that hold secrets: never a reference target, whatever the
/// prefix (`ELDER_SECRET_KEY` itself starts with the default prefix).
const HOST_SECRET_SETTINGS: [&str; 3] = ["ELDER_SECRET_KEY", "DATABASE_URL", "KILLKRILL_API_KEY"];

/// A secret as the caller gives it: a value, or `{"env": "VAR"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SecretInput {
    Value(String),
    Env { env: String },
}

impl SecretInput {
    /// Reads a secret from a JSON value (string or `{"env": "VAR"}`, where `VAR` must
    /// start with `env_prefix`).
    pub fn from_json(field: &str, v: &Value, env_prefix: &str) -> Result<Self> {
        match v {
            Value::String(s) if !s.is_empty() => Ok(SecretInput::Value(s.clone())),
            Value::Object(o) => match (o.len(), o.get("env")) {
                (1, Some(Value::String(var))) if valid_env_name(var) => {
                    if env_ref_allowed(var, env_prefix) {
                        Ok(SecretInput::Env { env: var.clone() })
                    } else {
                        Err(StoreError::invalid(
                            field,
                            format!(
                                "environment secret references must name a variable starting \
                                 with {env_prefix} (for example {env_prefix}GITHUB_TOKEN) and not \
                                 one of the service's own settings; {var} is not one"
                            ),
                        ))
                    }
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

/// Whether a secret reference may name environment variable `var`: it starts with the
/// configured prefix (and is longer) and is none of the service's own secret settings.
/// Checked when a reference is stored and again whenever one is resolved, so a row
/// stored before the rule (or written behind the API's back) cannot name them either.
fn env_ref_allowed(var: &str, env_prefix: &str) -> bool {
    !HOST_SECRET_SETTINGS.contains(&var)
        && var.starts_with(env_prefix)
        && var.len() > env_prefix.len()
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

    /// The plaintext: decrypted, or read from the environment (only a variable a
    /// reference may name under `env_prefix`).
    pub fn resolve(&self, name: &str, key: Option<&SecretBox>, env_prefix: &str) -> Result<String> {
        match self {
            SealedSecret::Encrypted { enc } => key.ok_or(StoreError::SecretsLocked)?.decrypt(enc),
            SealedSecret::Env { env } if !env_ref_allowed(env, env_prefix) => {
                Err(StoreError::ForbiddenSecretRef {
                    key: name.to_string(),
                    var: env.clone(),
                })
            }
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
    /// True when the secret has a value (stored or referenced).
    pub set: bool,
    /// Where its value lives.
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
    env_prefix: &str,
) -> Result<(Map<String, Value>, BTreeMap<String, SealedSecret>)> {
    let mut settings = Map::new();
    let mut secrets = BTreeMap::new();
    for (k, v) in input {
        if is_secret_key(k) {
            let field = format!("config_json.{k}");
            let sealed = SealedSecret::seal(&SecretInput::from_json(&field, v, env_prefix)?, key)?;
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
        let err = seal_config(cfg.as_object().unwrap(), None, DEFAULT_ENV_PREFIX).unwrap_err();
        assert!(matches!(err, StoreError::MissingSecretKey));
        let cfg = json!({"api_token": {"env": "ELDER_SECRET_SOME_VAR"}, "repo": "r"});
        let (settings, secrets) =
            seal_config(cfg.as_object().unwrap(), None, DEFAULT_ENV_PREFIX).unwrap();
        assert_eq!(settings.get("repo"), Some(&json!("r")));
        assert_eq!(
            secrets["api_token"],
            SealedSecret::Env {
                env: "ELDER_SECRET_SOME_VAR".into()
            }
        );
    }

    #[test]
    fn malformed_secret_names_the_field() {
        let cfg = json!({"api_token": {"env": "1bad name"}});
        match seal_config(cfg.as_object().unwrap(), None, DEFAULT_ENV_PREFIX).unwrap_err() {
            StoreError::Invalid { field, .. } => assert_eq!(field, "config_json.api_token"),
            e => panic!("{e}"),
        }
    }

    #[test]
    fn env_refs_outside_the_prefix_are_refused_naming_the_field() {
        for var in ["ELDER_SECRET_KEY", "DATABASE_URL", "ELDER_SECRET_", "HOME"] {
            let cfg = json!({"api_token": {"env": var}});
            match seal_config(cfg.as_object().unwrap(), None, DEFAULT_ENV_PREFIX).unwrap_err() {
                StoreError::Invalid { field, message } => {
                    assert_eq!(field, "config_json.api_token");
                    assert!(message.contains("ELDER_SECRET_"), "{message}");
                }
                e => panic!("{var}: {e}"),
            }
        }
        let cfg = json!({"api_token": {"env": "ACME_GH"}});
        assert!(seal_config(cfg.as_object().unwrap(), None, "ACME_").is_ok());
    }

    #[test]
    fn missing_env_var_is_unresolved() {
        let s = SealedSecret::Env {
            env: "ELDER_SECRET_SURELY_UNSET_VAR".into(),
        };
        assert!(!s.status().resolved);
        assert!(matches!(
            s.resolve("api_token", None, DEFAULT_ENV_PREFIX),
            Err(StoreError::UnresolvedSecret { .. })
        ));
    }
}
