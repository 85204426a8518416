//! The Jira simulator's write operations (issues, transitions, components, sprints) with
//! Jira's validation rules and error shapes, and the webhooks they emit.

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::model::{Component, ISSUE_TYPES, Issue, SPRINT_FIELD, Sprint, State};
use super::workflow;

/// A Jira error answer: `{"errorMessages": [...], "errors": {...}}`.
#[derive(Debug, Clone)]
pub struct SimError {
    pub status: u16,
    pub body: Value,
}

impl SimError {
    pub fn msg(status: u16, m: impl Into<String>) -> SimError {
        SimError {
            status,
            body: json!({"errorMessages": [m.into()], "errors": {}}),
        }
    }
    pub fn field(status: u16, field: &str, m: impl Into<String>) -> SimError {
        SimError {
            status,
            body: json!({"errorMessages": [], "errors": {field: m.into()}}),
        }
    }
}

/// Issue fields a create or edit sets (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct IssueFields {
    pub summary: Option<String>,
    /// An ADF document; `Some(Value::Null)` clears it.
    pub description: Option<Value>,
    pub issuetype: Option<String>,
    pub labels: Option<Vec<String>>,
    /// Component names.
    pub components: Option<Vec<String>>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
    /// The sprint id (`Some(None)`: none).
    pub sprint: Option<Option<u64>>,
    /// `duedate`, `YYYY-MM-DD` (`Some(None)`: cleared).
    pub duedate: Option<Option<String>>,
}

impl IssueFields {
    /// Reads a `fields` object (and the `update` verbs for labels/components) as Jira does,
    /// refusing fields that are not on the screen (e.g. `status`).
    pub fn parse(s: &State, body: &Value) -> Result<IssueFields, SimError> {
        let empty = Map::new();
        let fields = body
            .get("fields")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut out = IssueFields::default();
        for (k, v) in fields {
            match k.as_str() {
                "project" => {
                    let key = v
                        .get("key")
                        .and_then(Value::as_str)
                        .or_else(|| v.get("id").and_then(Value::as_str));
                    if key != Some(s.options.project_key.as_str())
                        && key != Some(&s.project_id.to_string())
                    {
                        return Err(SimError::field(400, "project", "valid project is required"));
                    }
                }
                "issuetype" => out.issuetype = Some(issuetype(v)?),
                "summary" => {
                    out.summary = Some(
                        v.as_str()
                            .ok_or_else(|| {
                                SimError::field(400, "summary", "Operation value must be a string")
                            })?
                            .to_string(),
                    )
                }
                "description" => out.description = Some(adf(v)?),
                "labels" => out.labels = Some(strings(v, "labels")?),
                "components" => out.components = Some(component_names(s, v)?),
                "assignee" => {
                    out.assignee = Some(
                        v.get("accountId")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    )
                }
                SPRINT_FIELD => out.sprint = Some(v.as_u64()),
                "duedate" => out.duedate = Some(duedate(v)?),
                other => {
                    return Err(SimError::field(
                        400,
                        other,
                        format!(
                            "Field '{other}' cannot be set. It is not on the appropriate screen, or unknown."
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// A `duedate` value: `null` clears it, else a `YYYY-MM-DD` date (Jira refuses anything
/// else with a 400 naming the field).
fn duedate(v: &Value) -> Result<Option<String>, SimError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
            Ok(Some(s.clone()))
        }
        other => Err(SimError::field(
            400,
            "duedate",
            format!(
                "Error parsing date string: {}",
                other.as_str().unwrap_or("?")
            ),
        )),
    }
}

fn issuetype(v: &Value) -> Result<String, SimError> {
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            let id = v.get("id").and_then(Value::as_str)?;
            ISSUE_TYPES
                .iter()
                .find(|t| super::model::issuetype_id(t) == id)
                .map(|t| t.to_string())
        });
    name.filter(|n| ISSUE_TYPES.contains(&n.as_str()))
        .ok_or_else(|| SimError::field(400, "issuetype", "Specify an issue type"))
}

fn adf(v: &Value) -> Result<Value, SimError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    if is_document(v) {
        Ok(v.clone())
    } else {
        Err(SimError::field(
            400,
            "description",
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
        ))
    }
}

/// Whether `v` is an Atlassian Document (`{"type":"doc","version":1,"content":[...]}`).
pub(super) fn is_document(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("doc")
        && v.get("version").is_some()
        && v.get("content").is_some_and(Value::is_array)
}

fn strings(v: &Value, field: &str) -> Result<Vec<String>, SimError> {
    let arr = v
        .as_array()
        .ok_or_else(|| SimError::field(400, field, "Operation value must be an array"))?;
    let out: Vec<String> = arr
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if field == "labels" && out.iter().any(|l| l.contains(' ')) {
        return Err(SimError::field(
            400,
            "labels",
            "The label must not contain spaces.",
        ));
    }
    Ok(out)
}

fn component_names(s: &State, v: &Value) -> Result<Vec<String>, SimError> {
    let arr = v
        .as_array()
        .ok_or_else(|| SimError::field(400, "components", "Operation value must be an array"))?;
    arr.iter()
        .map(|c| {
            let by_name = c
                .get("name")
                .and_then(Value::as_str)
                .and_then(|n| s.components.values().find(|x| x.name == n));
            let by_id = c
                .get("id")
                .and_then(Value::as_str)
                .and_then(|i| i.parse::<u64>().ok())
                .and_then(|i| s.components.get(&i));
            by_name
                .or(by_id)
                .map(|c| c.name.clone())
                .ok_or_else(|| SimError::field(400, "components", "Component name is not valid"))
        })
        .collect()
}

impl State {
    /// `POST /rest/api/3/issue`; returns the new id.
    pub fn create_issue(&mut self, f: IssueFields) -> Result<u64, SimError> {
        let summary = f
            .summary
            .clone()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                SimError::field(400, "summary", "You must specify a summary of the issue.")
            })?;
        let issuetype = f
            .issuetype
            .clone()
            .ok_or_else(|| SimError::field(400, "issuetype", "Specify an issue type"))?;
        self.check_refs(&f)?;
        let now = self.tick();
        let id = self.next_id();
        let n = self.next_number();
        let key = format!("{}-{n}", self.options.project_key);
        let issue = Issue {
            id,
            key,
            summary,
            description: f.description.clone().filter(|d| !d.is_null()),
            status_id: "10000".into(),
            issuetype,
            labels: f.labels.clone().unwrap_or_default(),
            component_ids: self.component_ids(f.components.as_deref().unwrap_or(&[])),
            assignee: f.assignee.clone().flatten(),
            sprint_ids: f.sprint.flatten().into_iter().collect(),
            resolution: None,
            duedate: f.duedate.clone().flatten(),
            created: now,
            updated: now,
            indexed_at: Instant::now() + self.options.search_lag,
            indexed: None,
        };
        self.issues.insert(id, issue);
        self.queue_issue_event(id, "jira:issue_created", "issue_created", Vec::new());
        Ok(id)
    }

    /// `PUT /rest/api/3/issue/{key}`.
    pub fn update_issue(&mut self, id: u64, f: IssueFields) -> Result<(), SimError> {
        if f.issuetype.is_some() {
            return Err(SimError::field(
                400,
                "issuetype",
                "Issue type cannot be changed here.",
            ));
        }
        if let Some(s) = &f.summary
            && s.trim().is_empty()
        {
            return Err(SimError::field(
                400,
                "summary",
                "You must specify a summary of the issue.",
            ));
        }
        self.check_refs(&f)?;
        let comps = f.components.as_ref().map(|c| self.component_ids(c));
        self.change(id, |i| {
            if let Some(s) = f.summary {
                i.summary = s;
            }
            if let Some(d) = f.description {
                i.description = (!d.is_null()).then_some(d);
            }
            if let Some(l) = f.labels {
                i.labels = l;
            }
            if let Some(c) = comps {
                i.component_ids = c;
            }
            if let Some(a) = f.assignee {
                i.assignee = a;
            }
            if let Some(sp) = f.sprint {
                i.sprint_ids = sp.into_iter().collect();
            }
            if let Some(d) = f.duedate {
                i.duedate = d;
            }
        })
    }

    /// `DELETE /rest/api/3/issue/{key}`.
    pub fn delete_issue(&mut self, id: u64) -> Result<(), SimError> {
        self.queue_issue_event(id, "jira:issue_deleted", "issue_deleted", Vec::new());
        self.issues.remove(&id);
        self.comments.retain(|_, c| c.issue_id != id);
        Ok(())
    }

    /// `POST /rest/api/3/issue/{key}/transitions`.
    pub fn transition(&mut self, id: u64, body: &Value) -> Result<(), SimError> {
        let tid = body.pointer("/transition/id").and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        });
        let tid = tid.ok_or_else(|| SimError::msg(400, "Transition id is required."))?;
        let from = self.issues[&id].status_id.clone();
        let t = workflow::transitions_from(&from)
            .into_iter()
            .find(|t| t.id == tid)
            .ok_or_else(|| {
                SimError::msg(
                    400,
                    format!("Transition id '{tid}' is not valid for this issue."),
                )
            })?;
        let resolution = body
            .pointer("/fields/resolution/name")
            .and_then(Value::as_str)
            .map(str::to_string);
        if t.requires_resolution && resolution.is_none() {
            return Err(SimError::field(
                400,
                "resolution",
                "Resolution is required.",
            ));
        }
        if let Some(extra) = body.get("fields").and_then(Value::as_object).and_then(|f| {
            f.keys()
                .find(|k| *k != "resolution" || !t.requires_resolution)
        }) {
            return Err(SimError::field(
                400,
                extra,
                format!(
                    "Field '{extra}' cannot be set. It is not on the appropriate screen, or unknown."
                ),
            ));
        }
        self.set_status(id, t.to)?;
        if let Some(r) = resolution {
            self.issues.get_mut(&id).expect("exists").resolution = Some(r);
        }
        Ok(())
    }

    /// Moves an issue to a status directly (a board drag in the UI).
    pub fn force_status(&mut self, id: u64, name: &str) -> Result<(), SimError> {
        let st =
            workflow::status_named(name).ok_or_else(|| SimError::msg(400, "unknown status"))?;
        self.set_status(id, st.id)
    }

    fn set_status(&mut self, id: u64, status_id: &str) -> Result<(), SimError> {
        let done = workflow::status(status_id).is_some_and(|s| s.category == "done");
        self.change(id, |i| {
            i.status_id = status_id.to_string();
            if done {
                i.resolution.get_or_insert_with(|| "Done".into());
            } else {
                i.resolution = None;
            }
        })
    }

    /// Applies `f`, bumps `updated`, delays search visibility, emits `jira:issue_updated`.
    fn change(&mut self, id: u64, f: impl FnOnce(&mut Issue)) -> Result<(), SimError> {
        let before = self.issues.get(&id).cloned().ok_or_else(|| {
            SimError::msg(
                404,
                "Issue does not exist or you do not have permission to see it.",
            )
        })?;
        let mut after = before.clone();
        f(&mut after);
        if after == before {
            return Ok(());
        }
        self.reindex(&before, &mut after);
        let items = self.changelog(&before, &after);
        self.issues.insert(id, after);
        self.queue_issue_event(id, "jira:issue_updated", "issue_generic", items);
        Ok(())
    }

    /// Bumps `updated` without a field change (a comment written, edited or deleted); the
    /// caller emits the events. Search shows the previous state for a while, as after edits.
    pub fn touch(&mut self, id: u64) {
        if let Some(before) = self.issues.get(&id).cloned() {
            let mut after = before.clone();
            self.reindex(&before, &mut after);
            self.issues.insert(id, after);
        }
    }

    /// A new `updated` for `after`, and search still showing what it showed of `before`.
    fn reindex(&mut self, before: &Issue, after: &mut Issue) {
        let now = self.tick();
        let visible = if Instant::now() >= before.indexed_at {
            Some(Box::new(before.clone()))
        } else {
            before.indexed.clone()
        };
        after.updated = now;
        after.indexed = visible;
        after.indexed_at = Instant::now() + self.options.search_lag;
    }

    /// What search shows for an issue right now (none: not yet indexed).
    pub fn search_view(&self, i: &Issue) -> Option<Issue> {
        if Instant::now() >= i.indexed_at {
            Some(i.clone())
        } else {
            i.indexed.as_deref().cloned()
        }
    }

    fn check_refs(&self, f: &IssueFields) -> Result<(), SimError> {
        if let Some(Some(a)) = &f.assignee
            && !self.users.contains_key(a)
        {
            return Err(SimError::field(
                400,
                "assignee",
                format!("User '{a}' does not exist."),
            ));
        }
        if let Some(Some(sp)) = f.sprint {
            match self.sprints.get(&sp) {
                None => {
                    return Err(SimError::field(
                        400,
                        SPRINT_FIELD,
                        format!("Sprint with id {sp} does not exist"),
                    ));
                }
                Some(s) if s.state == "closed" => {
                    return Err(SimError::field(
                        400,
                        SPRINT_FIELD,
                        "Issues can be assigned to open sprints only",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn component_ids(&self, names: &[String]) -> Vec<u64> {
        names
            .iter()
            .filter_map(|n| self.components.values().find(|c| &c.name == n))
            .map(|c| c.id)
            .collect()
    }

    /// `POST /rest/api/3/component`.
    pub fn create_component(&mut self, body: &Value) -> Result<u64, SimError> {
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                SimError::field(400, "name", "The component name specified is invalid")
            })?;
        if body.get("project").and_then(Value::as_str) != Some(self.options.project_key.as_str()) {
            return Err(SimError::field(400, "project", "The project is not valid."));
        }
        if self.components.values().any(|c| c.name == name) {
            return Err(SimError::field(
                400,
                "name",
                format!("A component with the name {name} already exists in this project."),
            ));
        }
        let id = self.next_id();
        let description = body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.components.insert(
            id,
            Component {
                id,
                name: name.to_string(),
                description,
            },
        );
        Ok(id)
    }

    /// `PUT /rest/api/3/component/{id}`.
    pub fn update_component(&mut self, id: u64, body: &Value) -> Result<(), SimError> {
        let c = self.components.get_mut(&id).ok_or_else(|| {
            SimError::msg(404, format!("The component with id {id} does not exist."))
        })?;
        if let Some(n) = body.get("name").and_then(Value::as_str) {
            c.name = n.to_string();
        }
        if let Some(d) = body.get("description") {
            c.description = d.as_str().map(str::to_string);
        }
        Ok(())
    }

    /// `POST /rest/agile/1.0/sprint` with `startDate`/`endDate` from `body`; returns the
    /// sprint id.
    pub fn create_sprint_with(
        &mut self,
        name: &str,
        goal: Option<String>,
        body: &Value,
    ) -> Result<u64, SimError> {
        let (start, end) = (
            sprint_date(body, "startDate")?,
            sprint_date(body, "endDate")?,
        );
        let id = self.new_sprint(name, goal)?;
        let s = self.sprints.get_mut(&id).expect("just created");
        s.start_date = start.flatten();
        s.end_date = end.flatten();
        self.queue_sprint_event(id, "sprint_created");
        Ok(id)
    }

    /// `POST /rest/agile/1.0/sprint` without dates; returns the sprint id.
    pub fn create_sprint(&mut self, name: &str, goal: Option<String>) -> Result<u64, SimError> {
        self.create_sprint_with(name, goal, &Value::Null)
    }

    /// A new future sprint (no event yet).
    fn new_sprint(&mut self, name: &str, goal: Option<String>) -> Result<u64, SimError> {
        if name.trim().is_empty() {
            return Err(SimError::field(400, "name", "Sprint name is required"));
        }
        if name.chars().count() > 30 {
            return Err(SimError::field(
                400,
                "name",
                "The sprint name must not exceed 30 characters.",
            ));
        }
        let id = self.next_id() % 1000 + 1;
        self.sprints.insert(
            id,
            Sprint {
                id,
                name: name.to_string(),
                goal,
                state: "future".into(),
                start_date: None,
                end_date: None,
            },
        );
        Ok(id)
    }

    /// `POST /rest/agile/1.0/sprint/{id}` (partial update: name, goal, state, dates).
    pub fn update_sprint(&mut self, id: u64, body: &Value) -> Result<(), SimError> {
        let (start, end) = (
            sprint_date(body, "startDate")?,
            sprint_date(body, "endDate")?,
        );
        let s = self
            .sprints
            .get_mut(&id)
            .ok_or_else(|| SimError::msg(404, format!("Sprint with id {id} does not exist")))?;
        if s.state != "future" && (start == Some(None) || end == Some(None)) {
            return Err(SimError::msg(
                400,
                "A started sprint needs a start date and an end date.",
            ));
        }
        let mut event = "sprint_updated";
        if let Some(n) = body.get("name").and_then(Value::as_str) {
            s.name = n.to_string();
        }
        if let Some(g) = body.get("goal") {
            s.goal = g.as_str().map(str::to_string);
        }
        if let Some(st) = body.get("state").and_then(Value::as_str) {
            match (s.state.as_str(), st) {
                (a, b) if a == b => {}
                ("future", "active") => {
                    if body.get("startDate").is_none() && s.start_date.is_none()
                        || body.get("endDate").is_none() && s.end_date.is_none()
                    {
                        return Err(SimError::msg(
                            400,
                            "A sprint needs a start date and an end date to be started.",
                        ));
                    }
                    s.state = "active".into();
                    event = "sprint_started";
                }
                ("active", "closed") => {
                    s.state = "closed".into();
                    event = "sprint_closed";
                }
                _ => {
                    return Err(SimError::msg(
                        400,
                        format!("The sprint cannot move from {} to {st}.", s.state),
                    ));
                }
            }
        }
        if let Some(d) = start {
            s.start_date = d;
        }
        if let Some(d) = end {
            s.end_date = d;
        }
        self.queue_sprint_event(id, event);
        Ok(())
    }

    /// `DELETE /rest/agile/1.0/sprint/{id}`.
    pub fn delete_sprint(&mut self, id: u64) -> Result<(), SimError> {
        if !self.sprints.contains_key(&id) {
            return Err(SimError::msg(
                404,
                format!("Sprint with id {id} does not exist"),
            ));
        }
        self.queue_sprint_event(id, "sprint_deleted");
        self.sprints.remove(&id);
        let ids: Vec<u64> = self
            .issues
            .values()
            .filter(|i| i.sprint_ids.contains(&id))
            .map(|i| i.id)
            .collect();
        for i in ids {
            self.change(i, |x| x.sprint_ids.retain(|s| *s != id))?;
        }
        Ok(())
    }

    /// `POST /rest/agile/1.0/sprint/{id}/issue` (open sprints, 50 issues at most) or, with
    /// `sprint = None`, `POST /rest/agile/1.0/backlog/issue`.
    pub fn move_to_sprint(&mut self, sprint: Option<u64>, body: &Value) -> Result<(), SimError> {
        let keys: Vec<String> = body
            .get("issues")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if keys.is_empty() || keys.len() > 50 {
            return Err(SimError::msg(
                400,
                "Between 1 and 50 issues can be moved at once.",
            ));
        }
        if let Some(sp) = sprint {
            match self.sprints.get(&sp) {
                None => {
                    return Err(SimError::msg(
                        404,
                        format!("Sprint with id {sp} does not exist"),
                    ));
                }
                Some(s) if s.state == "closed" => {
                    return Err(SimError::msg(
                        400,
                        "Issues can be moved to open sprints only",
                    ));
                }
                _ => {}
            }
        }
        let ids = keys
            .iter()
            .map(|k| self.id_of(k))
            .collect::<Result<Vec<_>, _>>()?;
        for id in ids {
            self.change(id, |i| i.sprint_ids = sprint.into_iter().collect())?;
        }
        Ok(())
    }

    /// The `changelog.items` between two versions of an issue.
    fn changelog(&self, a: &Issue, b: &Issue) -> Vec<Value> {
        let mut items = Vec::new();
        let mut item = |field: &str, from: String, to: String| {
            if from != to {
                items.push(json!({"field": field, "fieldtype": "jira", "from": null, "fromString": from, "to": null, "toString": to}));
            }
        };
        item("summary", a.summary.clone(), b.summary.clone());
        item(
            "description",
            a.description
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default(),
            b.description
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default(),
        );
        item(
            "status",
            self.status_of(a).name.to_string(),
            self.status_of(b).name.to_string(),
        );
        item("labels", a.labels.join(" "), b.labels.join(" "));
        item(
            "Component",
            format!("{:?}", a.component_ids),
            format!("{:?}", b.component_ids),
        );
        item(
            "assignee",
            a.assignee.clone().unwrap_or_default(),
            b.assignee.clone().unwrap_or_default(),
        );
        item(
            "Sprint",
            format!("{:?}", a.sprint_ids),
            format!("{:?}", b.sprint_ids),
        );
        item(
            "duedate",
            a.duedate.clone().unwrap_or_default(),
            b.duedate.clone().unwrap_or_default(),
        );
        item(
            "resolution",
            a.resolution.clone().unwrap_or_default(),
            b.resolution.clone().unwrap_or_default(),
        );
        items
    }
}

/// A sprint date of a request: absent, `null` (cleared), or an ISO 8601 date-time, kept as
/// Jira renders it (UTC, milliseconds: `2026-12-01T12:00:00.000Z`); anything else is a 400.
fn sprint_date(body: &Value, key: &str) -> Result<Option<Option<String>>, SimError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(d)) => chrono::DateTime::parse_from_rfc3339(d)
            .map(|t| {
                Some(Some(
                    t.with_timezone(&chrono::Utc)
                        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                        .to_string(),
                ))
            })
            .map_err(|_| SimError::field(400, key, "Invalid date format.")),
        Some(_) => Err(SimError::field(400, key, "Invalid date format.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duedate_is_a_date_stored_returned_and_cleared() {
        let mut s = State::new(crate::jira::JiraOptions::default());
        let body = json!({"fields": {"summary": "Dated", "issuetype": {"name": "Task"},
                                     "duedate": "2027-03-05"}});
        let id = s
            .create_issue(IssueFields::parse(&s, &body).unwrap())
            .unwrap();
        assert_eq!(s.fields(&s.issues[&id])["duedate"], "2027-03-05");
        let bad = json!({"fields": {"duedate": "05/03/2027"}});
        let e = IssueFields::parse(&s, &bad).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.body["errors"]["duedate"].is_string());
        let clear = IssueFields::parse(&s, &json!({"fields": {"duedate": null}})).unwrap();
        s.update_issue(id, clear).unwrap();
        assert_eq!(s.fields(&s.issues[&id])["duedate"], Value::Null);
    }
}
