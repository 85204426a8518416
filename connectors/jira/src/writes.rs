//! Reads and writes of single items: issues (fields by `PUT`, status by transitions,
//! sprint by the Agile API), sprints, components and the project.

pub mod workflow;

use elder_connector_sdk::{ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem};
use serde_json::{Value, json};

use self::workflow::Target;
use crate::mapping::{self, COMPONENT_PREFIX};
use crate::settings::{Settings, meta};

/// `key` when it is an issue key or numeric id (so it cannot inject a path).
pub(crate) fn check_key(key: &str) -> Result<&str, ConnectorError> {
    let ok = match key.rsplit_once('-') {
        Some((p, n)) => {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !n.is_empty()
                && n.chars().all(|c| c.is_ascii_digit())
        }
        None => !key.is_empty() && key.chars().all(|c| c.is_ascii_digit()),
    };
    if ok {
        Ok(key)
    } else {
        Err(ConnectorError::invalid_input(format!(
            "`{key}` is not a Jira issue key"
        )))
    }
}

/// `id` when numeric (so it cannot inject a path).
pub(crate) fn check_num(id: &str) -> Result<&str, ConnectorError> {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(ConnectorError::invalid_input(format!(
            "`{id}` is not a numeric Jira id"
        )))
    }
}

/// The raw issue and its item.
fn fetch_issue(s: &Settings, key: &str) -> Result<(Value, Item), ConnectorError> {
    let sf = meta::sprint_field(s)?;
    let fields = crate::model::issue_fields(sf.as_deref()).join(",");
    let raw = s
        .api
        .get(&format!(
            "/rest/api/3/issue/{}?fields={fields}",
            check_key(key)?
        ))
        .send()?
        .json::<Value>()?;
    let item = mapping::issue(s, &raw, sf.as_deref())?;
    Ok((raw, item))
}

/// Reads one item.
pub fn get(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    match kind {
        Kind::Issue => fetch_issue(s, id).map(|(_, i)| i),
        Kind::Milestone => mapping::sprint(
            &s.api
                .get(&format!("/rest/agile/1.0/sprint/{}", check_num(id)?))
                .send()?
                .json::<Value>()?,
        ),
        Kind::Label => mapping::component(
            &s.api
                .get(&format!("/rest/api/3/component/{}", check_num(id)?))
                .send()?
                .json::<Value>()?,
        ),
        Kind::Project => {
            if id != s.project_key {
                return Err(ConnectorError::NotFound(format!(
                    "only project {} is synced by this config",
                    s.project_key
                )));
            }
            Ok(mapping::project(
                s,
                &s.api
                    .get(&format!("/rest/api/3/project/{id}"))
                    .send()?
                    .json::<Value>()?,
            ))
        }
    }
}

/// Creates an item.
pub fn create(s: &Settings, n: NewItem) -> Result<Item, ConnectorError> {
    match n.kind {
        Kind::Issue => create_issue(s, n),
        Kind::Milestone => {
            let board: u64 = meta::board_id(s)?
                .parse()
                .map_err(|_| ConnectorError::internal("non-numeric board id"))?;
            let mut body = json!({"name": n.title, "goal": n.body, "originBoardId": board});
            for (k, v) in mapping::time::sprint_dates(&n.extras)? {
                if !v.is_null() {
                    body[k.as_str()] = v;
                }
            }
            let created = mapping::sprint(
                &s.api
                    .post("/rest/agile/1.0/sprint")
                    .json(&body)?
                    .send()?
                    .json::<Value>()?,
            )?;
            if n.state == ItemState::Closed {
                return set_state(s, Kind::Milestone, &created.external_id, ItemState::Closed);
            }
            Ok(created)
        }
        Kind::Label => {
            let name = n.title.strip_prefix(COMPONENT_PREFIX).filter(|c| !c.trim().is_empty()).ok_or_else(|| {
                ConnectorError::unsupported("Jira labels exist only on issues; only `component:<name>` labels can be created (as components)")
            })?;
            let body = json!({"name": name, "project": s.project_key, "description": n.body});
            mapping::component(
                &s.api
                    .post("/rest/api/3/component")
                    .json(&body)?
                    .send()?
                    .json::<Value>()?,
            )
        }
        Kind::Project => Err(ConnectorError::unsupported(
            "the Jira connector syncs one existing project; it does not create projects",
        )),
    }
}

fn create_issue(s: &Settings, n: NewItem) -> Result<Item, ConnectorError> {
    let body = mapping::create_issue_body(s, &n)?;
    let created = s
        .api
        .post("/rest/api/3/issue")
        .json(&body)?
        .send()?
        .json::<Value>()?;
    let key = created
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| ConnectorError::internal("Jira create answer without key"))?
        .to_string();
    if let Some(sprint) = &n.milestone_ref {
        set_sprint(s, &key, Some(sprint))?;
    }
    if n.state == ItemState::Closed {
        return set_state(s, Kind::Issue, &key, ItemState::Closed);
    }
    get(s, Kind::Issue, &key)
}

/// Moves an issue into a sprint (open sprints only) or back to the backlog.
fn set_sprint(s: &Settings, key: &str, sprint: Option<&str>) -> Result<(), ConnectorError> {
    let body = json!({"issues": [key]});
    let url = match sprint {
        Some(id) => format!("/rest/agile/1.0/sprint/{}/issue", check_num(id)?),
        None => "/rest/agile/1.0/backlog/issue".to_string(),
    };
    s.api.post(&url).json(&body)?.send().map(|_| ())
}

/// Applies a patch.
pub fn update(s: &Settings, kind: Kind, id: &str, p: ItemPatch) -> Result<Item, ConnectorError> {
    match kind {
        Kind::Issue => update_issue(s, id, p),
        Kind::Milestone => {
            let mut body = serde_json::Map::new();
            if let Some(t) = &p.title {
                body.insert("name".into(), json!(t));
            }
            if let Some(b) = &p.body {
                body.insert("goal".into(), json!(b));
            }
            if let Some(x) = &p.extras {
                body.extend(mapping::time::sprint_dates(x)?);
            }
            if !body.is_empty() {
                s.api
                    .post(&format!("/rest/agile/1.0/sprint/{}", check_num(id)?))
                    .json(&Value::Object(body))?
                    .send()?;
            }
            match p.state {
                Some(st) => set_state(s, kind, id, st),
                None => get(s, kind, id),
            }
        }
        Kind::Label => {
            let mut body = serde_json::Map::new();
            if let Some(t) = &p.title {
                let name = t.strip_prefix(COMPONENT_PREFIX).ok_or_else(|| {
                    ConnectorError::invalid_input(
                        "a component label's name must keep the `component:` prefix",
                    )
                })?;
                body.insert("name".into(), json!(name));
            }
            if let Some(b) = &p.body {
                body.insert("description".into(), json!(b));
            }
            let url = format!("/rest/api/3/component/{}", check_num(id)?);
            if body.is_empty() {
                return get(s, kind, id);
            }
            mapping::component(
                &s.api
                    .put(&url)
                    .json(&Value::Object(body))?
                    .send()?
                    .json::<Value>()?,
            )
        }
        Kind::Project => Err(ConnectorError::unsupported(
            "the Jira project is read-only for this connector",
        )),
    }
}

fn update_issue(s: &Settings, key: &str, p: ItemPatch) -> Result<Item, ConnectorError> {
    let (raw, current) = fetch_issue(s, key)?;
    if let Some(expected) = &p.expected_version
        && current.version.as_deref() != Some(expected.as_str())
    {
        return Err(ConnectorError::Conflict(format!(
            "stale version: expected {expected}, Jira has {}",
            current.version.unwrap_or_default()
        )));
    }
    if let Some(body) = mapping::update_issue_body(&p)? {
        s.api
            .put(&format!("/rest/api/3/issue/{key}"))
            .json(&body)?
            .send()?;
    }
    if let Some(m) = &p.milestone_ref
        && *m != current.milestone_ref
    {
        set_sprint(s, key, m.as_deref())?;
    }
    let target = match (&p.status_name, p.state) {
        (Some(name), _) => Some(Target::Named(name.clone())),
        (None, Some(st)) => Some(state_target(s, st)),
        (None, None) => None,
    };
    if let Some(t) = target {
        let (status, cat) = status_of(&raw);
        workflow::move_to(s, key, &status, &cat, &t)?;
    }
    get(s, Kind::Issue, key)
}

fn status_of(raw: &Value) -> (String, String) {
    let name = raw
        .pointer("/fields/status/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let cat = raw
        .pointer("/fields/status/statusCategory/key")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    (name, cat)
}

/// The configured status for a state, else the category.
fn state_target(s: &Settings, st: ItemState) -> Target {
    match st {
        ItemState::Closed => s
            .closed_status
            .clone()
            .map(Target::Named)
            .unwrap_or(Target::Done(true)),
        ItemState::Open => s
            .open_status
            .clone()
            .map(Target::Named)
            .unwrap_or(Target::Done(false)),
    }
}

/// Closes or reopens.
pub fn set_state(
    s: &Settings,
    kind: Kind,
    id: &str,
    st: ItemState,
) -> Result<Item, ConnectorError> {
    match kind {
        Kind::Issue => {
            let (raw, _) = fetch_issue(s, id)?;
            let (status, cat) = status_of(&raw);
            // Reopening an issue that is open already is a no-op, whatever status_map says.
            let target = if st == ItemState::Open && cat != "done" {
                Target::Done(false)
            } else {
                state_target(s, st)
            };
            let target = if st == ItemState::Closed && cat == "done" {
                Target::Done(true)
            } else {
                target
            };
            workflow::move_to(s, id, &status, &cat, &target)?;
            get(s, kind, id)
        }
        Kind::Milestone => close_sprint(s, id, st),
        Kind::Label | Kind::Project => Err(ConnectorError::unsupported(
            "Jira components and projects cannot be closed or reopened",
        )),
    }
}

/// A sprint is closed by starting it (if still future) and completing it. Closed sprints
/// cannot be reopened.
fn close_sprint(s: &Settings, id: &str, st: ItemState) -> Result<Item, ConnectorError> {
    let current = get(s, Kind::Milestone, id)?;
    let state = current.status_name.clone().unwrap_or_default();
    let url = format!("/rest/agile/1.0/sprint/{}", check_num(id)?);
    match (st, state.as_str()) {
        (ItemState::Open, "closed") => Err(ConnectorError::Conflict(
            "invalid_transition: a closed Jira sprint cannot be reopened".into(),
        )),
        (ItemState::Open, _) | (ItemState::Closed, "closed") => Ok(current),
        (ItemState::Closed, s_now) => {
            if s_now == "future" {
                let now = crate::mapping::time::jql_minute(
                    elder_connector_sdk::bindings::elder::connector::clock::now_ms(),
                    0,
                )
                .replace(' ', "T")
                    + ":00.000Z";
                // Starting needs both dates: the sprint keeps its own, a missing one is now.
                let own: Value = serde_json::from_str(&current.extras).unwrap_or_default();
                let mut body = json!({"state": "active"});
                for key in ["startDate", "endDate"] {
                    body[key] = match own.get(key) {
                        Some(Value::String(d)) => json!(d),
                        _ => json!(now),
                    };
                }
                s.api.post(&url).json(&body)?.send()?;
            }
            mapping::sprint(
                &s.api
                    .post(&url)
                    .json(&json!({"state": "closed"}))?
                    .send()?
                    .json::<Value>()?,
            )
        }
    }
}

/// Deletes an item.
pub fn delete(s: &Settings, kind: Kind, id: &str) -> Result<(), ConnectorError> {
    let path = match kind {
        Kind::Issue => format!("/rest/api/3/issue/{}", check_key(id)?),
        Kind::Milestone => format!("/rest/agile/1.0/sprint/{}", check_num(id)?),
        Kind::Label => format!("/rest/api/3/component/{}", check_num(id)?),
        Kind::Project => {
            return Err(ConnectorError::unsupported(
                "the Jira connector does not delete projects",
            ));
        }
    };
    s.api.delete(&path).send().map(|_| ())
}

/// Checks the credentials and the project.
pub fn test_connection(s: &Settings) -> Result<String, ConnectorError> {
    let p = s
        .api
        .get(&format!("/rest/api/3/project/{}", s.project_key))
        .send()?
        .json::<Value>()?;
    Ok(format!(
        "{} ({})",
        p.get("name").and_then(Value::as_str).unwrap_or(""),
        s.project_key
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_ids_are_checked_before_building_paths() {
        assert!(check_key("ELD-12").is_ok());
        assert!(check_key("10001").is_ok());
        assert!(check_key("ELD-12/../../x").is_err());
        assert!(check_key("").is_err());
        assert!(check_num("12").is_ok());
        assert!(check_num("1a").is_err());
    }
}
