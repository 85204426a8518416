//! The connector's configuration (`owner`/`org`, `repo`, `base_url`) and the
//! request builder that adds GitHub's standard headers to every call.

use elder_connector_sdk::http::{Request, percent_encode};
use elder_connector_sdk::{Config, ConnectorError, config};

/// GitHub's public API.
pub const DEFAULT_BASE_URL: &str = "https://api.github.com";
/// The REST API version the connector speaks.
pub const API_VERSION: &str = "2022-11-28";

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// API root without a trailing slash.
    pub base_url: String,
    /// Repository owner (user or organisation).
    pub owner: String,
    /// Repository name.
    pub repo: String,
}

impl Settings {
    /// Reads and checks the configuration.
    pub fn from_config(cfg: &Config) -> Result<Self, ConnectorError> {
        let owner = config::required_any(cfg, &["owner", "org"])?;
        let repo = config::required(cfg, "repo")?;
        for (key, v) in [("owner", owner), ("repo", repo)] {
            if v.contains('/') || v.contains(char::is_whitespace) {
                return Err(ConnectorError::invalid_config(format!(
                    "`{key}` must be a bare GitHub name, got {v:?}"
                )));
            }
        }
        Ok(Settings {
            base_url: config::base_url(cfg, "base_url", DEFAULT_BASE_URL)?,
            owner: owner.to_string(),
            repo: repo.to_string(),
        })
    }

    /// `{base}/repos/{owner}/{repo}` followed by `path` (which starts with `/` or is empty).
    pub fn repo_url(&self, path: &str) -> String {
        format!(
            "{}/repos/{}/{}{path}",
            self.base_url,
            percent_encode(&self.owner),
            percent_encode(&self.repo)
        )
    }
}

/// Adds the headers GitHub expects on every request.
pub fn with_github_headers(req: Request) -> Request {
    req.header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", API_VERSION)
        .header("User-Agent", "elder-sync-github-connector")
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::ConfigEntry;

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
    fn reads_owner_or_org_and_defaults_base_url() {
        let s = Settings::from_config(&cfg(&[("org", "acme"), ("repo", "web")])).unwrap();
        assert_eq!(s.owner, "acme");
        assert_eq!(s.base_url, DEFAULT_BASE_URL);
        assert_eq!(
            s.repo_url("/issues"),
            "https://api.github.com/repos/acme/web/issues"
        );
    }

    #[test]
    fn names_missing_or_bad_keys() {
        let missing = Settings::from_config(&cfg(&[("owner", "a")]));
        assert!(matches!(missing, Err(ConnectorError::InvalidConfig(m)) if m.contains("repo")));
        let bad = Settings::from_config(&cfg(&[("owner", "a/b"), ("repo", "r")]));
        assert!(matches!(bad, Err(ConnectorError::InvalidConfig(m)) if m.contains("owner")));
        let url = Settings::from_config(&cfg(&[("owner", "a"), ("repo", "r"), ("base_url", "x")]));
        assert!(matches!(url, Err(ConnectorError::InvalidConfig(m)) if m.contains("base_url")));
    }
}
