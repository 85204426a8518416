//! The platform a sync config targets ([`PlatformId`]: the id a connector serves, any
//! installed connector's), what a config must hold for it ([`ConfigRequirements`], derived
//! from the serving connector's declared config schema and supplied by the caller: the store
//! keeps no table of platforms), and the ranges of the generic config settings.

use std::collections::BTreeMap;
use std::fmt;

use elder_sync_model::{CONFLICT_STRATEGY_KEY, ConfigField, Strategy, is_secret_key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::{Result, StoreError};

/// Longest platform id accepted.
pub const PLATFORM_ID_MAX: usize = 64;

/// The platform a config targets: the platform id of the connector serving it, a lowercase
/// slug (`^[a-z][a-z0-9_-]{0,63}$`, e.g. `github`). Serialises as the plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "github")]
pub struct PlatformId(String);

impl PlatformId {
    /// Checks the slug syntax; a bad one is an invalid `platform` (422).
    pub fn parse(s: &str) -> Result<PlatformId> {
        if is_slug(s) {
            Ok(PlatformId(s.to_string()))
        } else {
            Err(StoreError::invalid(
                "platform",
                format!(
                    "must be a lowercase platform id: a letter, then up to {} letters, digits, `_` or `-`",
                    PLATFORM_ID_MAX - 1
                ),
            ))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_slug(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    first_ok
        && s.len() <= PLATFORM_ID_MAX
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

impl TryFrom<String> for PlatformId {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        PlatformId::parse(&s).map_err(|e| e.to_string())
    }
}

impl From<PlatformId> for String {
    fn from(p: PlatformId) -> String {
        p.0
    }
}

impl fmt::Display for PlatformId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for PlatformId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for PlatformId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// One required key and the keys that may stand in for it (any one suffices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredKey {
    /// The config key the schema marks required.
    pub key: String,
    /// Keys that may stand in for it.
    pub alternatives: Vec<String>,
}

/// The keys a config for one platform must hold, from its connector's config schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigRequirements {
    /// The required keys, each with its stand-ins.
    pub required: Vec<RequiredKey>,
    /// Keys the schema marks secret whose names the store's rule ([`is_secret_key`]) does
    /// not seal: a config may not set them, or the secret would be stored and shown in
    /// plain text.
    pub unsealable_secrets: Vec<String>,
    /// `(alias, key)`: an optional key the schema describes as ``Alias of `KEY` ``. A
    /// config is stored (and shown) under the canonical key.
    pub aliases: Vec<(String, String)>,
}

impl ConfigRequirements {
    /// Nothing required (the connector's schema is not at hand).
    pub fn none() -> Self {
        Self::default()
    }

    /// The requirements a connector declares: every `required` field, each satisfied by
    /// itself or by an optional field whose description starts with ``Alias of `KEY` ``
    /// (the schema's way to declare alternatives, e.g. GitHub's `org` for `owner`).
    pub fn from_schema(schema: &[ConfigField]) -> Self {
        let required = schema
            .iter()
            .filter(|f| f.required)
            .map(|f| RequiredKey {
                key: f.key.clone(),
                alternatives: schema
                    .iter()
                    .filter(|a| !a.required && alias_target(&a.description) == Some(&f.key))
                    .map(|a| a.key.clone())
                    .collect(),
            })
            .collect();
        let unsealable_secrets = schema
            .iter()
            .filter(|f| f.secret && !is_secret_key(&f.key))
            .map(|f| f.key.clone())
            .collect();
        let aliases = schema
            .iter()
            .filter(|a| !a.required)
            .filter_map(|a| Some((a.key.clone(), alias_target(&a.description)?.to_string())))
            .collect();
        Self {
            required,
            unsealable_secrets,
            aliases,
        }
    }

    /// Renames the alias keys of a config to their canonical keys (`org` -> `owner`), in
    /// its plain `settings` and its `secrets` alike; an alias next to its canonical key is
    /// dropped (the connector reads the canonical key first, the alias would never be
    /// read). An alias is kept where the rename would move a value across the secret rule
    /// ([`is_secret_key`]): a plain value never lands under a secret's name, nor the
    /// reverse.
    pub fn canonicalise<S>(
        &self,
        settings: &mut Map<String, Value>,
        secrets: &mut BTreeMap<String, S>,
    ) {
        for (alias, key) in &self.aliases {
            if is_secret_key(alias) != is_secret_key(key) {
                continue;
            }
            let taken = settings.contains_key(key) || secrets.contains_key(key);
            if let Some(v) = settings.remove(alias)
                && !taken
            {
                settings.insert(key.clone(), v);
            }
            if let Some(v) = secrets.remove(alias)
                && !taken
            {
                secrets.insert(key.clone(), v);
            }
        }
    }

    /// Checks that every required key (or one of its alternatives) is present with a
    /// non-empty value; the error names the key and says what `platform` requires.
    pub fn check(&self, platform: &PlatformId, config: &Map<String, Value>) -> Result<()> {
        if let Some(key) = self
            .unsealable_secrets
            .iter()
            .find(|k| config.contains_key(k.as_str()))
        {
            return Err(StoreError::invalid(
                format!("config_json.{key}"),
                format!(
                    "the {platform} connector declares {key} secret, but only keys named like a \
                     credential (api_token, api_key, token, password, secret, private_key, or \
                     ending in _token, _secret, _api_key) are stored sealed: the connector must \
                     rename it before a config can set it"
                ),
            ));
        }
        for r in &self.required {
            let mut names = std::iter::once(&r.key).chain(&r.alternatives);
            if !names.clone().any(|k| present(config.get(k))) {
                let listed: Vec<&str> = names.by_ref().map(String::as_str).collect();
                return Err(StoreError::invalid(
                    format!("config_json.{}", r.key),
                    format!("{platform} requires {}", listed.join(" or ")),
                ));
            }
        }
        Ok(())
    }
}

/// `KEY` when `description` starts with ``Alias of `KEY` ``.
fn alias_target(description: &str) -> Option<&str> {
    let rest = description.strip_prefix("Alias of `")?;
    rest.split_once('`').map(|(key, _)| key)
}

fn present(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Number(_)) | Some(Value::Object(_)) => true,
        _ => false,
    }
}

/// Allowed polling interval, seconds.
pub const SYNC_INTERVAL_RANGE: std::ops::RangeInclusive<i64> = 30..=86_400;
/// Allowed batch size.
pub const BATCH_SIZE_RANGE: std::ops::RangeInclusive<i64> = 1..=1_000;

/// Checks `config_json.conflict_strategy`, when set: one of the [`Strategy`] names.
pub fn check_conflict_strategy(settings: &Map<String, Value>) -> Result<()> {
    let Some(value) = settings.get(CONFLICT_STRATEGY_KEY) else {
        return Ok(());
    };
    let field = format!("config_json.{CONFLICT_STRATEGY_KEY}");
    match value.as_str().map(Strategy::parse) {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(StoreError::invalid(field, e.to_string())),
        None => Err(StoreError::invalid(
            field,
            format!("must be a string, one of: {}", Strategy::allowed()),
        )),
    }
}

/// Checks `config_json.status_map`, when set (see [`elder_sync_model::StatusMap`]): 422
/// naming the map or the entry at fault.
pub fn check_status_map(settings: &Map<String, Value>) -> Result<()> {
    elder_sync_model::check_status_map(settings)
        .map_err(|e| StoreError::invalid(e.field, e.message))
}

/// Checks the polling interval range.
pub fn check_interval(v: i64) -> Result<()> {
    if SYNC_INTERVAL_RANGE.contains(&v) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "sync_interval",
            format!(
                "must be between {} and {} seconds",
                SYNC_INTERVAL_RANGE.start(),
                SYNC_INTERVAL_RANGE.end()
            ),
        ))
    }
}

/// Checks the batch size range.
pub fn check_batch_size(v: i64) -> Result<()> {
    if BATCH_SIZE_RANGE.contains(&v) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "batch_size",
            format!(
                "must be between {} and {}",
                BATCH_SIZE_RANGE.start(),
                BATCH_SIZE_RANGE.end()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(key: &str, description: &str, required: bool) -> ConfigField {
        ConfigField {
            key: key.into(),
            description: description.into(),
            required,
            secret: false,
        }
    }

    fn github_like() -> ConfigRequirements {
        ConfigRequirements::from_schema(&[
            field("api_token", "token", true),
            field("owner", "Repository owner (alias: `org`)", true),
            field("org", "Alias of `owner`", false),
            field("repo", "Repository name", true),
            field("base_url", "API root", false),
        ])
    }

    #[test]
    fn aliases_are_renamed_to_their_canonical_keys() {
        let mut settings = json!({"org": "acme", "repo": "r"})
            .as_object()
            .unwrap()
            .clone();
        let mut secrets = BTreeMap::<String, ()>::new();
        github_like().canonicalise(&mut settings, &mut secrets);
        assert_eq!(
            settings,
            *json!({"owner": "acme", "repo": "r"}).as_object().unwrap()
        );
        let mut both = json!({"org": "alias", "owner": "canonical"})
            .as_object()
            .unwrap()
            .clone();
        github_like().canonicalise(&mut both, &mut secrets);
        assert_eq!(both, *json!({"owner": "canonical"}).as_object().unwrap());
    }

    #[test]
    fn an_alias_stands_in_for_its_required_key() {
        let github = PlatformId::parse("github").unwrap();
        let ok = json!({"api_token": "t", "org": "o", "repo": "r"});
        assert!(
            github_like()
                .check(&github, ok.as_object().unwrap())
                .is_ok()
        );
        let missing = json!({"api_token": "t", "repo": "r"});
        match github_like().check(&github, missing.as_object().unwrap()) {
            Err(StoreError::Invalid { field, message }) => {
                assert_eq!(field, "config_json.owner");
                assert_eq!(message, "github requires owner or org");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blank_values_do_not_count() {
        let p = PlatformId::parse("tracker").unwrap();
        let blank = json!({"api_token": "t", "owner": " ", "repo": "r"});
        let err = github_like().check(&p, blank.as_object().unwrap());
        assert!(
            matches!(err, Err(StoreError::Invalid { field, .. }) if field == "config_json.owner")
        );
        assert!(ConfigRequirements::none().check(&p, &Map::new()).is_ok());
    }

    #[test]
    fn a_secret_the_store_would_not_seal_cannot_be_set() {
        let mut passphrase = field("passphrase", "vault passphrase", false);
        passphrase.secret = true;
        let mut token = field("api_token", "token", true);
        token.secret = true;
        let req = ConfigRequirements::from_schema(&[passphrase, token]);
        assert_eq!(req.unsealable_secrets, ["passphrase"]);
        let p = PlatformId::parse("vault").unwrap();
        let plain = json!({"api_token": "t", "passphrase": "hunter2"});
        let err = req.check(&p, plain.as_object().unwrap());
        assert!(
            matches!(err, Err(StoreError::Invalid { field, .. }) if field == "config_json.passphrase")
        );
        assert!(
            req.check(&p, json!({"api_token": "t"}).as_object().unwrap())
                .is_ok()
        );
    }

    #[test]
    fn platform_ids_are_lowercase_slugs() {
        for ok in ["github", "my-tracker", "a", "x_1", &"a".repeat(64)] {
            assert!(PlatformId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "GitHub", "1abc", "-x", "a b", "ü", &"a".repeat(65)] {
            assert!(PlatformId::parse(bad).is_err(), "{bad}");
        }
        let p: PlatformId = serde_json::from_value(json!("gitlab")).unwrap();
        assert_eq!(serde_json::to_value(&p).unwrap(), json!("gitlab"));
        assert!(serde_json::from_value::<PlatformId>(json!("Bad!")).is_err());
    }

    #[test]
    fn ranges() {
        assert!(check_interval(29).is_err() && check_interval(300).is_ok());
        assert!(check_batch_size(0).is_err() && check_batch_size(1001).is_err());
    }
}
