//! Changes to the simulated repository with GitHub's semantics (labels and
//! assignees replace, milestone number or null, state + state_reason, updated_at
//! bumps only on a real change), each returning the webhook events it causes.

use serde_json::{Value, json};

use super::model::{Issue, Label, Milestone, State, label_json, user_json};

/// An error answer: status and GitHub's message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `message` of the JSON body.
    pub message: String,
}

impl ApiError {
    /// 404 Not Found.
    pub fn not_found() -> Self {
        ApiError {
            status: 404,
            message: "Not Found".into(),
        }
    }

    /// 422 Validation Failed with a reason.
    pub fn invalid(reason: impl Into<String>) -> Self {
        ApiError {
            status: 422,
            message: format!("Validation Failed: {}", reason.into()),
        }
    }
}

/// A webhook event a change causes: event name, action, and extra payload fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `issues`, `issue_comment`, `milestone` or `label`.
    pub event: &'static str,
    /// The payload's `action`.
    pub action: String,
    /// The changed object's number or name.
    pub subject: String,
    /// Extra top-level payload fields (`label`, `assignee`, `changes`...).
    pub extra: Value,
}

fn event(event: &'static str, action: &str, subject: String, extra: Value) -> Event {
    Event {
        event,
        action: action.into(),
        subject,
        extra,
    }
}

/// A change to an issue, as a PATCH body or a user's edit on github.com.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IssueEdit {
    /// New title.
    pub title: Option<String>,
    /// New body (`Some(None)` clears it).
    pub body: Option<Option<String>>,
    /// `open` or `closed`.
    pub state: Option<String>,
    /// `completed`, `not_planned`, `reopened`, `duplicate`, or `Some(None)`.
    pub state_reason: Option<Option<String>>,
    /// The complete label set.
    pub labels: Option<Vec<String>>,
    /// The complete assignee set.
    pub assignees: Option<Vec<String>>,
    /// Milestone number, or `Some(None)` to remove it.
    pub milestone: Option<Option<u64>>,
}

fn opt_string(v: &Value, key: &str) -> Result<Option<Option<String>>, ApiError> {
    match v.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(ApiError::invalid(format!("`{key}` must be a string"))),
    }
}

fn string_list(v: &Value, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    match v.get(key) {
        None => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                Value::Object(o) => o
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::invalid(format!("`{key}` items need a name"))),
                _ => Err(ApiError::invalid(format!("`{key}` must list strings"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::invalid(format!("`{key}` must be an array"))),
    }
}

impl IssueEdit {
    /// Reads a PATCH/POST body.
    pub fn from_json(v: &Value) -> Result<IssueEdit, ApiError> {
        if !v.is_object() {
            return Err(ApiError {
                status: 400,
                message: "Problems parsing JSON".into(),
            });
        }
        let milestone = match v.get("milestone") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(m) => Some(Some(m.as_u64().ok_or_else(|| {
                ApiError::invalid("`milestone` must be a number or null")
            })?)),
        };
        let state = opt_string(v, "state")?.flatten();
        if let Some(s) = &state
            && s != "open"
            && s != "closed"
        {
            return Err(ApiError::invalid("`state` must be open or closed"));
        }
        let state_reason = opt_string(v, "state_reason")?;
        if let Some(Some(r)) = &state_reason
            && !["completed", "not_planned", "reopened", "duplicate"].contains(&r.as_str())
        {
            return Err(ApiError::invalid(format!("unknown state_reason {r:?}")));
        }
        Ok(IssueEdit {
            title: opt_string(v, "title")?.flatten(),
            body: opt_string(v, "body")?,
            state,
            state_reason,
            labels: string_list(v, "labels")?,
            assignees: string_list(v, "assignees")?,
            milestone,
        })
    }
}

/// Makes sure every label exists (GitHub creates unknown labels on issue writes) and
/// returns the names with the repository's spelling.
fn ensure_labels(st: &mut State, names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if st.label(n).is_none() {
            let id = st.id();
            st.labels.push(Label {
                id,
                name: n.clone(),
                color: "ededed".into(),
                description: None,
            });
        }
        let name = st.label(n).map(|l| l.name.clone()).unwrap_or_default();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn check_assignees(st: &State, logins: &[String]) -> Result<(), ApiError> {
    match logins.iter().find(|a| !st.collaborators.contains(a)) {
        Some(a) => Err(ApiError::invalid(format!("cannot assign {a:?}"))),
        None => Ok(()),
    }
}

fn check_milestone(st: &State, m: Option<u64>) -> Result<(), ApiError> {
    match m {
        Some(n) if !st.milestones.contains_key(&n) => {
            Err(ApiError::invalid(format!("milestone {n} does not exist")))
        }
        _ => Ok(()),
    }
}

/// Creates an issue (or pull request) and returns its number and events.
pub fn create_issue(
    st: &mut State,
    title: &str,
    edit: IssueEdit,
    pull_request: bool,
    user: &str,
) -> Result<(u64, Vec<Event>), ApiError> {
    if title.trim().is_empty() {
        return Err(ApiError::invalid("`title` is required"));
    }
    let assignees = edit.assignees.clone().unwrap_or_default();
    check_assignees(st, &assignees)?;
    let milestone = edit.milestone.flatten();
    check_milestone(st, milestone)?;
    let labels = ensure_labels(st, &edit.labels.clone().unwrap_or_default());
    let now = st.now();
    let number = st.next_number;
    st.next_number += 1;
    let id = st.id();
    let closed = edit.state.as_deref() == Some("closed");
    st.issues.insert(
        number,
        Issue {
            number,
            id,
            title: title.to_string(),
            body: edit.body.flatten(),
            state: if closed { "closed" } else { "open" }.into(),
            state_reason: closed.then(|| "completed".to_string()),
            labels,
            assignees,
            milestone,
            is_pull_request: pull_request,
            user: user.into(),
            created_at: now,
            updated_at: now,
            closed_at: closed.then_some(now),
        },
    );
    let events = if pull_request {
        vec![]
    } else {
        vec![event("issues", "opened", number.to_string(), json!({}))]
    };
    Ok((number, events))
}

fn diff_events(before: &Issue, after: &Issue, st: &State) -> Vec<Event> {
    let n = after.number.to_string();
    let mut ev = Vec::new();
    let mut changes = serde_json::Map::new();
    if before.title != after.title {
        changes.insert("title".into(), json!({"from": before.title}));
    }
    if before.body != after.body {
        changes.insert("body".into(), json!({"from": before.body}));
    }
    if !changes.is_empty() {
        ev.push(event(
            "issues",
            "edited",
            n.clone(),
            json!({"changes": changes}),
        ));
    }
    for added in after.labels.iter().filter(|l| !before.labels.contains(l)) {
        let label = st.label(added).map(|l| label_json(st, l));
        ev.push(event(
            "issues",
            "labeled",
            n.clone(),
            json!({"label": label}),
        ));
    }
    for removed in before.labels.iter().filter(|l| !after.labels.contains(l)) {
        let label = st.label(removed).map(|l| label_json(st, l));
        ev.push(event(
            "issues",
            "unlabeled",
            n.clone(),
            json!({"label": label}),
        ));
    }
    for a in after
        .assignees
        .iter()
        .filter(|a| !before.assignees.contains(a))
    {
        ev.push(event(
            "issues",
            "assigned",
            n.clone(),
            json!({"assignee": user_json(a)}),
        ));
    }
    for a in before
        .assignees
        .iter()
        .filter(|a| !after.assignees.contains(a))
    {
        ev.push(event(
            "issues",
            "unassigned",
            n.clone(),
            json!({"assignee": user_json(a)}),
        ));
    }
    if before.milestone != after.milestone {
        if before.milestone.is_some() {
            ev.push(event("issues", "demilestoned", n.clone(), json!({})));
        }
        if after.milestone.is_some() {
            ev.push(event("issues", "milestoned", n.clone(), json!({})));
        }
    }
    if before.state != after.state {
        let action = if after.state == "closed" {
            "closed"
        } else {
            "reopened"
        };
        ev.push(event("issues", action, n, json!({})));
    }
    ev
}

/// Applies an edit to issue `number`; `updated_at` moves only when something changed.
pub fn edit_issue(st: &mut State, number: u64, edit: IssueEdit) -> Result<Vec<Event>, ApiError> {
    let before = st
        .issues
        .get(&number)
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    if let Some(a) = &edit.assignees {
        check_assignees(st, a)?;
    }
    if let Some(m) = edit.milestone {
        check_milestone(st, m)?;
    }
    let labels = edit.labels.as_ref().map(|l| ensure_labels(st, l));
    let now = st.now();
    let mut after = before.clone();
    if let Some(t) = edit.title {
        if t.trim().is_empty() {
            return Err(ApiError::invalid("`title` cannot be blank"));
        }
        after.title = t;
    }
    if let Some(b) = edit.body {
        after.body = b;
    }
    if let Some(l) = labels {
        after.labels = l;
    }
    if let Some(a) = edit.assignees {
        after.assignees = a;
    }
    if let Some(m) = edit.milestone {
        after.milestone = m;
    }
    if let Some(s) = edit.state {
        if s != before.state {
            after.closed_at = (s == "closed").then_some(now);
            after.state_reason = Some(
                if s == "closed" {
                    "completed"
                } else {
                    "reopened"
                }
                .into(),
            );
        }
        after.state = s;
    }
    if let Some(r) = edit.state_reason {
        after.state_reason = r;
    }
    let events = diff_events(&before, &after, st);
    if after != before {
        after.updated_at = now;
    }
    st.issues.insert(number, after);
    Ok(events)
}

/// A change to a milestone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MilestoneEdit {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<Option<String>>,
    /// `open` or `closed`.
    pub state: Option<String>,
    /// Due date, epoch seconds, or `Some(None)` to clear.
    pub due_on: Option<Option<i64>>,
}

impl MilestoneEdit {
    /// Reads a PATCH/POST body.
    pub fn from_json(v: &Value) -> Result<MilestoneEdit, ApiError> {
        let due_on = match opt_string(v, "due_on")? {
            None => None,
            Some(None) => Some(None),
            Some(Some(s)) => {
                Some(Some(super::model::parse_iso(&s).ok_or_else(|| {
                    ApiError::invalid("`due_on` must be ISO 8601")
                })?))
            }
        };
        let state = opt_string(v, "state")?.flatten();
        if let Some(s) = &state
            && s != "open"
            && s != "closed"
        {
            return Err(ApiError::invalid("`state` must be open or closed"));
        }
        Ok(MilestoneEdit {
            title: opt_string(v, "title")?.flatten(),
            description: opt_string(v, "description")?,
            state,
            due_on,
        })
    }
}

/// Creates a milestone.
pub fn create_milestone(
    st: &mut State,
    edit: MilestoneEdit,
) -> Result<(u64, Vec<Event>), ApiError> {
    let title = edit
        .title
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("`title` is required"))?;
    if st.milestones.values().any(|m| m.title == title) {
        return Err(ApiError::invalid(
            "a milestone with this title already exists",
        ));
    }
    let now = st.now();
    let number = st.next_milestone;
    st.next_milestone += 1;
    let id = st.id();
    let closed = edit.state.as_deref() == Some("closed");
    st.milestones.insert(
        number,
        Milestone {
            number,
            id,
            title,
            description: edit.description.flatten(),
            state: if closed { "closed" } else { "open" }.into(),
            due_on: edit.due_on.flatten(),
            created_at: now,
            updated_at: now,
            closed_at: closed.then_some(now),
        },
    );
    Ok((
        number,
        vec![event("milestone", "created", number.to_string(), json!({}))],
    ))
}

/// Edits a milestone.
pub fn edit_milestone(
    st: &mut State,
    number: u64,
    edit: MilestoneEdit,
) -> Result<Vec<Event>, ApiError> {
    let now = st.now();
    let m = st
        .milestones
        .get_mut(&number)
        .ok_or_else(ApiError::not_found)?;
    let before = m.clone();
    if let Some(t) = edit.title {
        m.title = t;
    }
    if let Some(d) = edit.description {
        m.description = d;
    }
    if let Some(d) = edit.due_on {
        m.due_on = d;
    }
    if let Some(s) = edit.state {
        if s != m.state {
            m.closed_at = (s == "closed").then_some(now);
        }
        m.state = s;
    }
    let mut events = Vec::new();
    if *m != before {
        m.updated_at = now;
        let fields_changed = m.title != before.title
            || m.description != before.description
            || m.due_on != before.due_on;
        if fields_changed {
            events.push(event("milestone", "edited", number.to_string(), json!({})));
        }
        if m.state != before.state {
            let action = if m.state == "closed" {
                "closed"
            } else {
                "opened"
            };
            events.push(event("milestone", action, number.to_string(), json!({})));
        }
    }
    Ok(events)
}

/// Deletes a milestone (issues lose it). Returns the deleted milestone for the payload.
pub fn delete_milestone(st: &mut State, number: u64) -> Result<(Milestone, Vec<Event>), ApiError> {
    let rendered = st
        .milestones
        .get(&number)
        .map(|m| super::model::milestone_json(st, m));
    let m = st
        .milestones
        .remove(&number)
        .ok_or_else(ApiError::not_found)?;
    let now = st.now();
    for i in st
        .issues
        .values_mut()
        .filter(|i| i.milestone == Some(number))
    {
        i.milestone = None;
        i.updated_at = now;
    }
    Ok((
        m,
        vec![event(
            "milestone",
            "deleted",
            number.to_string(),
            json!({"milestone": rendered}),
        )],
    ))
}

fn valid_color(c: &str) -> bool {
    c.len() == 6 && c.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Creates a label.
pub fn create_label(st: &mut State, v: &Value) -> Result<(String, Vec<Event>), ApiError> {
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("`name` is required"))?;
    if st.label(name).is_some() {
        return Err(ApiError::invalid("label already_exists"));
    }
    let color = v
        .get("color")
        .and_then(Value::as_str)
        .unwrap_or("ededed")
        .trim_start_matches('#');
    if !valid_color(color) {
        return Err(ApiError::invalid("`color` must be six hex digits"));
    }
    let id = st.id();
    st.labels.push(Label {
        id,
        name: name.into(),
        color: color.to_lowercase(),
        description: v
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
    });
    Ok((
        name.into(),
        vec![event("label", "created", name.into(), json!({}))],
    ))
}

/// Edits a label (`new_name` renames it everywhere).
pub fn edit_label(st: &mut State, name: &str, v: &Value) -> Result<(String, Vec<Event>), ApiError> {
    let new_name = v
        .get("new_name")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(n) = &new_name
        && !n.eq_ignore_ascii_case(name)
        && st.label(n).is_some()
    {
        return Err(ApiError::invalid("label already_exists"));
    }
    let color = v
        .get("color")
        .and_then(Value::as_str)
        .map(|c| c.trim_start_matches('#').to_lowercase());
    if color.as_deref().is_some_and(|c| !valid_color(c)) {
        return Err(ApiError::invalid("`color` must be six hex digits"));
    }
    let idx = st
        .labels
        .iter()
        .position(|l| l.name.eq_ignore_ascii_case(name))
        .ok_or_else(ApiError::not_found)?;
    let before = st.labels[idx].clone();
    let l = &mut st.labels[idx];
    if let Some(n) = &new_name {
        l.name = n.clone();
    }
    if let Some(c) = color {
        l.color = c;
    }
    if let Some(d) = v.get("description") {
        l.description = d.as_str().map(str::to_string);
    }
    let after = l.clone();
    if after.name != before.name {
        for i in st.issues.values_mut() {
            for label in i.labels.iter_mut().filter(|x| **x == before.name) {
                *label = after.name.clone();
            }
        }
    }
    let mut changes = serde_json::Map::new();
    if after.name != before.name {
        changes.insert("name".into(), json!({"from": before.name}));
    }
    if after.color != before.color {
        changes.insert("color".into(), json!({"from": before.color}));
    }
    if after.description != before.description {
        changes.insert("description".into(), json!({"from": before.description}));
    }
    let events = if changes.is_empty() {
        vec![]
    } else {
        vec![event(
            "label",
            "edited",
            after.name.clone(),
            json!({"changes": changes}),
        )]
    };
    Ok((after.name, events))
}

/// Deletes a label (issues lose it).
pub fn delete_label(st: &mut State, name: &str) -> Result<(Label, Vec<Event>), ApiError> {
    let idx = st
        .labels
        .iter()
        .position(|l| l.name.eq_ignore_ascii_case(name))
        .ok_or_else(ApiError::not_found)?;
    let rendered = label_json(st, &st.labels[idx]);
    let l = st.labels.remove(idx);
    for i in st.issues.values_mut() {
        i.labels.retain(|x| *x != l.name);
    }
    Ok((
        l.clone(),
        vec![event(
            "label",
            "deleted",
            l.name,
            json!({"label": rendered}),
        )],
    ))
}
