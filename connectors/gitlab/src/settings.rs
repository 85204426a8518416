//! The GitLab connector's configuration keys, their validation and the API
//! [`Client`] every request is built with (`Accept: application/json`).

use elder_connector_sdk::{Client, ConnectorError, Field, Values};

/// Validated settings read from a config.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `https://gitlab.com` or a self-managed instance, without trailing slash.
    pub base_url: String,
    /// The project id, or its `namespace/name` path URL-encoded for use in paths.
    pub project: String,
    /// The group id whose epics are synced as projects.
    pub group_id: Option<String>,
    /// Builds every request: the instance root and `Accept: application/json`
    /// (statuses such as 401, 404, 409, 429 are mapped to errors by the SDK).
    pub api: Client,
}

impl elder_connector_sdk::Settings for Settings {
    const FIELDS: &'static [Field] = &[
        Field::new(
            "api_token",
            "Personal, project or group access token with the `api` scope",
        )
        .required()
        .secret(),
        Field::new("project_id", "Numeric project id or `namespace/name`").required(),
        Field::new(
            "base_url",
            "GitLab instance URL (default https://gitlab.com)",
        )
        .default("https://gitlab.com"),
        Field::new(
            "group_id",
            "Numeric group id whose epics sync as projects (Premium)",
        ),
        Field::new(
            "webhook_secret",
            "Webhook secret token (X-Gitlab-Token) or signing token (whsec_...)",
        )
        .secret(),
    ];

    fn parse(v: &Values<'_>) -> Result<Settings, ConnectorError> {
        // The instance root; an API root as written in the specification's example
        // (`https://gitlab.com/api/v4`) is the same instance.
        let given = v.text("base_url")?;
        let given = given.trim_end_matches('/');
        let base_url = given
            .strip_suffix("/api/v4")
            .unwrap_or(given)
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://"))
            || base_url.contains(' ')
        {
            return Err(ConnectorError::invalid_config(
                "base_url must be an http(s) URL, e.g. https://gitlab.example.com",
            ));
        }
        let project = v.text("project_id")?;
        let valid = project
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            && !project.starts_with('/')
            && !project.ends_with('/');
        if !valid {
            return Err(ConnectorError::invalid_config(
                "project_id must be a numeric id or a namespace/name path",
            ));
        }
        let group_id = match v.optional("group_id")? {
            Some(g) if g.chars().all(|c| c.is_ascii_digit()) => Some(g),
            Some(_) => {
                return Err(ConnectorError::invalid_config(
                    "group_id must be a numeric group id",
                ));
            }
            None => None,
        };
        Ok(Settings {
            api: Client::new(base_url.clone()).header("Accept", "application/json"),
            base_url,
            project: project.replace('/', "%2F"),
            group_id,
        })
    }
}

impl Settings {
    /// `<base>/api/v4/projects/<project><path>`.
    pub fn project_url(&self, path: &str) -> String {
        format!("{}/api/v4/projects/{}{}", self.base_url, self.project, path)
    }

    /// `<base>/api/v4/groups/<group><path>`, or `unsupported` without a group.
    pub fn group_url(&self, path: &str) -> Result<String, ConnectorError> {
        let g = self.group_id.as_ref().ok_or_else(|| {
            ConnectorError::unsupported(
                "projects (epics) need group_id in the config and a Premium licence",
            )
        })?;
        Ok(format!("{}/api/v4/groups/{}{}", self.base_url, g, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GitlabConnector;

    fn parse(pairs: &[(&str, &str)]) -> Result<Settings, ConnectorError> {
        elder_connector_sdk::testing::settings::<GitlabConnector>(pairs)
    }

    #[test]
    fn defaults_to_gitlab_com_and_encodes_paths() {
        let s = parse(&[("project_id", "acme/widgets")]).unwrap();
        assert_eq!(s.base_url, "https://gitlab.com");
        assert_eq!(
            s.project_url("/issues"),
            "https://gitlab.com/api/v4/projects/acme%2Fwidgets/issues"
        );
        assert!(s.group_url("/epics").is_err());
    }

    #[test]
    fn rejects_missing_and_malformed_keys() {
        assert!(
            matches!(parse(&[]), Err(ConnectorError::InvalidConfig(m)) if m.contains("project_id"))
        );
        assert!(
            matches!(parse(&[("project_id", "1"), ("base_url", "ftp://x")]), Err(ConnectorError::InvalidConfig(m)) if m.contains("base_url"))
        );
        assert!(
            matches!(parse(&[("project_id", "1"), ("group_id", "abc")]), Err(ConnectorError::InvalidConfig(m)) if m.contains("group_id"))
        );
        assert!(matches!(
            parse(&[("project_id", "a b")]),
            Err(ConnectorError::InvalidConfig(_))
        ));
    }

    #[test]
    fn an_api_v4_root_is_the_same_instance() {
        for given in [
            "https://gitlab.example.com/api/v4",
            "https://gitlab.example.com/api/v4/",
        ] {
            let s = parse(&[("project_id", "5"), ("base_url", given)]).unwrap();
            assert_eq!(
                s.project_url(""),
                "https://gitlab.example.com/api/v4/projects/5",
                "{given}"
            );
        }
    }

    #[test]
    fn trims_trailing_slash_of_self_managed_url() {
        let s = parse(&[
            ("project_id", "5"),
            ("base_url", "http://127.0.0.1:9/"),
            ("group_id", "7"),
        ])
        .unwrap();
        assert_eq!(s.project_url(""), "http://127.0.0.1:9/api/v4/projects/5");
        assert_eq!(
            s.group_url("/epics").unwrap(),
            "http://127.0.0.1:9/api/v4/groups/7/epics"
        );
    }
}
