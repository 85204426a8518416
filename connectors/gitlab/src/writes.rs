//! Reads and writes of single items: paths by kind (`iid` for issues and epics, `id` for
//! milestones and labels), assignee usernames resolved to ids, create-then-close for
//! items created closed, and a version check before edits that carry one.

use elder_connector_sdk::{ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem};
use serde_json::{Value, json};

use crate::mapping;
use crate::settings::Settings;

/// `id` when it is a GitLab numeric id (so it cannot inject a path), else `invalid-input`.
pub(crate) fn check_id(id: &str) -> Result<&str, ConnectorError> {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(ConnectorError::invalid_input(format!(
            "`{id}` is not a GitLab id"
        )))
    }
}

fn collection(s: &Settings, kind: Kind) -> Result<String, ConnectorError> {
    Ok(match kind {
        Kind::Issue => s.project_url("/issues"),
        Kind::Milestone => s.project_url("/milestones"),
        Kind::Label => s.project_url("/labels"),
        Kind::Project => s.group_url("/epics")?,
    })
}

fn one(s: &Settings, kind: Kind, id: &str) -> Result<String, ConnectorError> {
    Ok(format!("{}/{}", collection(s, kind)?, check_id(id)?))
}

/// `GET` one item.
pub fn get(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    mapping::any(
        kind,
        &s.api.get(&one(s, kind, id)?).send()?.json::<Value>()?,
    )
}

/// Resolves usernames to user ids (`GET /users?username=`).
fn user_ids(s: &Settings, names: &[String]) -> Result<Vec<u64>, ConnectorError> {
    names
        .iter()
        .map(|n| {
            let enc: String = n
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .collect();
            let found = s
                .api
                .get(&format!("/api/v4/users?username={enc}"))
                .send()?
                .json::<Value>()?;
            found
                .get(0)
                .and_then(|u| u.get("id"))
                .and_then(Value::as_u64)
                .ok_or_else(|| ConnectorError::invalid_input(format!("no GitLab user `{n}`")))
        })
        .collect()
}

/// `POST` a new item, then close it when it was created closed.
pub fn create(s: &Settings, n: NewItem) -> Result<Item, ConnectorError> {
    let ids = if n.kind == Kind::Issue {
        user_ids(s, &n.assignees)?
    } else {
        Vec::new()
    };
    let body = mapping::create_body(&n, &ids)?;
    let created = mapping::any(
        n.kind,
        &s.api
            .post(&collection(s, n.kind)?)
            .json(&body)?
            .send()?
            .json::<Value>()?,
    )?;
    if n.state == ItemState::Closed && n.kind != Kind::Label {
        return set_state(s, n.kind, &created.external_id, ItemState::Closed);
    }
    Ok(created)
}

/// `PUT` the fields a patch sets; a stale `expected_version` is a conflict.
pub fn update(s: &Settings, kind: Kind, id: &str, p: ItemPatch) -> Result<Item, ConnectorError> {
    let url = one(s, kind, id)?;
    if let Some(expected) = &p.expected_version {
        let current = get(s, kind, id)?;
        if current.version.as_deref() != Some(expected.as_str()) {
            return Err(ConnectorError::Conflict(format!(
                "stale version: expected {expected}, platform has {}",
                current.version.unwrap_or_default()
            )));
        }
    }
    let ids = match (&p.assignees, kind) {
        (Some(names), Kind::Issue) => Some(user_ids(s, names)?),
        _ => None,
    };
    let body = mapping::update_body(kind, &p, ids.as_deref())?;
    if body.as_object().is_some_and(|o| o.is_empty()) {
        return get(s, kind, id);
    }
    mapping::any(kind, &s.api.put(&url).json(&body)?.send()?.json::<Value>()?)
}

/// Closes or reopens with `state_event`.
pub fn set_state(
    s: &Settings,
    kind: Kind,
    id: &str,
    state: ItemState,
) -> Result<Item, ConnectorError> {
    if kind == Kind::Label {
        return Err(ConnectorError::unsupported(
            "GitLab labels cannot be closed or reopened",
        ));
    }
    let body = json!({"state_event": mapping::state_event(kind, state)});
    mapping::any(
        kind,
        &s.api
            .put(&one(s, kind, id)?)
            .json(&body)?
            .send()?
            .json::<Value>()?,
    )
}

/// `DELETE` an item (issues need an owner or admin token).
pub fn delete(s: &Settings, kind: Kind, id: &str) -> Result<(), ConnectorError> {
    s.api.delete(&one(s, kind, id)?).send().map(|_| ())
}

/// `GET` the project: its `path_with_namespace`.
pub fn test_connection(s: &Settings) -> Result<String, ConnectorError> {
    let p = s.api.get(&s.project_url("")).send()?.json::<Value>()?;
    Ok(p.get("path_with_namespace")
        .and_then(Value::as_str)
        .unwrap_or("GitLab project")
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_numeric_so_paths_cannot_be_injected() {
        let s = elder_connector_sdk::testing::settings::<crate::GitlabConnector>(&[(
            "project_id",
            "1",
        )])
        .unwrap();
        assert_eq!(
            one(&s, Kind::Issue, "12").unwrap(),
            "https://gitlab.com/api/v4/projects/1/issues/12"
        );
        assert_eq!(
            one(&s, Kind::Milestone, "5").unwrap(),
            "https://gitlab.com/api/v4/projects/1/milestones/5"
        );
        assert!(matches!(
            one(&s, Kind::Issue, "../../users"),
            Err(ConnectorError::InvalidInput(_))
        ));
        assert!(matches!(
            one(&s, Kind::Project, "1"),
            Err(ConnectorError::Unsupported(_))
        ));
    }
}
