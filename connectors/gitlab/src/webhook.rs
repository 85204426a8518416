//! GitLab webhook deliveries -> change events: `Issue Hook` (and `work_item` issues),
//! `Confidential Issue Hook`, `Milestone Hook`, and `Note Hook` on an issue (an `updated`
//! change of the issue without an item: the host reads its comments). Other events (push,
//! notes on merge requests, pings) give no changes. Pure: the host has already checked `X-Gitlab-Token` or the
//! Standard Webhooks signature.

use elder_connector_sdk::{Change, ChangeAction, ConnectorError, Kind};
use serde_json::Value;

use crate::{mapping, model};
use elder_connector_sdk::time;

/// Translates one delivery.
pub fn parse(headers: &[(String, String)], body: &[u8]) -> Result<Vec<Change>, ConnectorError> {
    let event = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-gitlab-event"))
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ConnectorError::invalid_input(format!("webhook body is not JSON: {e}")))?;
    let kind = v.get("object_kind").and_then(Value::as_str).unwrap_or("");
    match (event, kind) {
        (_, "issue") => issue_change(&v).map(|c| vec![c]),
        (_, "work_item") if attr(&v, "type") == "Issue" => issue_change(&v).map(|c| vec![c]),
        (_, "milestone") => milestone_change(&v).map(|c| vec![c]),
        (_, "note") if attr(&v, "noteable_type") == "Issue" => note_change(&v).map(|c| vec![c]),
        _ => Ok(Vec::new()),
    }
}

fn attrs(v: &Value) -> Result<&Value, ConnectorError> {
    v.get("object_attributes")
        .filter(|a| a.is_object())
        .ok_or_else(|| ConnectorError::invalid_input("webhook without object_attributes"))
}

fn attr<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get("object_attributes")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn issue_change(v: &Value) -> Result<Change, ConnectorError> {
    let a = attrs(v)?;
    let action = match a.get("action").and_then(Value::as_str).unwrap_or("update") {
        "open" => ChangeAction::Created,
        "close" => ChangeAction::Closed,
        "reopen" => ChangeAction::Reopened,
        "delete" => ChangeAction::Deleted,
        _ => ChangeAction::Updated,
    };
    let item = mapping::issue(a, v.get("assignees"))?;
    Ok(Change {
        kind: Kind::Issue,
        external_id: item.external_id.clone(),
        action,
        occurred_at: item.updated_at,
        item: Some(item),
    })
}

/// A note on an issue: the issue changed (its comments), no item to apply.
fn note_change(v: &Value) -> Result<Change, ConnectorError> {
    let a = attrs(v)?;
    let iid = v
        .get("issue")
        .and_then(|i| model::id_text(i, "iid"))
        .ok_or_else(|| ConnectorError::invalid_input("note hook without issue.iid"))?;
    let occurred_at = a
        .get("updated_at")
        .and_then(Value::as_str)
        .and_then(|t| time::parse_timestamp(t).ok())
        .unwrap_or(0);
    Ok(Change {
        kind: Kind::Issue,
        external_id: iid,
        action: ChangeAction::Updated,
        item: None,
        occurred_at,
    })
}

fn milestone_change(v: &Value) -> Result<Change, ConnectorError> {
    let a = attrs(v)?;
    let action = match v
        .get("action")
        .or_else(|| a.get("action"))
        .and_then(Value::as_str)
        .unwrap_or("update")
    {
        "create" => ChangeAction::Created,
        "close" => ChangeAction::Closed,
        "reopen" | "activate" => ChangeAction::Reopened,
        "delete" => ChangeAction::Deleted,
        _ => ChangeAction::Updated,
    };
    let occurred_at = a
        .get("updated_at")
        .and_then(Value::as_str)
        .and_then(|t| time::parse_timestamp(t).ok())
        .unwrap_or(0);
    if action == ChangeAction::Deleted {
        let id = a
            .get("id")
            .map(|i| i.to_string())
            .ok_or_else(|| ConnectorError::invalid_input("milestone hook without id"))?;
        return Ok(Change {
            kind: Kind::Milestone,
            external_id: id,
            action,
            item: None,
            occurred_at,
        });
    }
    let item = mapping::milestone(a)?;
    Ok(Change {
        kind: Kind::Milestone,
        external_id: item.external_id.clone(),
        action,
        occurred_at,
        item: Some(item),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::ItemState;
    use serde_json::json;

    fn hdr(event: &str) -> Vec<(String, String)> {
        vec![("X-Gitlab-Event".into(), event.into())]
    }

    fn issue_hook(action: &str, state: &str) -> Vec<u8> {
        json!({"object_kind": "issue", "object_attributes": {"id": 1, "iid": 4, "title": "T", "description": "d", "state": state,
               "action": action, "created_at": "2013-12-03T17:15:43Z", "updated_at": "2017-09-15 16:50:55 UTC", "labels": [{"title": "bug"}]},
               "assignees": [{"username": "ann"}]}).to_string().into_bytes()
    }

    #[test]
    fn issue_actions_map_to_change_actions() {
        for (a, st, want) in [
            ("open", "opened", ChangeAction::Created),
            ("update", "opened", ChangeAction::Updated),
            ("close", "closed", ChangeAction::Closed),
            ("reopen", "opened", ChangeAction::Reopened),
        ] {
            let c = parse(&hdr("Issue Hook"), &issue_hook(a, st)).unwrap();
            assert_eq!(c.len(), 1);
            assert_eq!(
                (c[0].kind, c[0].external_id.as_str(), c[0].action),
                (Kind::Issue, "4", want)
            );
            let item = c[0].item.as_ref().unwrap();
            assert_eq!(
                item.state,
                if st == "closed" {
                    ItemState::Closed
                } else {
                    ItemState::Open
                }
            );
            assert_eq!(c[0].occurred_at, 1_505_494_255_000);
            assert_eq!(item.assignees, ["ann"]);
        }
    }

    #[test]
    fn milestone_hook_including_delete() {
        let body = json!({"object_kind": "milestone", "action": "close", "object_attributes": {"id": 61, "iid": 1, "title": "v1", "state": "closed",
                          "updated_at": "2025-01-01 00:00:00 UTC"}}).to_string();
        let c = parse(&hdr("Milestone Hook"), body.as_bytes()).unwrap();
        assert_eq!(
            (c[0].kind, c[0].external_id.as_str(), c[0].action),
            (Kind::Milestone, "61", ChangeAction::Closed)
        );
        let del = body.replace("\"close\"", "\"delete\"");
        let c = parse(&hdr("Milestone Hook"), del.as_bytes()).unwrap();
        assert_eq!(
            (c[0].action, c[0].item.is_none()),
            (ChangeAction::Deleted, true)
        );
    }

    #[test]
    fn a_note_on_an_issue_is_an_update_of_the_issue_without_an_item() {
        let body = json!({"object_kind": "note", "object_attributes": {"id": 1241, "note": "hi", "noteable_type": "Issue",
                          "updated_at": "2017-09-15 16:50:55 UTC", "action": "create"}, "issue": {"id": 92, "iid": 17}});
        let c = parse(&hdr("Note Hook"), body.to_string().as_bytes()).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (
                c[0].kind,
                c[0].external_id.as_str(),
                c[0].action,
                c[0].item.is_none()
            ),
            (Kind::Issue, "17", ChangeAction::Updated, true)
        );
        assert_eq!(c[0].occurred_at, 1_505_494_255_000);
        let on_mr = body.to_string().replace("\"Issue\"", "\"MergeRequest\"");
        assert!(
            parse(&hdr("Note Hook"), on_mr.as_bytes())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn unrelated_events_give_nothing_and_garbage_is_invalid_input() {
        assert!(
            parse(&hdr("Push Hook"), br#"{"object_kind":"push"}"#)
                .unwrap()
                .is_empty()
        );
        assert!(parse(&hdr("Issue Hook"), b"not json").is_err());
        assert!(matches!(
            parse(&hdr("Issue Hook"), br#"{"object_kind":"issue"}"#),
            Err(ConnectorError::InvalidInput(_))
        ));
    }
}
