//! Reading keys from the non-secret [`Config`] the host passes on every call, with
//! `invalid-config` errors that name the key.

use crate::{Config, ConnectorError};

/// The value of `key`, if present (empty values count as absent).
pub fn optional<'a>(config: &'a Config, key: &str) -> Option<&'a str> {
    config
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.value.trim())
        .filter(|v| !v.is_empty())
}

/// The value of `key`, or `invalid-config` naming it.
pub fn required<'a>(config: &'a Config, key: &str) -> Result<&'a str, ConnectorError> {
    optional(config, key)
        .ok_or_else(|| ConnectorError::invalid_config(format!("missing required key `{key}`")))
}

/// The value of the first of `keys` present (aliases, e.g. `owner` or `org`), or
/// `invalid-config` naming them all.
pub fn required_any<'a>(config: &'a Config, keys: &[&str]) -> Result<&'a str, ConnectorError> {
    keys.iter()
        .find_map(|k| optional(config, k))
        .ok_or_else(|| {
            ConnectorError::invalid_config(format!(
                "missing required key `{}`",
                keys.join("` or `")
            ))
        })
}

/// An `http(s)://` base URL from `key` without its trailing `/`, or `default`; any
/// other value is `invalid-config` naming the key.
pub fn base_url(config: &Config, key: &str, default: &str) -> Result<String, ConnectorError> {
    let url = optional(config, key).unwrap_or(default);
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        return Err(ConnectorError::invalid_config(format!(
            "`{key}` must be an http(s) URL, got {url:?}"
        )));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// A value of `key` parsed with `FromStr`, or `default` when absent.
pub fn parsed<T: std::str::FromStr>(
    config: &Config,
    key: &str,
    default: T,
) -> Result<T, ConnectorError> {
    match optional(config, key) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ConnectorError::invalid_config(format!("`{key}` has a bad value {v:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConfigEntry;

    fn cfg(pairs: &[(&str, &str)]) -> Config {
        pairs
            .iter()
            .map(|(k, v)| ConfigEntry {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect()
    }

    #[test]
    fn reads_required_and_optional_keys() {
        let c = cfg(&[("owner", "octo"), ("empty", "  ")]);
        assert_eq!(required(&c, "owner"), Ok("octo"));
        assert_eq!(optional(&c, "empty"), None);
        match required(&c, "repo") {
            Err(ConnectorError::InvalidConfig(m)) => assert!(m.contains("`repo`")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_aliases() {
        assert_eq!(
            required_any(&cfg(&[("org", "o")]), &["owner", "org"]),
            Ok("o")
        );
        match required_any(&cfg(&[]), &["owner", "org"]) {
            Err(ConnectorError::InvalidConfig(m)) => {
                assert!(m.contains("owner") && m.contains("org"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn validates_base_urls() {
        assert_eq!(
            base_url(&cfg(&[]), "base_url", "https://api.github.com"),
            Ok("https://api.github.com".into())
        );
        assert_eq!(
            base_url(
                &cfg(&[("base_url", "http://127.0.0.1:9/")]),
                "base_url",
                "x"
            ),
            Ok("http://127.0.0.1:9".into())
        );
        assert!(matches!(
            base_url(&cfg(&[("base_url", "ftp://x")]), "base_url", "x"),
            Err(ConnectorError::InvalidConfig(m)) if m.contains("base_url")
        ));
    }

    #[test]
    fn parses_values() {
        assert_eq!(parsed(&cfg(&[("n", "5")]), "n", 1u32), Ok(5));
        assert_eq!(parsed(&cfg(&[]), "n", 1u32), Ok(1));
        assert!(parsed(&cfg(&[("n", "x")]), "n", 1u32).is_err());
    }
}
