//! Jira webhook deliveries -> change events: `jira:issue_created|updated|deleted`
//! (an update whose changelog moves the status into or out of the `done` category is a
//! close or reopen), `comment_created|updated|deleted` as an update of the issue without an
//! item (the host reads its comments), `sprint_*` as milestone changes and `component_*` as
//! label changes. Version and other events give no changes. Retries reuse the delivery id, which the
//! host de-duplicates; a late retry carries the issue as it was then, and `occurred_at`
//! (the event's `timestamp`) lets the engine ignore it when newer data is stored.

use elder_connector_sdk::{Change, ChangeAction, ConnectorError, ItemState, Kind};
use serde_json::Value;

use crate::mapping;
use crate::settings::Settings;

/// Translates one delivery. `sprint_field` names the sprint field when known.
pub fn parse(
    s: &Settings,
    body: &[u8],
    sprint_field: Option<&str>,
) -> Result<Vec<Change>, ConnectorError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ConnectorError::invalid_input(format!("webhook body is not JSON: {e}")))?;
    let event = v.get("webhookEvent").and_then(Value::as_str).unwrap_or("");
    let at = v.get("timestamp").and_then(Value::as_i64).unwrap_or(0);
    match event {
        "jira:issue_created" | "jira:issue_updated" | "jira:issue_deleted" => {
            issue_change(s, &v, event, at, sprint_field).map(|c| c.into_iter().collect())
        }
        "comment_created" | "comment_updated" | "comment_deleted" => {
            comment_change(s, &v, at).map(|c| c.into_iter().collect())
        }
        e if e.starts_with("sprint_") => sprint_change(&v, e, at).map(|c| vec![c]),
        e if e.starts_with("component_") => component_change(&v, e, at).map(|c| vec![c]),
        _ => Ok(Vec::new()),
    }
}

fn issue_change(
    s: &Settings,
    v: &Value,
    event: &str,
    at: i64,
    sf: Option<&str>,
) -> Result<Option<Change>, ConnectorError> {
    let issue = v
        .get("issue")
        .ok_or_else(|| ConnectorError::invalid_input("issue event without `issue`"))?;
    let key = issue
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| ConnectorError::invalid_input("issue event without a key"))?;
    if !in_project(key, &s.project_key) {
        return Ok(None);
    }
    if event == "jira:issue_deleted" {
        return Ok(Some(Change {
            kind: Kind::Issue,
            external_id: key.to_string(),
            action: ChangeAction::Deleted,
            item: None,
            occurred_at: at,
        }));
    }
    let item = mapping::issue(s, issue, sf)?;
    let action = if event == "jira:issue_created" {
        ChangeAction::Created
    } else if status_changed(v) {
        if item.state == ItemState::Closed {
            ChangeAction::Closed
        } else {
            ChangeAction::Reopened
        }
    } else {
        ChangeAction::Updated
    };
    Ok(Some(Change {
        kind: Kind::Issue,
        external_id: key.to_string(),
        action,
        occurred_at: at.max(item.updated_at),
        item: Some(item),
    }))
}

/// A comment written, edited or deleted: its issue changed, no item to apply.
fn comment_change(s: &Settings, v: &Value, at: i64) -> Result<Option<Change>, ConnectorError> {
    let key = v
        .pointer("/issue/key")
        .and_then(Value::as_str)
        .ok_or_else(|| ConnectorError::invalid_input("comment event without issue.key"))?;
    if !in_project(key, &s.project_key) {
        return Ok(None);
    }
    Ok(Some(Change {
        kind: Kind::Issue,
        external_id: key.to_string(),
        action: ChangeAction::Updated,
        item: None,
        occurred_at: at,
    }))
}

fn in_project(key: &str, project: &str) -> bool {
    key.rsplit_once('-').is_some_and(|(p, _)| p == project)
}

/// Whether the changelog moved the status between open and done (a `resolution` change
/// accompanies those moves; a plain status change within one category is an update).
fn status_changed(v: &Value) -> bool {
    let items = v.pointer("/changelog/items").and_then(Value::as_array);
    let has = |f: &str| {
        items
            .into_iter()
            .flatten()
            .any(|i| i.get("field").and_then(Value::as_str) == Some(f))
    };
    has("status") && has("resolution")
}

fn sprint_change(v: &Value, event: &str, at: i64) -> Result<Change, ConnectorError> {
    let sprint = v
        .get("sprint")
        .ok_or_else(|| ConnectorError::invalid_input("sprint event without `sprint`"))?;
    let item = mapping::sprint(sprint)?;
    let action = match event {
        "sprint_created" => ChangeAction::Created,
        "sprint_closed" => ChangeAction::Closed,
        "sprint_deleted" => ChangeAction::Deleted,
        _ => ChangeAction::Updated,
    };
    // A sprint carries no update time, so the item keeps none (as the listing's does): the
    // delivery's timestamp says when Jira sent it, not which state is newer, and a
    // `sprint_created` delivered after a backfill read the edited sprint must not roll it
    // back. Without a time the host compares the payload with what it synced and, when they
    // differ, reads the sprint's current state before applying anything.
    let item = (action != ChangeAction::Deleted).then_some(item);
    let id = sprint.get("id").map(|i| i.to_string()).unwrap_or_default();
    Ok(Change {
        kind: Kind::Milestone,
        external_id: id,
        action,
        item,
        occurred_at: at,
    })
}

fn component_change(v: &Value, event: &str, at: i64) -> Result<Change, ConnectorError> {
    let comp = v
        .get("component")
        .ok_or_else(|| ConnectorError::invalid_input("component event without `component`"))?;
    let item = mapping::component(comp)?;
    let action = match event {
        "component_created" => ChangeAction::Created,
        "component_deleted" => ChangeAction::Deleted,
        _ => ChangeAction::Updated,
    };
    Ok(Change {
        kind: Kind::Label,
        external_id: item.external_id.clone(),
        action,
        item: (action != ChangeAction::Deleted).then_some(item),
        occurred_at: at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> Settings {
        elder_connector_sdk::testing::settings::<crate::JiraConnector>(&[
            ("jira_url", "https://acme.atlassian.net"),
            ("email", "a@b.c"),
            ("project_key", "ELD"),
        ])
        .unwrap()
    }

    fn event(name: &str, key: &str, cat: &str, items: Value) -> Vec<u8> {
        json!({"webhookEvent": name, "timestamp": 1_700_000_000_000i64, "issue": {"id": "1", "key": key, "fields": {
            "summary": "S", "updated": "2023-11-14T22:13:20.000+0000", "status": {"name": "X", "statusCategory": {"key": cat}}}},
            "changelog": {"items": items}}).to_string().into_bytes()
    }

    #[test]
    fn comment_events_are_updates_of_their_issue_without_an_item() {
        let s = settings();
        for name in ["comment_created", "comment_updated", "comment_deleted"] {
            let body = json!({"webhookEvent": name, "timestamp": 1_700_000_000_000i64,
                              "comment": {"id": "10001", "body": "hi"}, "issue": {"id": "1", "key": "ELD-3"}});
            let c = parse(&s, body.to_string().as_bytes(), None).unwrap();
            assert_eq!(c.len(), 1, "{name}");
            assert_eq!(
                (
                    c[0].kind,
                    c[0].external_id.as_str(),
                    c[0].action,
                    c[0].item.is_none()
                ),
                (Kind::Issue, "ELD-3", ChangeAction::Updated, true)
            );
            assert_eq!(c[0].occurred_at, 1_700_000_000_000);
        }
        let other = json!({"webhookEvent": "comment_created", "issue": {"key": "OTHER-1"}});
        assert!(
            parse(&s, other.to_string().as_bytes(), None)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn issue_events_map_to_actions() {
        let s = settings();
        let c = parse(
            &s,
            &event("jira:issue_created", "ELD-1", "new", json!([])),
            None,
        )
        .unwrap();
        assert_eq!(
            (c[0].action, c[0].external_id.as_str()),
            (ChangeAction::Created, "ELD-1")
        );
        let moves = json!([{"field": "status"}, {"field": "resolution"}]);
        assert_eq!(
            parse(
                &s,
                &event("jira:issue_updated", "ELD-1", "done", moves.clone()),
                None
            )
            .unwrap()[0]
                .action,
            ChangeAction::Closed
        );
        assert_eq!(
            parse(
                &s,
                &event("jira:issue_updated", "ELD-1", "new", moves),
                None
            )
            .unwrap()[0]
                .action,
            ChangeAction::Reopened
        );
        let edit = json!([{"field": "summary"}]);
        assert_eq!(
            parse(&s, &event("jira:issue_updated", "ELD-1", "new", edit), None).unwrap()[0].action,
            ChangeAction::Updated
        );
        let del = parse(
            &s,
            &event("jira:issue_deleted", "ELD-1", "new", json!([])),
            None,
        )
        .unwrap();
        assert_eq!(
            (del[0].action, del[0].item.is_none()),
            (ChangeAction::Deleted, true)
        );
    }

    #[test]
    fn other_projects_and_unknown_events_give_nothing() {
        let s = settings();
        assert!(
            parse(
                &s,
                &event("jira:issue_created", "OPS-1", "new", json!([])),
                None
            )
            .unwrap()
            .is_empty()
        );
        assert!(
            parse(&s, br#"{"webhookEvent":"jira:version_created"}"#, None)
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            parse(&s, b"<xml/>", None),
            Err(ConnectorError::InvalidInput(_))
        ));
    }

    #[test]
    fn sprint_events_are_milestone_changes() {
        let body = json!({"webhookEvent": "sprint_closed", "timestamp": 5, "sprint": {"id": 9, "name": "S1", "state": "closed"}}).to_string();
        let c = parse(&settings(), body.as_bytes(), None).unwrap();
        assert_eq!(
            (c[0].kind, c[0].external_id.as_str(), c[0].action),
            (Kind::Milestone, "9", ChangeAction::Closed)
        );
        assert_eq!(
            c[0].item.as_ref().map(|i| i.updated_at),
            Some(0),
            "a sprint payload has no update time: the host must not order it by the delivery's"
        );
        assert_eq!(c[0].occurred_at, 5);
    }
}
