//! Typed connector settings: the [`Settings`] trait, its declared [`Field`] table (the
//! one place a key's description, required/secret flags, default and aliases are
//! written) and the [`Values`] reader the SDK hands to [`Settings::parse`]. The
//! `config-schema` of `describe` and `validate-config` are derived from it.

use crate::{Config, ConfigField, ConnectorError, config};

/// One configuration key a connector declares.
///
/// ```
/// use elder_connector_sdk::Field;
/// const OWNER: Field = Field::new("owner", "Repository owner").required().aliases(&["org"]);
/// assert!(OWNER.required && OWNER.aliases == ["org"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The key, e.g. `base_url`.
    pub key: &'static str,
    /// What it is, for operators.
    pub description: &'static str,
    /// Whether a config without it (or any alias) is invalid.
    pub required: bool,
    /// A secret: declared for the schema and the auth templates only. The host never
    /// gives its value to the connector, so [`Values`] refuses to read it.
    pub secret: bool,
    /// The value used when the key is absent.
    pub default: Option<&'static str>,
    /// Other keys accepted for the same value, tried after `key` (each appears in the
    /// schema as "Alias of `key`").
    pub aliases: &'static [&'static str],
}

impl Field {
    /// An optional, non-secret key without default.
    pub const fn new(key: &'static str, description: &'static str) -> Field {
        Field {
            key,
            description,
            required: false,
            secret: false,
            default: None,
            aliases: &[],
        }
    }

    /// Makes the key required.
    pub const fn required(mut self) -> Field {
        self.required = true;
        self
    }

    /// Makes the key a secret (schema and auth templates only).
    pub const fn secret(mut self) -> Field {
        self.secret = true;
        self
    }

    /// The value used when the key is absent.
    pub const fn default(mut self, value: &'static str) -> Field {
        self.default = Some(value);
        self
    }

    /// Other accepted keys for the same value.
    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Field {
        self.aliases = aliases;
        self
    }

    fn names(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.key).chain(self.aliases.iter().copied())
    }

    fn missing(&self) -> ConnectorError {
        missing(&[self])
    }

    /// `` `key` `` or `` `key` or `alias` ``.
    fn quoted_names(&self) -> String {
        let names: Vec<&str> = self.names().collect();
        format!("`{}`", names.join("` or `"))
    }
}

/// `invalid-config` naming every missing required key.
fn missing(fields: &[&Field]) -> ConnectorError {
    let names: Vec<String> = fields.iter().map(|f| f.quoted_names()).collect();
    let plural = if names.len() == 1 { "" } else { "s" };
    ConnectorError::invalid_config(format!("missing required key{plural} {}", names.join(", ")))
}

/// A connector's typed configuration, parsed once per call by the SDK glue and handed
/// to every [`Connector`](crate::Connector) function.
pub trait Settings: Sized {
    /// Every key the connector reads or the host must know about (secrets included).
    const FIELDS: &'static [Field];

    /// Builds the settings from the declared keys. Required keys are already checked
    /// when this runs; add checks of your own and return `invalid-config` naming the key.
    fn parse(values: &Values<'_>) -> Result<Self, ConnectorError>;
}

/// A connector without settings.
impl Settings for () {
    const FIELDS: &'static [Field] = &[];
    fn parse(_: &Values<'_>) -> Result<(), ConnectorError> {
        Ok(())
    }
}

/// The config-schema of `describe`: the declared fields in order, each alias after its
/// key.
pub fn schema(fields: &[Field]) -> Vec<ConfigField> {
    let mut out = Vec::new();
    for f in fields {
        out.push(ConfigField {
            key: f.key.into(),
            description: f.description.into(),
            required: f.required,
            secret: f.secret,
        });
        out.extend(f.aliases.iter().map(|a| ConfigField {
            key: (*a).into(),
            description: format!("Alias of `{}`", f.key),
            required: false,
            secret: f.secret,
        }));
    }
    out
}

/// Parses `S` from a config: every required non-secret key must be present (all missing
/// ones are named at once), then
/// [`Settings::parse`] runs. This is what `validate-config` answers.
pub fn parse<S: Settings>(config: &Config) -> Result<S, ConnectorError> {
    let values = Values {
        config,
        fields: S::FIELDS,
    };
    let absent: Vec<&Field> = S::FIELDS
        .iter()
        .filter(|f| f.required && !f.secret && f.default.is_none() && values.raw(f).is_none())
        .collect();
    if !absent.is_empty() {
        return Err(missing(&absent));
    }
    S::parse(&values)
}

/// Read access to the declared, non-secret keys of one config. Every reader trims the
/// value, treats an empty one as absent, applies the declared default and answers
/// `invalid-config` naming the key.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    config: &'a Config,
    fields: &'static [Field],
}

impl<'a> Values<'a> {
    fn field(&self, key: &str) -> Result<&'static Field, ConnectorError> {
        let f = self.fields.iter().find(|f| f.key == key).ok_or_else(|| {
            ConnectorError::internal(format!(
                "setting `{key}` is not declared in Settings::FIELDS"
            ))
        })?;
        if f.secret {
            return Err(ConnectorError::internal(format!(
                "setting `{key}` is secret: the host never gives it to the connector"
            )));
        }
        Ok(f)
    }

    fn raw(&self, f: &Field) -> Option<&'a str> {
        f.names().find_map(|k| config::optional(self.config, k))
    }

    /// The value of `key` (or an alias, or its default), if any.
    pub fn optional(&self, key: &str) -> Result<Option<String>, ConnectorError> {
        let f = self.field(key)?;
        Ok(self.raw(f).or(f.default).map(str::to_string))
    }

    /// The value of `key` (or an alias, or its default); `invalid-config` when absent.
    pub fn text(&self, key: &str) -> Result<String, ConnectorError> {
        let f = self.field(key)?;
        self.raw(f)
            .or(f.default)
            .map(str::to_string)
            .ok_or_else(|| f.missing())
    }

    /// An `http(s)://` URL from `key` (or its default) without its trailing `/`.
    pub fn url(&self, key: &str) -> Result<String, ConnectorError> {
        let f = self.field(key)?;
        match self.raw(f) {
            Some(_) => config::base_url(self.config, self.present_name(f), ""),
            None => match f.default {
                Some(d) => Ok(d.trim_end_matches('/').to_string()),
                None => Err(f.missing()),
            },
        }
    }

    /// The value of `key` parsed with `FromStr` (the default parsed the same way).
    pub fn parse<T: std::str::FromStr>(&self, key: &str) -> Result<T, ConnectorError> {
        self.parse_optional(key)?
            .ok_or_else(|| self.field(key).map_or_else(|e| e, |f| f.missing()))
    }

    /// Like [`Values::parse`] but `None` when the key is absent and has no default.
    pub fn parse_optional<T: std::str::FromStr>(
        &self,
        key: &str,
    ) -> Result<Option<T>, ConnectorError> {
        let f = self.field(key)?;
        let Some(v) = self.raw(f).or(f.default) else {
            return Ok(None);
        };
        v.parse().map(Some).map_err(|_| {
            ConnectorError::invalid_config(format!("`{}` has a bad value {v:?}", f.key))
        })
    }

    /// The whole non-secret config, for a connector reading keys it cannot declare
    /// (e.g. a user-chosen mapping prefix).
    pub fn config(&self) -> &'a Config {
        self.config
    }

    fn present_name(&self, f: &Field) -> &'static str {
        f.names()
            .find(|k| config::optional(self.config, k).is_some())
            .unwrap_or(f.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::config as cfg;

    #[derive(Debug, PartialEq)]
    struct Repo {
        owner: String,
        repo: String,
        base_url: String,
        per_page: u32,
        label: Option<String>,
    }

    impl Settings for Repo {
        const FIELDS: &'static [Field] = &[
            Field::new("api_token", "token").required().secret(),
            Field::new("owner", "owner").required().aliases(&["org"]),
            Field::new("repo", "name").required(),
            Field::new("base_url", "root").default("https://api.example/"),
            Field::new("per_page", "page size").default("50"),
            Field::new("label", "a label"),
        ];
        fn parse(v: &Values<'_>) -> Result<Self, ConnectorError> {
            Ok(Repo {
                owner: v.text("owner")?,
                repo: v.text("repo")?,
                base_url: v.url("base_url")?,
                per_page: v.parse("per_page")?,
                label: v.optional("label")?,
            })
        }
    }

    fn invalid(r: Result<Repo, ConnectorError>) -> String {
        match r {
            Err(ConnectorError::InvalidConfig(m)) => m,
            other => panic!("expected invalid-config, got {other:?}"),
        }
    }

    #[test]
    fn parses_aliases_defaults_and_optionals() {
        let s: Repo = parse(&cfg(&[("org", "acme"), ("repo", "web")])).unwrap();
        assert_eq!(
            s,
            Repo {
                owner: "acme".into(),
                repo: "web".into(),
                base_url: "https://api.example".into(),
                per_page: 50,
                label: None
            }
        );
        let s: Repo = parse(&cfg(&[
            ("owner", "o"),
            ("org", "ignored"),
            ("repo", "r"),
            ("base_url", "http://127.0.0.1:9/"),
            ("per_page", "7"),
            ("label", " x "),
        ]))
        .unwrap();
        assert_eq!((s.owner.as_str(), s.per_page), ("o", 7));
        assert_eq!(s.base_url, "http://127.0.0.1:9");
        assert_eq!(s.label.as_deref(), Some("x"));
    }

    #[test]
    fn names_missing_and_bad_keys_but_never_asks_for_secrets() {
        assert_eq!(
            invalid(parse(&cfg(&[("repo", "r")]))),
            "missing required key `owner` or `org`"
        );
        assert_eq!(
            invalid(parse(&cfg(&[("owner", "o"), ("repo", "  ")]))),
            "missing required key `repo`"
        );
        assert_eq!(
            invalid(parse(&cfg(&[]))),
            "missing required keys `owner` or `org`, `repo`"
        );
        let bad_url = cfg(&[("owner", "o"), ("repo", "r"), ("base_url", "ftp://x")]);
        assert!(invalid(parse(&bad_url)).contains("`base_url` must be an http(s) URL"));
        let bad_n = cfg(&[("owner", "o"), ("repo", "r"), ("per_page", "many")]);
        assert_eq!(
            invalid(parse(&bad_n)),
            "`per_page` has a bad value \"many\""
        );
    }

    #[test]
    fn refuses_to_read_secrets_or_undeclared_keys() {
        let c = cfg(&[("api_token", "leaked?")]);
        let v = Values {
            config: &c,
            fields: Repo::FIELDS,
        };
        assert!(
            matches!(v.text("api_token"), Err(ConnectorError::Internal(m)) if m.contains("secret"))
        );
        assert!(
            matches!(v.optional("nope"), Err(ConnectorError::Internal(m)) if m.contains("nope"))
        );
    }

    #[test]
    fn derives_the_schema_with_aliases() {
        let s = schema(Repo::FIELDS);
        let keys: Vec<_> = s.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "api_token",
                "owner",
                "org",
                "repo",
                "base_url",
                "per_page",
                "label"
            ]
        );
        assert!(s[0].secret && s[0].required);
        assert_eq!(s[2].description, "Alias of `owner`");
        assert!(!s[2].required);
    }
}
