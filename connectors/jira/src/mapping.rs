//! Jira JSON <-> canonical items.
//!
//! Issues: key as external id, summary, ADF description as Markdown, status category
//! `done` as closed (the status name kept in `status_name`), labels plus components as
//! `component:<name>` labels, the assignee's account id, the current sprint as milestone,
//! the parent issue as parent. Sprints are milestones (closed when the sprint is closed),
//! components are labels named `component:<name>`, the project is the one project item.

pub mod adf;
pub mod time;

use elder_connector_sdk::{ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem};
use serde_json::{Map, Value, json};

use crate::model::text;
use crate::settings::Settings;

/// The label prefix that marks a Jira component.
pub const COMPONENT_PREFIX: &str = "component:";

fn blank_item(kind: Kind, id: String, title: String) -> Item {
    Item::new(kind, id, title, ItemState::Open, 0)
}

/// An issue from REST, search or a webhook's `issue`.
pub fn issue(s: &Settings, v: &Value, sprint_field: Option<&str>) -> Result<Item, ConnectorError> {
    let key = text(v, "/key");
    if key.is_empty() {
        return Err(ConnectorError::internal(
            "Jira issue without a key (were fields requested?)",
        ));
    }
    let f = v
        .get("fields")
        .ok_or_else(|| ConnectorError::internal(format!("Jira issue {key} without fields")))?;
    let updated_raw = text(f, "/updated");
    let updated = time::parse_ms(updated_raw).ok_or_else(|| {
        ConnectorError::internal(format!("unreadable updated `{updated_raw}` on {key}"))
    })?;
    let mut it = blank_item(
        Kind::Issue,
        key.to_string(),
        text(f, "/summary").to_string(),
    );
    it.body = adf::adf_to_markdown(f.get("description").unwrap_or(&Value::Null));
    it.state = if text(f, "/status/statusCategory/key") == "done" {
        ItemState::Closed
    } else {
        ItemState::Open
    };
    it.status_name = Some(text(f, "/status/name").to_string()).filter(|n| !n.is_empty());
    it.labels = labels_of(f);
    it.assignees = f
        .pointer("/assignee/accountId")
        .and_then(Value::as_str)
        .map(|a| vec![a.to_string()])
        .unwrap_or_default();
    it.milestone_ref = match sprint_field {
        Some(sf) => f.get(sf).and_then(current_sprint),
        None => sprint_value(f).and_then(current_sprint),
    };
    it.parent_ref = f
        .pointer("/parent/key")
        .and_then(Value::as_str)
        .map(str::to_string);
    it.url = Some(format!("{}/browse/{key}", s.jira_url));
    it.updated_at = updated;
    it.version = Some(updated_raw.to_string());
    // `duedate` is already the shared date (`YYYY-MM-DD`); Jira issues have no start date.
    it.extras = json!({"id": v.get("id"), "issuetype": f.pointer("/issuetype/name"),
                       "due_date": f.get("duedate").cloned().unwrap_or(Value::Null)})
    .to_string();
    Ok(it)
}

fn labels_of(f: &Value) -> Vec<String> {
    let plain = f
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string);
    let comps = f
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .map(|n| format!("{COMPONENT_PREFIX}{n}"));
    plain.chain(comps).collect()
}

/// The sprint an issue is in now: the last open one, else the last one.
fn current_sprint(v: &Value) -> Option<String> {
    let list = v.as_array()?;
    let open = list
        .iter()
        .rev()
        .find(|s| s.get("state").and_then(Value::as_str) != Some("closed"));
    open.or(list.last())
        .and_then(|s| s.get("id"))
        .map(|id| id.to_string().trim_matches('"').to_string())
}

/// The sprint field's value among an issue's `fields` when its id is not known (a webhook
/// parsed without I/O): the custom field holding sprint objects (`boardId` and `state`).
/// None when no field holds one: the issue is in no sprint (reading a missing id as "no
/// sprint" would take an issue out of its sprint on every webhook).
fn sprint_value(fields: &Value) -> Option<&Value> {
    fields.as_object()?.iter().find_map(|(k, v)| {
        let first = v.as_array()?.first()?;
        let sprint_like = first.get("boardId").is_some() && first.get("state").is_some();
        (k.starts_with("customfield_") && sprint_like).then_some(v)
    })
}

/// A sprint as a milestone. Sprints carry no update time: the version is a fingerprint.
pub fn sprint(v: &Value) -> Result<Item, ConnectorError> {
    let id = v
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| ConnectorError::internal("sprint without id"))?;
    let mut it = blank_item(
        Kind::Milestone,
        id.to_string(),
        text(v, "/name").to_string(),
    );
    it.body = text(v, "/goal").to_string();
    let state = text(v, "/state");
    it.state = if state == "closed" {
        ItemState::Closed
    } else {
        ItemState::Open
    };
    it.status_name = Some(state.to_string());
    let (start, end) = (text(v, "/startDate"), text(v, "/endDate"));
    it.version = Some(format!("{}|{}|{state}|{start}|{end}", it.title, it.body));
    // The shared dates are the calendar dates of the sprint's start and end.
    let date = |key: &str| v.get(key).and_then(Value::as_str).and_then(time::date_of);
    it.extras = json!({
        "startDate": v.get("startDate"),
        "endDate": v.get("endDate"),
        "start_date": date("startDate"),
        "due_date": date("endDate"),
    })
    .to_string();
    Ok(it)
}

/// A component as a `component:<name>` label.
pub fn component(v: &Value) -> Result<Item, ConnectorError> {
    let id = v
        .get("id")
        .map(|i| {
            i.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| i.to_string())
        })
        .ok_or_else(|| ConnectorError::internal("component without id"))?;
    let mut it = blank_item(
        Kind::Label,
        id,
        format!("{COMPONENT_PREFIX}{}", text(v, "/name")),
    );
    it.body = text(v, "/description").to_string();
    it.version = Some(format!("{}|{}", it.title, it.body));
    Ok(it)
}

/// The project as the one project item.
pub fn project(s: &Settings, v: &Value) -> Item {
    let mut it = blank_item(
        Kind::Project,
        text(v, "/key").to_string(),
        text(v, "/name").to_string(),
    );
    it.url = Some(format!("{}/browse/{}", s.jira_url, it.external_id));
    it.version = Some(it.title.clone());
    it
}

/// Splits Elder labels into Jira labels and component names; labels cannot hold spaces.
pub fn split_labels(labels: &[String]) -> Result<(Vec<String>, Vec<String>), ConnectorError> {
    let mut plain = Vec::new();
    let mut comps = Vec::new();
    for l in labels {
        match l.strip_prefix(COMPONENT_PREFIX) {
            Some(c) => comps.push(c.to_string()),
            None if l.chars().any(char::is_whitespace) => {
                return Err(ConnectorError::invalid_input(format!(
                    "Jira labels cannot contain spaces: `{l}`"
                )));
            }
            None => plain.push(l.clone()),
        }
    }
    Ok((plain, comps))
}

fn set_labels(fields: &mut Map<String, Value>, labels: &[String]) -> Result<(), ConnectorError> {
    let (plain, comps) = split_labels(labels)?;
    fields.insert("labels".into(), json!(plain));
    fields.insert(
        "components".into(),
        Value::Array(comps.into_iter().map(|c| json!({"name": c})).collect()),
    );
    Ok(())
}

fn assignee(ids: &[String]) -> Value {
    ids.first()
        .map(|a| json!({"accountId": a}))
        .unwrap_or(Value::Null)
}

fn extras(raw: Option<&str>) -> Result<Map<String, Value>, ConnectorError> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Map::new()),
        Some(t) => match serde_json::from_str(t) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(ConnectorError::invalid_input(
                "extras must be a JSON object",
            )),
        },
    }
}

/// The shared `due_date` of extras, Jira's `duedate` (`null` clears it), when extras hold
/// the key.
fn due_date(x: &Map<String, Value>) -> Option<Value> {
    x.get("due_date").cloned()
}

/// `POST /rest/api/3/issue` body. The issue type is `extras.issuetype` or the config's.
pub fn create_issue_body(s: &Settings, n: &NewItem) -> Result<Value, ConnectorError> {
    if n.title.trim().is_empty() {
        return Err(ConnectorError::invalid_input(
            "summary (title) must not be empty",
        ));
    }
    let x = extras(Some(&n.extras))?;
    let issuetype = x
        .get("issuetype")
        .and_then(Value::as_str)
        .unwrap_or(&s.issue_type);
    let mut f = Map::new();
    f.insert("project".into(), json!({"key": s.project_key}));
    f.insert("issuetype".into(), json!({"name": issuetype}));
    f.insert("summary".into(), json!(n.title));
    if !n.body.trim().is_empty() {
        f.insert("description".into(), adf::markdown_to_adf(&n.body));
    }
    set_labels(&mut f, &n.labels)?;
    if !n.assignees.is_empty() {
        f.insert("assignee".into(), assignee(&n.assignees));
    }
    if let Some(p) = &n.parent_ref {
        f.insert("parent".into(), json!({"key": p}));
    }
    if let Some(due) = due_date(&x).filter(|d| !d.is_null()) {
        f.insert("duedate".into(), due);
    }
    Ok(json!({"fields": f}))
}

/// `PUT /rest/api/3/issue/{key}` body for the field part of a patch (state, status and
/// sprint are separate calls); `None` when the patch sets no field.
pub fn update_issue_body(p: &ItemPatch) -> Result<Option<Value>, ConnectorError> {
    let mut f = Map::new();
    if let Some(t) = &p.title {
        if t.trim().is_empty() {
            return Err(ConnectorError::invalid_input(
                "summary (title) must not be empty",
            ));
        }
        f.insert("summary".into(), json!(t));
    }
    if let Some(b) = &p.body {
        f.insert(
            "description".into(),
            if b.trim().is_empty() {
                Value::Null
            } else {
                adf::markdown_to_adf(b)
            },
        );
    }
    if let Some(l) = &p.labels {
        set_labels(&mut f, l)?;
    }
    if let Some(a) = &p.assignees {
        f.insert("assignee".into(), assignee(a));
    }
    if let Some(parent) = &p.parent_ref {
        f.insert(
            "parent".into(),
            parent
                .as_ref()
                .map(|k| json!({"key": k}))
                .unwrap_or(Value::Null),
        );
    }
    if let Some(due) = due_date(&extras(p.extras.as_deref())?) {
        f.insert("duedate".into(), due);
    }
    Ok((!f.is_empty()).then(|| json!({"fields": f})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        elder_connector_sdk::testing::settings::<crate::JiraConnector>(&[
            ("jira_url", "https://acme.atlassian.net"),
            ("email", "a@b.c"),
            ("project_key", "ELD"),
        ])
        .unwrap()
    }

    fn jira_issue() -> Value {
        json!({"id": "10001", "key": "ELD-1", "fields": {
            "summary": "Fix login", "updated": "2022-03-20T06:21:50.520+0530",
            "description": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hi", "marks": [{"type": "strong"}]}]}]},
            "status": {"name": "Won't Do", "statusCategory": {"key": "done"}},
            "labels": ["backend"], "components": [{"id": "1", "name": "API"}],
            "assignee": {"accountId": "557058:abc"},
            "customfield_10020": [{"id": 3, "state": "closed"}, {"id": 4, "state": "active"}],
            "parent": {"key": "ELD-0"}, "issuetype": {"name": "Task"}
        }})
    }

    #[test]
    fn issue_maps_status_category_components_sprint_and_adf() {
        let it = issue(&settings(), &jira_issue(), Some("customfield_10020")).unwrap();
        assert_eq!(it.external_id, "ELD-1");
        assert_eq!(
            (it.state, it.status_name.as_deref()),
            (ItemState::Closed, Some("Won't Do"))
        );
        assert_eq!(it.body, "**Hi**");
        assert_eq!(it.labels, ["backend", "component:API"]);
        assert_eq!(it.assignees, ["557058:abc"]);
        assert_eq!(it.milestone_ref.as_deref(), Some("4"));
        assert_eq!(it.parent_ref.as_deref(), Some("ELD-0"));
        assert_eq!(it.updated_at, 1_647_737_510_520);
        assert_eq!(it.version.as_deref(), Some("2022-03-20T06:21:50.520+0530"));
        assert_eq!(
            it.url.as_deref(),
            Some("https://acme.atlassian.net/browse/ELD-1")
        );
    }

    #[test]
    fn an_unknown_sprint_field_is_found_by_its_sprints() {
        let mut v = jira_issue();
        v["fields"]["customfield_10020"] =
            json!([{"id": 4, "state": "active", "boardId": 1, "name": "S"}]);
        let it = issue(&settings(), &v, None).unwrap();
        assert_eq!(it.milestone_ref.as_deref(), Some("4"));
        v["fields"]["customfield_10020"] = Value::Null;
        assert_eq!(issue(&settings(), &v, None).unwrap().milestone_ref, None);
    }

    #[test]
    fn search_result_without_fields_is_an_error() {
        assert!(matches!(
            issue(&settings(), &json!({"id": "1"}), None),
            Err(ConnectorError::Internal(_))
        ));
    }

    #[test]
    fn create_body_splits_components_and_converts_markdown() {
        let n = NewItem {
            kind: Kind::Issue,
            title: "T".into(),
            body: "# H".into(),
            state: ItemState::Open,
            labels: vec!["a".into(), "component:API".into()],
            assignees: vec!["u1".into(), "u2".into()],
            milestone_ref: None,
            parent_ref: None,
            extras: "{}".into(),
        };
        let b = create_issue_body(&settings(), &n).unwrap();
        assert_eq!(b["fields"]["project"]["key"], "ELD");
        assert_eq!(b["fields"]["issuetype"]["name"], "Task");
        assert_eq!(b["fields"]["labels"], json!(["a"]));
        assert_eq!(b["fields"]["components"], json!([{"name": "API"}]));
        assert_eq!(b["fields"]["assignee"], json!({"accountId": "u1"}));
        assert_eq!(b["fields"]["description"]["content"][0]["type"], "heading");
        let spaced = NewItem {
            labels: vec!["two words".into()],
            ..n
        };
        assert!(
            matches!(create_issue_body(&settings(), &spaced), Err(ConnectorError::InvalidInput(m)) if m.contains("spaces"))
        );
    }

    #[test]
    fn update_body_only_for_fields() {
        let mut p = ItemPatch {
            title: None,
            body: Some(String::new()),
            state: Some(ItemState::Closed),
            status_name: None,
            labels: None,
            assignees: Some(vec![]),
            milestone_ref: None,
            parent_ref: None,
            expected_version: None,
            extras: None,
        };
        assert_eq!(
            update_issue_body(&p).unwrap(),
            Some(json!({"fields": {"description": null, "assignee": null}}))
        );
        p.body = None;
        p.assignees = None;
        assert_eq!(update_issue_body(&p).unwrap(), None);
    }

    #[test]
    fn sprints_and_components() {
        let m = sprint(&json!({"id": 7, "name": "Sprint 1", "goal": "ship", "state": "closed"}))
            .unwrap();
        assert_eq!(
            (m.external_id.as_str(), m.state, m.body.as_str()),
            ("7", ItemState::Closed, "ship")
        );
        let l = component(&json!({"id": "10050", "name": "API"})).unwrap();
        assert_eq!(
            (l.external_id.as_str(), l.title.as_str()),
            ("10050", "component:API")
        );
    }

    #[test]
    fn duedate_is_the_shared_due_date_both_ways() {
        let mut v = jira_issue();
        v["fields"]["duedate"] = json!("2027-03-05");
        let x: Value = serde_json::from_str(&issue(&settings(), &v, None).unwrap().extras).unwrap();
        assert_eq!(x["due_date"], "2027-03-05");
        assert!(
            x.get("start_date").is_none(),
            "Jira issues have no start date"
        );
        v["fields"]["duedate"] = Value::Null;
        let x: Value = serde_json::from_str(&issue(&settings(), &v, None).unwrap().extras).unwrap();
        assert_eq!(x["due_date"], Value::Null);
        let n = NewItem {
            kind: Kind::Issue,
            title: "T".into(),
            body: String::new(),
            state: ItemState::Open,
            labels: vec![],
            assignees: vec![],
            milestone_ref: None,
            parent_ref: None,
            extras: r#"{"due_date": "2027-03-05"}"#.into(),
        };
        let b = create_issue_body(&settings(), &n).unwrap();
        assert_eq!(b["fields"]["duedate"], "2027-03-05");
        let p = |extras: &str| ItemPatch {
            title: None,
            body: None,
            state: None,
            status_name: None,
            labels: None,
            assignees: None,
            milestone_ref: None,
            parent_ref: None,
            expected_version: None,
            extras: Some(extras.into()),
        };
        assert_eq!(
            update_issue_body(&p(r#"{"due_date": "2027-04-01"}"#)).unwrap(),
            Some(json!({"fields": {"duedate": "2027-04-01"}}))
        );
        assert_eq!(
            update_issue_body(&p(r#"{"due_date": null}"#)).unwrap(),
            Some(json!({"fields": {"duedate": null}})),
            "null clears it"
        );
        assert_eq!(update_issue_body(&p("{}")).unwrap(), None);
    }
}
