//! Reads and writes: `get`, `create`, `update`, `close`, `reopen`, `delete`.
//! Request bodies are built by pure functions; the I/O functions only send them.

use elder_connector_sdk::http::percent_encode;
use elder_connector_sdk::{ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem};
use serde_json::{Map, Value, json};

use crate::mapping::{CLOSE_REASONS, date_of, due_on_of, issue_item, label_item, milestone_item};
use crate::model::{GhIssue, GhLabel, GhMilestone};
use crate::settings::Settings;

fn number(kind: Kind, id: &str) -> Result<u64, ConnectorError> {
    id.parse().map_err(|_| {
        ConnectorError::invalid_input(format!("{kind:?} id must be a number, got {id:?}"))
    })
}

fn extras_object(extras: Option<&str>) -> Result<Map<String, Value>, ConnectorError> {
    match extras.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(Map::new()),
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(ConnectorError::invalid_input(
                "extras must be a JSON object".to_string(),
            )),
        },
    }
}

fn state_word(s: ItemState) -> &'static str {
    match s {
        ItemState::Open => "open",
        ItemState::Closed => "closed",
    }
}

/// The path of one item of `kind`.
pub fn item_path(kind: Kind, id: &str) -> Result<String, ConnectorError> {
    match kind {
        Kind::Issue => Ok(format!("/issues/{}", number(kind, id)?)),
        Kind::Milestone => Ok(format!("/milestones/{}", number(kind, id)?)),
        Kind::Label => Ok(format!("/labels/{}", percent_encode(id))),
        Kind::Project => Err(unsupported_projects()),
    }
}

fn unsupported_projects() -> ConnectorError {
    ConnectorError::unsupported("GitHub projects (v2) are GraphQL-only")
}

fn milestone_number(r: &str) -> Result<Value, ConnectorError> {
    Ok(json!(number(Kind::Milestone, r)?))
}

/// The milestone's `due_on` from extras: the shared `due_date` (`null` clears it), else a
/// raw `due_on`; `None` when neither is given.
fn due_on(extras: &Map<String, Value>) -> Result<Option<Value>, ConnectorError> {
    match extras.get("due_date") {
        Some(Value::Null) => Ok(Some(Value::Null)),
        Some(Value::String(d)) if date_of(d).as_deref() == Some(d.as_str()) => {
            Ok(Some(json!(due_on_of(d))))
        }
        Some(other) => Err(ConnectorError::invalid_input(format!(
            "due_date must be a date YYYY-MM-DD or null, got {other}"
        ))),
        None => Ok(extras.get("due_on").cloned()),
    }
}

/// A label colour as GitHub takes it (hex without `#`) from the shared `color`.
fn colour(extras: &Map<String, Value>) -> Option<String> {
    let c = extras.get("color")?.as_str()?;
    Some(c.trim_start_matches('#').to_ascii_lowercase())
}

/// The POST body creating `item` (issues: `state` is applied afterwards).
pub fn create_body(item: &NewItem) -> Result<Value, ConnectorError> {
    let extras = extras_object(Some(&item.extras))?;
    match item.kind {
        Kind::Issue => {
            let mut body = json!({
                "title": item.title,
                "body": item.body,
                "labels": item.labels,
                "assignees": item.assignees,
            });
            if let Some(m) = &item.milestone_ref {
                body["milestone"] = milestone_number(m)?;
            }
            Ok(body)
        }
        Kind::Milestone => {
            let mut body = json!({
                "title": item.title,
                "description": item.body,
                "state": state_word(item.state),
            });
            if let Some(due) = due_on(&extras)? {
                body["due_on"] = due;
            }
            Ok(body)
        }
        Kind::Label => Ok(json!({
            "name": item.title,
            "description": item.body,
            "color": colour(&extras).unwrap_or_else(|| "ededed".into()),
        })),
        Kind::Project => Err(unsupported_projects()),
    }
}

/// The PATCH body for an issue: only the fields the patch sets.
pub fn issue_patch_body(p: &ItemPatch) -> Result<Value, ConnectorError> {
    let extras = extras_object(p.extras.as_deref())?;
    let mut body = Map::new();
    if let Some(t) = &p.title {
        body.insert("title".into(), json!(t));
    }
    if let Some(b) = &p.body {
        body.insert("body".into(), json!(b));
    }
    // A close reason as the status name closes the issue for that reason (unless the patch
    // reopens it); else a close takes `extras.state_reason` or `completed`.
    let status_reason = p
        .status_name
        .as_deref()
        .filter(|s| CLOSE_REASONS.contains(s));
    let state = match (p.state, status_reason) {
        (Some(ItemState::Open), _) => Some(ItemState::Open),
        (_, Some(_)) => Some(ItemState::Closed),
        (state, None) => state,
    };
    if let Some(state) = state {
        body.insert("state".into(), json!(state_word(state)));
        let asked = status_reason.or_else(|| extras.get("state_reason").and_then(Value::as_str));
        let reason = match (state, asked) {
            (ItemState::Closed, Some(r)) if CLOSE_REASONS.contains(&r) => r,
            (ItemState::Closed, _) => "completed",
            (ItemState::Open, _) => "reopened",
        };
        body.insert("state_reason".into(), json!(reason));
    }
    if let Some(l) = &p.labels {
        body.insert("labels".into(), json!(l));
    }
    if let Some(a) = &p.assignees {
        body.insert("assignees".into(), json!(a));
    }
    match &p.milestone_ref {
        Some(Some(m)) => {
            body.insert("milestone".into(), milestone_number(m)?);
        }
        Some(None) => {
            body.insert("milestone".into(), Value::Null);
        }
        None => {}
    }
    Ok(Value::Object(body))
}

/// The PATCH body for a milestone.
pub fn milestone_patch_body(p: &ItemPatch) -> Result<Value, ConnectorError> {
    let extras = extras_object(p.extras.as_deref())?;
    let mut body = Map::new();
    if let Some(t) = &p.title {
        body.insert("title".into(), json!(t));
    }
    if let Some(b) = &p.body {
        body.insert("description".into(), json!(b));
    }
    if let Some(s) = p.state {
        body.insert("state".into(), json!(state_word(s)));
    }
    if let Some(due) = due_on(&extras)? {
        body.insert("due_on".into(), due);
    }
    Ok(Value::Object(body))
}

/// The PATCH body for a label (`title` renames it).
pub fn label_patch_body(p: &ItemPatch) -> Result<Value, ConnectorError> {
    let extras = extras_object(p.extras.as_deref())?;
    let mut body = Map::new();
    if let Some(t) = &p.title {
        body.insert("new_name".into(), json!(t));
    }
    if let Some(b) = &p.body {
        body.insert("description".into(), json!(b));
    }
    if let Some(c) = colour(&extras) {
        body.insert("color".into(), json!(c));
    }
    if p.state == Some(ItemState::Closed) {
        return Err(ConnectorError::unsupported("labels cannot be closed"));
    }
    Ok(Value::Object(body))
}

/// Maps a response body of `kind` to an item.
fn to_item(kind: Kind, resp: &elder_connector_sdk::http::Response) -> Result<Item, ConnectorError> {
    match kind {
        Kind::Issue => {
            let issue: GhIssue = resp.json()?;
            if issue.is_pull_request() {
                return Err(ConnectorError::NotFound(format!(
                    "#{} is a pull request, not an issue",
                    issue.number
                )));
            }
            issue_item(&issue)
        }
        Kind::Milestone => milestone_item(&resp.json::<GhMilestone>()?),
        Kind::Label => Ok(label_item(
            &resp.json::<GhLabel>()?,
            elder_connector_sdk::clock::now_ms(),
        )),
        Kind::Project => Err(unsupported_projects()),
    }
}

/// Reads one item.
pub fn get(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    let path = s.repo_path(&item_path(kind, id)?);
    to_item(kind, &s.api.get(&path).send()?)
}

fn collection(kind: Kind) -> Result<&'static str, ConnectorError> {
    match kind {
        Kind::Issue => Ok("/issues"),
        Kind::Milestone => Ok("/milestones"),
        Kind::Label => Ok("/labels"),
        Kind::Project => Err(unsupported_projects()),
    }
}

/// Creates an item; a closed issue is created then closed.
pub fn create(s: &Settings, item: &NewItem) -> Result<Item, ConnectorError> {
    let path = s.repo_path(collection(item.kind)?);
    let req = s.api.post(&path).json(&create_body(item)?)?;
    let created = to_item(item.kind, &req.send()?)?;
    if item.kind == Kind::Issue && item.state == ItemState::Closed {
        return close(s, Kind::Issue, &created.external_id);
    }
    Ok(created)
}

/// Applies a patch; a stale `expected_version` is a conflict.
pub fn update(s: &Settings, kind: Kind, id: &str, p: &ItemPatch) -> Result<Item, ConnectorError> {
    if let Some(expected) = &p.expected_version {
        let current = get(s, kind, id)?;
        if current.version.as_deref() != Some(expected.as_str()) {
            return Err(ConnectorError::Conflict(format!(
                "{kind:?} {id} changed on GitHub: expected version {expected}, found {}",
                current.version.unwrap_or_default()
            )));
        }
    }
    let body = match kind {
        Kind::Issue => issue_patch_body(p)?,
        Kind::Milestone => milestone_patch_body(p)?,
        Kind::Label => label_patch_body(p)?,
        Kind::Project => return Err(unsupported_projects()),
    };
    let path = s.repo_path(&item_path(kind, id)?);
    to_item(kind, &s.api.patch(&path).json(&body)?.send()?)
}

fn set_state(s: &Settings, kind: Kind, id: &str, state: ItemState) -> Result<Item, ConnectorError> {
    if kind == Kind::Label {
        return Err(ConnectorError::unsupported(
            "labels have no open/closed state",
        ));
    }
    let patch = ItemPatch {
        title: None,
        body: None,
        state: Some(state),
        status_name: None,
        labels: None,
        assignees: None,
        milestone_ref: None,
        parent_ref: None,
        expected_version: None,
        extras: None,
    };
    update(s, kind, id, &patch)
}

/// Closes an issue (`state_reason: completed`) or milestone.
pub fn close(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    set_state(s, kind, id, ItemState::Closed)
}

/// Reopens an issue (`state_reason: reopened`) or milestone.
pub fn reopen(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    set_state(s, kind, id, ItemState::Open)
}

/// Deletes a milestone or label; issues cannot be deleted through REST.
pub fn delete(s: &Settings, kind: Kind, id: &str) -> Result<(), ConnectorError> {
    if kind == Kind::Issue {
        return Err(ConnectorError::unsupported(
            "GitHub's REST API cannot delete issues (close or transfer them instead)",
        ));
    }
    let path = s.repo_path(&item_path(kind, id)?);
    s.api.delete(&path).send()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_patch() -> ItemPatch {
        ItemPatch {
            title: None,
            body: None,
            state: None,
            status_name: None,
            labels: None,
            assignees: None,
            milestone_ref: None,
            parent_ref: None,
            expected_version: None,
            extras: None,
        }
    }

    #[test]
    fn issue_patch_sends_only_set_fields() {
        let mut p = empty_patch();
        p.title = Some("New".into());
        p.labels = Some(vec!["bug".into()]);
        p.milestone_ref = Some(None);
        assert_eq!(
            issue_patch_body(&p).unwrap(),
            json!({"title": "New", "labels": ["bug"], "milestone": null})
        );
        assert_eq!(issue_patch_body(&empty_patch()).unwrap(), json!({}));
    }

    #[test]
    fn closing_sets_a_state_reason() {
        let mut p = empty_patch();
        p.state = Some(ItemState::Closed);
        assert_eq!(
            issue_patch_body(&p).unwrap(),
            json!({"state": "closed", "state_reason": "completed"})
        );
        p.extras = Some(r#"{"state_reason":"not_planned"}"#.into());
        assert_eq!(issue_patch_body(&p).unwrap()["state_reason"], "not_planned");
        p.state = Some(ItemState::Open);
        assert_eq!(issue_patch_body(&p).unwrap()["state_reason"], "reopened");
    }

    #[test]
    fn bad_ids_and_extras_are_invalid_input() {
        let mut p = empty_patch();
        p.milestone_ref = Some(Some("v1".into()));
        assert!(matches!(
            issue_patch_body(&p),
            Err(ConnectorError::InvalidInput(_))
        ));
        p.milestone_ref = None;
        p.extras = Some("[1]".into());
        assert!(matches!(
            issue_patch_body(&p),
            Err(ConnectorError::InvalidInput(_))
        ));
        assert!(matches!(
            item_path(Kind::Issue, "abc"),
            Err(ConnectorError::InvalidInput(_))
        ));
        assert_eq!(
            item_path(Kind::Label, "good first issue").unwrap(),
            "/labels/good%20first%20issue"
        );
    }

    #[test]
    fn create_bodies_per_kind() {
        let item = NewItem {
            kind: Kind::Issue,
            title: "T".into(),
            body: "B".into(),
            state: ItemState::Open,
            labels: vec!["bug".into()],
            assignees: vec!["octocat".into()],
            milestone_ref: Some("3".into()),
            parent_ref: None,
            extras: "{}".into(),
        };
        assert_eq!(
            create_body(&item).unwrap(),
            json!({"title":"T","body":"B","labels":["bug"],"assignees":["octocat"],"milestone":3})
        );
        let label = NewItem {
            kind: Kind::Label,
            extras: r##"{"color":"ff0000"}"##.into(),
            ..item.clone()
        };
        assert_eq!(
            create_body(&label).unwrap(),
            json!({"name":"T","description":"B","color":"ff0000"})
        );
        let ms = NewItem {
            kind: Kind::Milestone,
            state: ItemState::Closed,
            ..item
        };
        assert_eq!(
            create_body(&ms).unwrap(),
            json!({"title":"T","description":"B","state":"closed"})
        );
    }

    #[test]
    fn labels_cannot_be_closed() {
        let mut p = empty_patch();
        p.state = Some(ItemState::Closed);
        assert!(matches!(
            label_patch_body(&p),
            Err(ConnectorError::Unsupported(_))
        ));
        p.state = None;
        p.title = Some("defect".into());
        assert_eq!(label_patch_body(&p).unwrap(), json!({"new_name": "defect"}));
    }
}
