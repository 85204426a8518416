//! GitLab JSON <-> canonical items: issues, milestones, labels and epics, and the request
//! bodies for creates and edits (comma label lists, `milestone_id` 0 to unset,
//! `state_event` close|reopen|activate).

use elder_connector_sdk::{ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem};
use serde_json::{Map, Value, json};

use crate::model::{id_text, label_names, required_id, s, updated_ms};

fn state_of(v: &Value) -> ItemState {
    match s(v, "state") {
        "closed" => ItemState::Closed,
        _ => ItemState::Open,
    }
}

fn item(kind: Kind, id: String, v: &Value, updated_at: i64) -> Item {
    let url = v
        .get("web_url")
        .or_else(|| v.get("url"))
        .and_then(Value::as_str);
    Item::new(kind, id, s(v, "title"), state_of(v), updated_at)
        .body(s(v, "description"))
        .url(url)
        .version(updated_at.to_string())
}

/// An issue from the REST API or a hook's `object_attributes` (plus the hook's
/// top-level `assignees` when given).
pub fn issue(v: &Value, hook_assignees: Option<&Value>) -> Result<Item, ConnectorError> {
    let mut it = item(Kind::Issue, required_id(v, "iid")?, v, updated_ms(v)?);
    it.labels = label_names(v);
    let assignees = hook_assignees.or_else(|| v.get("assignees"));
    it.assignees = assignees
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|u| s(u, "username").to_string())
                .filter(|u| !u.is_empty())
                .collect()
        })
        .unwrap_or_default();
    it.milestone_ref = v
        .get("milestone")
        .and_then(|m| id_text(m, "id"))
        .or_else(|| id_text(v, "milestone_id"));
    it.parent_ref = v
        .get("epic")
        .and_then(|e| id_text(e, "iid"))
        .or_else(|| id_text(v, "epic_iid"));
    // `user_notes_count` counts people's notes, not system notes: the comments Elder syncs.
    // `due_date` is already the shared date; GitLab issues have no start date.
    it.extras = json!({"id": v.get("id"), "confidential": v.get("confidential"),
                       "comment_count": v.get("user_notes_count"),
                       "due_date": v.get("due_date").cloned().unwrap_or(Value::Null)})
    .to_string();
    Ok(it)
}

/// A project milestone (`active` maps to open).
pub fn milestone(v: &Value) -> Result<Item, ConnectorError> {
    let mut it = item(Kind::Milestone, required_id(v, "id")?, v, updated_ms(v)?);
    // `start_date` and `due_date` are already the shared dates (`YYYY-MM-DD` or null).
    it.extras = json!({
        "due_date": v.get("due_date").cloned().unwrap_or(Value::Null),
        "start_date": v.get("start_date").cloned().unwrap_or(Value::Null),
        "iid": v.get("iid"),
    })
    .to_string();
    Ok(it)
}

/// A project label. Labels carry no timestamp: `updated_at` is 0 and the version is a
/// fingerprint of name, color and description.
pub fn label(v: &Value) -> Result<Item, ConnectorError> {
    let mut it = item(Kind::Label, required_id(v, "id")?, v, 0);
    it.title = s(v, "name").to_string();
    it.state = ItemState::Open;
    it.version = Some(format!(
        "{}|{}|{}",
        s(v, "name"),
        s(v, "color"),
        s(v, "description")
    ));
    // The shared colour is `#rrggbb` in lowercase; GitLab answers either case.
    let colour = v
        .get("color")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    it.extras = json!({ "color": colour }).to_string();
    Ok(it)
}

/// A group epic, synced as an Elder project.
pub fn epic(v: &Value) -> Result<Item, ConnectorError> {
    let mut it = item(Kind::Project, required_id(v, "iid")?, v, updated_ms(v)?);
    it.labels = label_names(v);
    Ok(it)
}

/// Maps any kind's JSON.
pub fn any(kind: Kind, v: &Value) -> Result<Item, ConnectorError> {
    match kind {
        Kind::Issue => issue(v, None),
        Kind::Milestone => milestone(v),
        Kind::Label => label(v),
        Kind::Project => epic(v),
    }
}

fn extras(text: Option<&str>) -> Result<Map<String, Value>, ConnectorError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Map::new()),
        Some(t) => match serde_json::from_str(t) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(ConnectorError::invalid_input(
                "extras must be a JSON object",
            )),
        },
    }
}

fn milestone_id(r: Option<&str>) -> Result<Value, ConnectorError> {
    match r {
        None => Ok(json!(0)),
        Some(id) => id.parse::<u64>().map(|n| json!(n)).map_err(|_| {
            ConnectorError::invalid_input(format!(
                "milestone ref `{id}` is not a GitLab milestone id"
            ))
        }),
    }
}

/// Copies the shared dates `keys` that hold a value from `extras` into a create body.
fn set_dates(b: &mut Map<String, Value>, extras: &Map<String, Value>, keys: &[&str]) {
    for key in keys {
        if let Some(d) = extras.get(*key).filter(|d| !d.is_null()) {
            b.insert((*key).into(), d.clone());
        }
    }
}

/// The body of `POST` for a new item (assignee ids resolved by the caller).
pub fn create_body(n: &NewItem, assignee_ids: &[u64]) -> Result<Value, ConnectorError> {
    if n.title.trim().is_empty() {
        return Err(ConnectorError::invalid_input("title must not be empty"));
    }
    let x = extras(Some(&n.extras))?;
    let mut b = Map::new();
    match n.kind {
        Kind::Label => {
            b.insert("name".into(), json!(n.title));
            b.insert(
                "color".into(),
                x.get("color").cloned().unwrap_or(json!("#6699cc")),
            );
            b.insert("description".into(), json!(n.body));
        }
        Kind::Milestone => {
            b.insert("title".into(), json!(n.title));
            b.insert("description".into(), json!(n.body));
            set_dates(&mut b, &x, &["due_date", "start_date"]);
        }
        Kind::Issue | Kind::Project => {
            b.insert("title".into(), json!(n.title));
            b.insert("description".into(), json!(n.body));
            b.insert("labels".into(), json!(n.labels.join(",")));
            if n.kind == Kind::Issue {
                b.insert("assignee_ids".into(), json!(assignee_ids));
                set_dates(&mut b, &x, &["due_date"]);
                if n.milestone_ref.is_some() {
                    b.insert(
                        "milestone_id".into(),
                        milestone_id(n.milestone_ref.as_deref())?,
                    );
                }
            }
        }
    }
    Ok(Value::Object(b))
}

/// The body of `PUT` for a patch (assignee ids resolved by the caller when the patch
/// sets assignees). Label patches replace the set with a comma list.
pub fn update_body(
    kind: Kind,
    p: &ItemPatch,
    assignee_ids: Option<&[u64]>,
) -> Result<Value, ConnectorError> {
    let mut b = extras(p.extras.as_deref())?;
    if kind == Kind::Label {
        if let Some(t) = &p.title {
            b.insert("new_name".into(), json!(t));
        }
        if let Some(d) = &p.body {
            b.insert("description".into(), json!(d));
        }
        return Ok(Value::Object(b));
    }
    if let Some(t) = &p.title {
        if t.trim().is_empty() {
            return Err(ConnectorError::invalid_input("title must not be empty"));
        }
        b.insert("title".into(), json!(t));
    }
    if let Some(d) = &p.body {
        b.insert("description".into(), json!(d));
    }
    if let Some(st) = p.state {
        b.insert("state_event".into(), json!(state_event(kind, st)));
    }
    if let Some(l) = &p.labels {
        b.insert("labels".into(), json!(l.join(",")));
    }
    if let Some(ids) = assignee_ids {
        b.insert("assignee_ids".into(), json!(ids));
    }
    if let Some(m) = &p.milestone_ref {
        b.insert("milestone_id".into(), milestone_id(m.as_deref())?);
    }
    Ok(Value::Object(b))
}

/// `close`/`reopen`, or `close`/`activate` for milestones.
pub fn state_event(kind: Kind, st: ItemState) -> &'static str {
    match (kind, st) {
        (_, ItemState::Closed) => "close",
        (Kind::Milestone, ItemState::Open) => "activate",
        (_, ItemState::Open) => "reopen",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rest_issue() -> Value {
        json!({
            "id": 9001, "iid": 7, "title": "Fix it", "description": "Body **md**", "state": "closed",
            "updated_at": "2016-01-04T15:31:51.081Z", "labels": ["bug", "ui"],
            "assignees": [{"id": 3, "username": "ann"}], "milestone": {"id": 55, "iid": 2, "title": "v1"},
            "web_url": "https://gitlab.com/acme/w/-/issues/7", "user_notes_count": 4
        })
    }

    #[test]
    fn rest_issue_maps_to_item_by_iid() {
        let it = issue(&rest_issue(), None).unwrap();
        assert_eq!(it.external_id, "7");
        assert_eq!(it.state, ItemState::Closed);
        assert_eq!(it.labels, ["bug", "ui"]);
        assert_eq!(it.assignees, ["ann"]);
        assert_eq!(it.milestone_ref.as_deref(), Some("55"));
        assert_eq!(it.updated_at, 1_451_921_511_081);
        assert_eq!(it.version.as_deref(), Some("1451921511081"));
        assert_eq!(
            it.url.as_deref(),
            Some("https://gitlab.com/acme/w/-/issues/7")
        );
        let extras: Value = serde_json::from_str(&it.extras).unwrap();
        assert_eq!(extras["comment_count"], 4, "user_notes_count is the hint");
    }

    #[test]
    fn hook_attributes_with_utc_words_timestamp_map_too() {
        let attrs = json!({"iid": 3, "title": "T", "description": null, "state": "opened", "updated_at": "2017-09-15 16:50:55 UTC",
                           "labels": [{"title": "bug"}], "milestone_id": 12, "url": "u"});
        let it = issue(&attrs, Some(&json!([{"username": "bob"}]))).unwrap();
        assert_eq!(
            (it.external_id.as_str(), it.body.as_str(), it.state),
            ("3", "", ItemState::Open)
        );
        assert_eq!(it.updated_at, 1_505_494_255_000);
        assert_eq!(it.labels, ["bug"]);
        assert_eq!(it.assignees, ["bob"]);
        assert_eq!(it.milestone_ref.as_deref(), Some("12"));
    }

    #[test]
    fn bad_timestamp_is_an_error_not_a_panic() {
        let mut v = rest_issue();
        v["updated_at"] = json!("soon");
        assert!(matches!(issue(&v, None), Err(ConnectorError::Internal(m)) if m.contains("soon")));
    }

    #[test]
    fn create_body_uses_comma_labels_and_ids() {
        let n = NewItem {
            kind: Kind::Issue,
            title: "A".into(),
            body: "b".into(),
            state: ItemState::Open,
            labels: vec!["x".into(), "y z".into()],
            assignees: vec!["ann".into()],
            milestone_ref: Some("55".into()),
            parent_ref: None,
            extras: "{}".into(),
        };
        let b = create_body(&n, &[3]).unwrap();
        assert_eq!(
            b,
            json!({"title": "A", "description": "b", "labels": "x,y z", "assignee_ids": [3], "milestone_id": 55})
        );
        let bad = NewItem {
            milestone_ref: Some("v1".into()),
            ..n.clone()
        };
        assert!(matches!(
            create_body(&bad, &[]),
            Err(ConnectorError::InvalidInput(_))
        ));
        let empty = NewItem {
            title: " ".into(),
            ..n
        };
        assert!(matches!(
            create_body(&empty, &[]),
            Err(ConnectorError::InvalidInput(_))
        ));
    }

    #[test]
    fn patch_unsets_milestone_with_zero_and_maps_state_events() {
        let p = ItemPatch {
            title: None,
            body: None,
            state: Some(ItemState::Closed),
            status_name: None,
            labels: Some(vec![]),
            assignees: None,
            milestone_ref: Some(None),
            parent_ref: None,
            expected_version: None,
            extras: None,
        };
        assert_eq!(
            update_body(Kind::Issue, &p, None).unwrap(),
            json!({"state_event": "close", "labels": "", "milestone_id": 0})
        );
        assert_eq!(state_event(Kind::Milestone, ItemState::Open), "activate");
        assert_eq!(state_event(Kind::Issue, ItemState::Open), "reopen");
    }

    #[test]
    fn milestone_and_label_map() {
        let m = milestone(&json!({"id": 55, "iid": 2, "title": "v1", "state": "active", "updated_at": "2020-01-01T00:00:00.000Z"})).unwrap();
        assert_eq!((m.external_id.as_str(), m.state), ("55", ItemState::Open));
        let l =
            label(&json!({"id": 8, "name": "bug", "color": "#f00", "description": null})).unwrap();
        assert_eq!(
            (
                l.external_id.as_str(),
                l.title.as_str(),
                l.version.as_deref()
            ),
            ("8", "bug", Some("bug|#f00|"))
        );
    }

    #[test]
    fn issue_due_date_is_the_shared_date_both_ways() {
        let mut v = rest_issue();
        v["due_date"] = json!("2027-03-05");
        let x: Value = serde_json::from_str(&issue(&v, None).unwrap().extras).unwrap();
        assert_eq!(x["due_date"], "2027-03-05");
        assert!(
            x.get("start_date").is_none(),
            "GitLab issues have no start date"
        );
        let unset: Value =
            serde_json::from_str(&issue(&rest_issue(), None).unwrap().extras).unwrap();
        assert_eq!(
            unset["due_date"],
            Value::Null,
            "the key says GitLab holds the field"
        );
        let n = NewItem {
            kind: Kind::Issue,
            title: "A".into(),
            body: String::new(),
            state: ItemState::Open,
            labels: vec![],
            assignees: vec![],
            milestone_ref: None,
            parent_ref: None,
            extras: r#"{"due_date": "2027-03-05"}"#.into(),
        };
        assert_eq!(create_body(&n, &[]).unwrap()["due_date"], "2027-03-05");
        let undated = NewItem {
            extras: r#"{"due_date": null}"#.into(),
            ..n
        };
        assert!(
            create_body(&undated, &[])
                .unwrap()
                .get("due_date")
                .is_none()
        );
        let p = ItemPatch {
            title: None,
            body: None,
            state: None,
            status_name: None,
            labels: None,
            assignees: None,
            milestone_ref: None,
            parent_ref: None,
            expected_version: None,
            extras: Some(r#"{"due_date": null}"#.into()),
        };
        assert_eq!(
            update_body(Kind::Issue, &p, None).unwrap(),
            json!({"due_date": null}),
            "null clears it"
        );
    }
}
