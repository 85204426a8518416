//! The OpenProject connector's configuration: instance URL, project, and which statuses
//! closing and reopening use, and the API [`Client`] (`Accept: application/hal+json`); the
//! typed API v3 calls built on it are in [`api`].

pub mod api;

use elder_connector_sdk::{Client, ConnectorError, Field, Values};

/// The parsed configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Instance root without a trailing slash, e.g. `https://op.example.com`.
    pub base_url: String,
    /// The project's numeric id or identifier.
    pub project_id: String,
    /// Status (name or id) closing moves to; default: the first closed status.
    pub closed_status: Option<String>,
    /// Status (name or id) reopening moves to; default: the default status.
    pub reopen_status: Option<String>,
    /// Builds every request: root `<base_url>/api/v3`, `Accept: application/hal+json`.
    pub api: Client,
}

impl elder_connector_sdk::Settings for Settings {
    const FIELDS: &'static [Field] = &[
        Field::new(
            "api_key",
            "OpenProject API key (Basic auth as user `apikey`)",
        )
        .required()
        .secret(),
        Field::new("base_url", "Instance root, e.g. https://op.example.com").required(),
        Field::new("project_id", "Project id or identifier").required(),
        Field::new(
            "closed_status",
            "Status name or id that closing sets (default: the first closed status)",
        ),
        Field::new(
            "reopen_status",
            "Status name or id that reopening sets (default: the default status)",
        ),
    ];

    fn parse(v: &Values<'_>) -> Result<Settings, ConnectorError> {
        let base_url = v.text("base_url")?.trim_end_matches('/').to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(ConnectorError::invalid_config(
                "base_url must be an http(s) URL",
            ));
        }
        let project_id = v.text("project_id")?;
        if !project_id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            return Err(ConnectorError::invalid_config(
                "project_id must be a project id or identifier",
            ));
        }
        Ok(Settings {
            api: Client::new(format!("{base_url}/api/v3")).header("Accept", "application/hal+json"),
            base_url,
            project_id,
            closed_status: v.optional("closed_status")?,
            reopen_status: v.optional("reopen_status")?,
        })
    }
}

impl Settings {
    /// A HAL `href` (relative `/api/v3/...` or absolute) as an absolute URL.
    pub fn absolute(&self, href: &str) -> String {
        if href.starts_with("http://") || href.starts_with("https://") {
            href.to_string()
        } else {
            format!("{}{href}", self.base_url)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Settings, ConnectorError> {
        elder_connector_sdk::testing::settings::<crate::OpenProject>(pairs)
    }

    #[test]
    fn required_keys_are_named_when_missing_or_bad() {
        let e = parse(&[("project_id", "elder")]).unwrap_err();
        assert!(matches!(e, ConnectorError::InvalidConfig(ref m) if m.contains("base_url")));
        let e = parse(&[("base_url", "https://op.example.com")]).unwrap_err();
        assert!(matches!(e, ConnectorError::InvalidConfig(ref m) if m.contains("project_id")));
        let e = parse(&[
            ("base_url", "https://op.example.com"),
            ("project_id", "../x"),
        ])
        .unwrap_err();
        assert!(matches!(e, ConnectorError::InvalidConfig(ref m) if m.contains("project_id")));
    }

    #[test]
    fn relative_links_resolve_against_the_instance() {
        let c = parse(&[
            ("base_url", "https://op.example.com/"),
            ("project_id", "elder"),
        ])
        .unwrap();
        assert_eq!(
            c.api.get("statuses").url,
            "https://op.example.com/api/v3/statuses"
        );
        assert_eq!(
            c.absolute("/api/v3/work_packages/5"),
            "https://op.example.com/api/v3/work_packages/5"
        );
        assert_eq!(c.absolute("https://other/x"), "https://other/x");
    }
}
