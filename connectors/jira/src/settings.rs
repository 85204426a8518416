//! The Jira connector's configuration keys, their validation and the API [`Client`]
//! every request is built with (`Accept: application/json`).

pub mod meta;

use elder_connector_sdk::{Client, ConnectorError, Field, Values};
use serde_json::Value;

/// Validated settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `https://<site>.atlassian.net`, without trailing slash.
    pub jira_url: String,
    /// The project key, e.g. `ELD`.
    pub project_key: String,
    /// The issue type new issues get (default `Task`).
    pub issue_type: String,
    /// Status to move to when closing (none: any status in the `done` category).
    pub closed_status: Option<String>,
    /// Status to move to when reopening (none: any status not in the `done` category,
    /// preferring the `new` category).
    pub open_status: Option<String>,
    /// The sprint custom field id (none: looked up in `/rest/api/3/field`).
    pub sprint_field: Option<String>,
    /// The Agile board whose sprints are milestones (none: the project's first board).
    pub board_id: Option<String>,
    /// Builds every request: the site root and `Accept: application/json` (statuses
    /// such as 401, 404, 409, 429 are mapped to errors by the SDK).
    pub api: Client,
}

impl elder_connector_sdk::Settings for Settings {
    const FIELDS: &'static [Field] = &[
        Field::new("api_token", "Atlassian API token of the account below")
            .required()
            .secret(),
        Field::new("email", "Atlassian account e-mail the token belongs to").required(),
        Field::new("jira_url", "Site URL, e.g. https://acme.atlassian.net").required(),
        Field::new("project_key", "Project key, e.g. ELD").required(),
        Field::new("issue_type", "Issue type of new issues (default Task)").default("Task"),
        Field::new(
            "status_map",
            r#"Statuses for close/reopen, JSON: {"closed":"Done","open":"To Do"}"#,
        ),
        Field::new(
            "sprint_field",
            "Sprint custom field id (default: looked up)",
        ),
        Field::new(
            "board_id",
            "Agile board whose sprints are milestones (default: the project's first)",
        ),
        Field::new(
            "webhook_secret",
            "Secret of the admin webhook (X-Hub-Signature)",
        )
        .secret(),
    ];

    fn parse(v: &Values<'_>) -> Result<Settings, ConnectorError> {
        // A bare site name (`acme.atlassian.net`, as the specification's example writes
        // it) means its https URL.
        let given = v.text("jira_url")?;
        let given = given.trim_end_matches('/');
        let jira_url = if given.contains("://") {
            given.to_string()
        } else {
            format!("https://{given}")
        };
        if !(jira_url.starts_with("https://") || jira_url.starts_with("http://"))
            || jira_url.contains(' ')
        {
            return Err(ConnectorError::invalid_config(
                "jira_url must be an http(s) URL",
            ));
        }
        if !v.text("email")?.contains('@') {
            return Err(ConnectorError::invalid_config(
                "email is required (the Atlassian account of the API token)",
            ));
        }
        let project_key = v.text("project_key")?;
        if !project_key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            || !project_key.starts_with(|c: char| c.is_ascii_uppercase())
        {
            return Err(ConnectorError::invalid_config(
                "project_key must be a Jira project key such as ELD",
            ));
        }
        let (open_status, closed_status) = status_map(v.optional("status_map")?.as_deref())?;
        let sprint_field = v.optional("sprint_field")?;
        if sprint_field
            .as_ref()
            .is_some_and(|f| !f.starts_with("customfield_"))
        {
            return Err(ConnectorError::invalid_config(
                "sprint_field must look like customfield_10020",
            ));
        }
        let board_id = v.optional("board_id")?;
        if board_id
            .as_ref()
            .is_some_and(|b| !b.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(ConnectorError::invalid_config("board_id must be numeric"));
        }
        Ok(Settings {
            api: Client::new(jira_url.clone()).header("Accept", "application/json"),
            jira_url,
            project_key,
            issue_type: v.text("issue_type")?,
            closed_status,
            open_status,
            sprint_field,
            board_id,
        })
    }
}

/// `status_map`: a JSON object `{"open": "To Do", "closed": "Done"}` (either key optional).
fn status_map(raw: Option<&str>) -> Result<(Option<String>, Option<String>), ConnectorError> {
    let Some(raw) = raw else {
        return Ok((None, None));
    };
    let bad = || {
        ConnectorError::invalid_config(
            r#"status_map must be a JSON object like {"open":"To Do","closed":"Done"}"#,
        )
    };
    let v: Value = serde_json::from_str(raw).map_err(|_| bad())?;
    let obj = v.as_object().ok_or_else(bad)?;
    if obj.keys().any(|k| k != "open" && k != "closed") {
        return Err(bad());
    }
    let get = |k: &str| -> Result<Option<String>, ConnectorError> {
        match obj.get(k) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            _ => Err(bad()),
        }
    };
    Ok((get("open")?, get("closed")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::testing::settings;

    fn parse(extra: &[(&str, &str)]) -> Result<Settings, ConnectorError> {
        // Extras come first: they override the defaults after them.
        let mut pairs = extra.to_vec();
        pairs.extend_from_slice(&[
            ("jira_url", "https://acme.atlassian.net/"),
            ("email", "a@b.c"),
            ("project_key", "ELD"),
        ]);
        settings::<crate::JiraConnector>(&pairs)
    }

    #[test]
    fn a_bare_site_name_means_its_https_url() {
        let s = parse(&[("jira_url", "acme.atlassian.net")]).unwrap();
        assert_eq!(s.jira_url, "https://acme.atlassian.net");
        assert!(matches!(
            parse(&[("jira_url", "ftp://acme.atlassian.net")]),
            Err(ConnectorError::InvalidConfig(m)) if m.contains("jira_url")
        ));
    }

    #[test]
    fn defaults_and_status_map() {
        let s = parse(&[]).unwrap();
        assert_eq!(
            (
                s.jira_url.as_str(),
                s.issue_type.as_str(),
                s.closed_status.clone()
            ),
            ("https://acme.atlassian.net", "Task", None)
        );
        let s = parse(&[
            ("status_map", r#"{"closed":"Won't Do","open":"To Do"}"#),
            ("issue_type", "Bug"),
        ])
        .unwrap();
        assert_eq!(
            (
                s.closed_status.as_deref(),
                s.open_status.as_deref(),
                s.issue_type.as_str()
            ),
            (Some("Won't Do"), Some("To Do"), "Bug")
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        for (k, v) in [
            ("status_map", "closed=Done"),
            ("status_map", r#"{"shut":"Done"}"#),
            ("project_key", "eld x"),
            ("sprint_field", "sprint"),
            ("board_id", "b1"),
        ] {
            let e = parse(&[(k, v)]).unwrap_err();
            assert!(
                matches!(&e, ConnectorError::InvalidConfig(m) if m.contains(k)),
                "{k}={v}: {e:?}"
            );
        }
        assert!(
            matches!(settings::<crate::JiraConnector>(&[]), Err(ConnectorError::InvalidConfig(m)) if m.contains("jira_url"))
        );
    }
}
