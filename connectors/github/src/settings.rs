//! The connector's configuration (`owner`/`org`, `repo`, `base_url`) and its
//! [`Client`], which adds GitHub's standard headers to every call.

use elder_connector_sdk::http::percent_encode;
use elder_connector_sdk::{Client, ConnectorError, Field, Values};

/// GitHub's public API.
pub const DEFAULT_BASE_URL: &str = "https://api.github.com";
/// The REST API version the connector speaks.
pub const API_VERSION: &str = "2022-11-28";

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The API root (without a trailing slash) with GitHub's standard headers.
    pub api: Client,
    /// Repository owner (user or organisation).
    pub owner: String,
    /// Repository name.
    pub repo: String,
}

impl elder_connector_sdk::Settings for Settings {
    const FIELDS: &'static [Field] = &[
        Field::new(
            "api_token",
            "GitHub token (fine-grained or classic) with issues read/write",
        )
        .required()
        .secret(),
        Field::new(
            "owner",
            "Repository owner, user or organisation (aliases: `org`, `org_name`)",
        )
        .required()
        .aliases(&["org", "org_name"]),
        Field::new("repo", "Repository name (alias: `repo_name`)")
            .required()
            .aliases(&["repo_name"]),
        Field::new(
            "base_url",
            "API root (default https://api.github.com; GitHub Enterprise: https://HOST/api/v3)",
        )
        .default(DEFAULT_BASE_URL),
        Field::new(
            "webhook_secret",
            "Secret of the repository webhook (HMAC-SHA256)",
        )
        .secret(),
    ];

    fn parse(v: &Values<'_>) -> Result<Self, ConnectorError> {
        let (owner, repo) = (v.text("owner")?, v.text("repo")?);
        for (key, v) in [("owner", &owner), ("repo", &repo)] {
            if v.contains('/') || v.contains(char::is_whitespace) {
                return Err(ConnectorError::invalid_config(format!(
                    "`{key}` must be a bare GitHub name, got {v:?}"
                )));
            }
        }
        Ok(Settings {
            api: github_client(v.url("base_url")?),
            owner,
            repo,
        })
    }
}

impl Settings {
    /// `/repos/{owner}/{repo}` followed by `path` (which starts with `/` or is empty),
    /// relative to the API root.
    pub fn repo_path(&self, path: &str) -> String {
        format!(
            "/repos/{}/{}{path}",
            percent_encode(&self.owner),
            percent_encode(&self.repo)
        )
    }
}

/// A client for `base_url` with the headers GitHub expects on every request.
pub fn github_client(base_url: String) -> Client {
    Client::new(base_url)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", API_VERSION)
        .header("User-Agent", "elder-sync-github-connector")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GitHub;
    use elder_connector_sdk::testing::settings;

    #[test]
    fn the_specification_example_keys_are_aliases() {
        let s = settings::<GitHub>(&[("org_name", "acme"), ("repo_name", "web")]).unwrap();
        assert_eq!((s.owner.as_str(), s.repo.as_str()), ("acme", "web"));
    }

    #[test]
    fn reads_owner_or_org_and_defaults_base_url() {
        let s = settings::<GitHub>(&[("org", "acme"), ("repo", "web")]).unwrap();
        assert_eq!(s.owner, "acme");
        assert_eq!(s.api.base_url(), DEFAULT_BASE_URL);
        assert_eq!(
            s.api.get(&s.repo_path("/issues")).url,
            "https://api.github.com/repos/acme/web/issues"
        );
    }

    #[test]
    fn names_missing_or_bad_keys() {
        let missing = settings::<GitHub>(&[("owner", "a")]);
        assert!(matches!(missing, Err(ConnectorError::InvalidConfig(m)) if m.contains("repo")));
        let bad = settings::<GitHub>(&[("owner", "a/b"), ("repo", "r")]);
        assert!(matches!(bad, Err(ConnectorError::InvalidConfig(m)) if m.contains("owner")));
        let url = settings::<GitHub>(&[("owner", "a"), ("repo", "r"), ("base_url", "x")]);
        assert!(matches!(url, Err(ConnectorError::InvalidConfig(m)) if m.contains("base_url")));
    }
}
