//! The GitLab simulator's write operations, shared by the HTTP handlers and the test
//! helpers, with GitLab's validation rules and the webhooks each change emits.

use serde_json::{Map, Value, json};

use super::model::{Epic, Issue, Label, Milestone, State, utc_words};

/// A GitLab error answer: status and `message`.
#[derive(Debug, Clone)]
pub struct SimError {
    pub status: u16,
    pub message: Value,
}

impl SimError {
    pub fn new(status: u16, message: impl Into<String>) -> SimError {
        SimError {
            status,
            message: Value::String(message.into()),
        }
    }
    fn not_found(what: &str) -> SimError {
        SimError::new(404, format!("404 {what} Not Found"))
    }
}

/// Fields of an issue create or edit, as the API accepts them.
#[derive(Debug, Clone, Default)]
pub struct IssueEdit {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `close` or `reopen`.
    pub state_event: Option<String>,
    /// The complete label set.
    pub labels: Option<Vec<String>>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
    /// The complete assignee set (`[0]` or `[]` clears it).
    pub assignee_ids: Option<Vec<u64>>,
    /// `Some(0)` unsets the milestone.
    pub milestone_id: Option<u64>,
    /// `YYYY-MM-DD`; `Some(None)` (`null` or empty) clears it.
    pub due_date: Option<Option<String>>,
}

/// Fields of a milestone create or edit.
#[derive(Debug, Clone, Default)]
pub struct MilestoneEdit {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `YYYY-MM-DD`; `Some(None)` (`null` or empty) clears it.
    pub due_date: Option<Option<String>>,
    /// `YYYY-MM-DD`; `Some(None)` (`null` or empty) clears it.
    pub start_date: Option<Option<String>>,
    /// `close` or `activate`.
    pub state_event: Option<String>,
}

impl IssueEdit {
    /// Reads the parameters GitLab accepts (JSON body or form): `labels` as a comma
    /// separated string (or array), ids as numbers or numeric strings.
    pub fn from_params(p: &Map<String, Value>) -> Result<IssueEdit, SimError> {
        Ok(IssueEdit {
            title: text(p, "title"),
            description: text(p, "description"),
            state_event: text(p, "state_event"),
            labels: p.get("labels").map(list),
            add_labels: p.get("add_labels").map(list).unwrap_or_default(),
            remove_labels: p.get("remove_labels").map(list).unwrap_or_default(),
            assignee_ids: match p.get("assignee_ids").or_else(|| p.get("assignee_id")) {
                None => None,
                Some(v) => Some(ids(v)?),
            },
            milestone_id: match p.get("milestone_id") {
                None => None,
                Some(Value::Null) => Some(0),
                Some(v) => Some(number(v, "milestone_id")?),
            },
            due_date: date(p, "due_date")?,
        })
    }
}

impl MilestoneEdit {
    /// Reads milestone parameters.
    pub fn from_params(p: &Map<String, Value>) -> Result<MilestoneEdit, SimError> {
        Ok(MilestoneEdit {
            title: text(p, "title"),
            description: text(p, "description"),
            due_date: date(p, "due_date")?,
            start_date: date(p, "start_date")?,
            state_event: text(p, "state_event"),
        })
    }
}

/// A date parameter: absent, cleared (`null` or empty) or `YYYY-MM-DD` (else a 400 as GitLab
/// answers `{"message": "<key> is invalid"}`).
fn date(p: &Map<String, Value>, key: &str) -> Result<Option<Option<String>>, SimError> {
    match p.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
        Some(Value::String(s)) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
            Ok(Some(Some(s.clone())))
        }
        Some(_) => Err(SimError::new(400, format!("{key} is invalid"))),
    }
}

fn text(p: &Map<String, Value>, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str())
            .map(str::to_string)
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn number(v: &Value, key: &str) -> Result<u64, SimError> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| SimError::new(400, format!("{key} is invalid")))
}

fn ids(v: &Value) -> Result<Vec<u64>, SimError> {
    let raw: Vec<u64> = match v {
        Value::Array(a) => a
            .iter()
            .map(|x| number(x, "assignee_ids"))
            .collect::<Result<_, _>>()?,
        Value::Null => Vec::new(),
        other => vec![number(other, "assignee_ids")?],
    };
    Ok(raw.into_iter().filter(|id| *id != 0).collect())
}

impl State {
    /// `POST /projects/:id/issues`; returns the new `iid`.
    pub fn create_issue(&mut self, title: &str, edit: IssueEdit) -> Result<u64, SimError> {
        if title.trim().is_empty() {
            return Err(SimError {
                status: 400,
                message: json!({"title": ["can't be blank"]}),
            });
        }
        self.check_refs(&edit)?;
        let now = self.tick();
        let id = self.next_id();
        let iid = self.issues.keys().last().copied().unwrap_or(0) + 1;
        let labels = edit.labels.clone().unwrap_or_default();
        self.ensure_labels(&labels);
        let issue = Issue {
            id,
            iid,
            title: title.to_string(),
            description: edit.description.clone(),
            state: "opened".into(),
            labels,
            assignee_ids: edit.assignee_ids.clone().unwrap_or_default(),
            milestone_id: edit.milestone_id.filter(|m| *m != 0),
            due_date: edit.due_date.clone().flatten(),
            created_at: now,
            updated_at: now,
            closed_at: None,
        };
        self.issues.insert(iid, issue);
        self.queue_issue_hook(iid, "open", Map::new());
        Ok(iid)
    }

    /// `PUT /projects/:id/issues/:iid`.
    pub fn update_issue(&mut self, iid: u64, edit: IssueEdit) -> Result<(), SimError> {
        if !self.issues.contains_key(&iid) {
            return Err(SimError::not_found("Issue"));
        }
        if let Some(ev) = &edit.state_event
            && ev != "close"
            && ev != "reopen"
        {
            return Err(SimError::new(
                400,
                "state_event does not have a valid value",
            ));
        }
        if let Some(t) = &edit.title
            && t.trim().is_empty()
        {
            return Err(SimError {
                status: 400,
                message: json!({"title": ["can't be blank"]}),
            });
        }
        self.check_refs(&edit)?;
        let before = self.issues[&iid].clone();
        let mut labels = edit.labels.clone().unwrap_or_else(|| before.labels.clone());
        labels.retain(|l| !edit.remove_labels.contains(l));
        for l in &edit.add_labels {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
        self.ensure_labels(&labels);
        let now = self.tick();
        let issue = self.issues.get_mut(&iid).expect("checked");
        if let Some(t) = edit.title {
            issue.title = t;
        }
        if let Some(d) = edit.description {
            issue.description = Some(d);
        }
        issue.labels = labels;
        if let Some(a) = edit.assignee_ids {
            issue.assignee_ids = a;
        }
        if let Some(m) = edit.milestone_id {
            issue.milestone_id = (m != 0).then_some(m);
        }
        if let Some(d) = edit.due_date {
            issue.due_date = d;
        }
        let mut action = "update";
        match edit.state_event.as_deref() {
            Some("close") if issue.state == "opened" => {
                issue.state = "closed".into();
                issue.closed_at = Some(now);
                action = "close";
            }
            Some("reopen") if issue.state == "closed" => {
                issue.state = "opened".into();
                issue.closed_at = None;
                action = "reopen";
            }
            _ => {}
        }
        if *issue == before {
            return Ok(());
        }
        issue.updated_at = now;
        let after = issue.clone();
        let changes = issue_changes(&before, &after);
        self.add_system_notes(&before, &after);
        self.queue_issue_hook(iid, action, changes);
        Ok(())
    }

    /// `DELETE /projects/:id/issues/:iid` (GitLab sends no hook for it).
    pub fn delete_issue(&mut self, iid: u64) -> Result<(), SimError> {
        self.issues
            .remove(&iid)
            .ok_or_else(|| SimError::not_found("Issue"))?;
        self.notes.retain(|_, n| n.issue_iid != iid);
        Ok(())
    }

    fn check_refs(&self, edit: &IssueEdit) -> Result<(), SimError> {
        if let Some(m) = edit.milestone_id
            && m != 0
            && !self.milestones.contains_key(&m)
        {
            return Err(SimError::not_found("Milestone"));
        }
        for a in edit.assignee_ids.iter().flatten() {
            if !self.users.contains_key(a) {
                return Err(SimError::not_found("User"));
            }
        }
        Ok(())
    }

    /// GitLab creates unknown labels used on an issue.
    fn ensure_labels(&mut self, names: &[String]) {
        for n in names {
            if !self.labels.values().any(|l| &l.name == n) {
                let id = self.next_id();
                self.labels.insert(
                    id,
                    Label {
                        id,
                        name: n.clone(),
                        color: "#6699cc".into(),
                        description: None,
                    },
                );
            }
        }
    }

    /// `POST /projects/:id/milestones`; returns the new id.
    pub fn create_milestone(&mut self, title: &str, edit: MilestoneEdit) -> Result<u64, SimError> {
        if title.trim().is_empty() {
            return Err(SimError::new(400, "title is missing"));
        }
        if self.milestones.values().any(|m| m.title == title) {
            return Err(SimError::new(400, "Milestone already exists"));
        }
        let now = self.tick();
        let id = self.next_id();
        let iid = self.milestones.values().map(|m| m.iid).max().unwrap_or(0) + 1;
        self.milestones.insert(
            id,
            Milestone {
                id,
                iid,
                title: title.to_string(),
                description: edit.description,
                state: "active".into(),
                due_date: edit.due_date.flatten(),
                start_date: edit.start_date.flatten(),
                created_at: now,
                updated_at: now,
            },
        );
        self.queue_milestone_hook(id, "create");
        Ok(id)
    }

    /// `PUT /projects/:id/milestones/:milestone_id`.
    pub fn update_milestone(&mut self, id: u64, edit: MilestoneEdit) -> Result<(), SimError> {
        let now = self.tick();
        let m = self
            .milestones
            .get_mut(&id)
            .ok_or_else(|| SimError::not_found("Milestone"))?;
        if let Some(t) = edit.title {
            m.title = t;
        }
        if let Some(d) = edit.description {
            m.description = Some(d);
        }
        if let Some(d) = edit.due_date {
            m.due_date = d;
        }
        if let Some(d) = edit.start_date {
            m.start_date = d;
        }
        let mut action = None;
        match edit.state_event.as_deref() {
            None => {}
            Some("close") if m.state == "active" => {
                m.state = "closed".into();
                action = Some("close");
            }
            Some("activate") if m.state == "closed" => {
                m.state = "active".into();
                action = Some("reopen");
            }
            Some("close") | Some("activate") => {}
            Some(_) => {
                return Err(SimError::new(
                    400,
                    "state_event does not have a valid value",
                ));
            }
        }
        m.updated_at = now;
        if let Some(a) = action {
            self.queue_milestone_hook(id, a);
        }
        Ok(())
    }

    /// `DELETE /projects/:id/milestones/:milestone_id`.
    pub fn delete_milestone(&mut self, id: u64) -> Result<(), SimError> {
        if !self.milestones.contains_key(&id) {
            return Err(SimError::not_found("Milestone"));
        }
        self.queue_milestone_hook(id, "delete");
        self.milestones.remove(&id);
        for i in self.issues.values_mut() {
            if i.milestone_id == Some(id) {
                i.milestone_id = None;
            }
        }
        Ok(())
    }

    /// `POST /projects/:id/labels` (`name` and `color` required).
    pub fn create_label(&mut self, p: &Map<String, Value>) -> Result<u64, SimError> {
        let name = text(p, "name")
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| SimError::new(400, "name is missing"))?;
        let color = text(p, "color").ok_or_else(|| SimError::new(400, "color is missing"))?;
        if self.labels.values().any(|l| l.name == name) {
            return Err(SimError::new(409, "Label already exists"));
        }
        let id = self.next_id();
        self.labels.insert(
            id,
            Label {
                id,
                name,
                color,
                description: text(p, "description"),
            },
        );
        Ok(id)
    }

    /// `PUT /projects/:id/labels/:label_id` (`new_name`, `color`, `description`).
    pub fn update_label(&mut self, id: u64, p: &Map<String, Value>) -> Result<(), SimError> {
        let old = self
            .labels
            .get(&id)
            .cloned()
            .ok_or_else(|| SimError::not_found("Label"))?;
        let new_name = text(p, "new_name");
        if new_name.is_none() && !p.contains_key("color") && !p.contains_key("description") {
            return Err(SimError::new(
                400,
                "new_name, color, description are missing, at least one parameter must be provided",
            ));
        }
        let l = self.labels.get_mut(&id).expect("checked");
        if let Some(n) = &new_name {
            l.name = n.clone();
        }
        if let Some(c) = text(p, "color") {
            l.color = c;
        }
        if p.contains_key("description") {
            l.description = text(p, "description");
        }
        if let Some(n) = new_name {
            for i in self.issues.values_mut() {
                for x in i.labels.iter_mut().filter(|x| **x == old.name) {
                    *x = n.clone();
                }
            }
        }
        Ok(())
    }

    /// `DELETE /projects/:id/labels/:label_id`.
    pub fn delete_label(&mut self, id: u64) -> Result<(), SimError> {
        let l = self
            .labels
            .remove(&id)
            .ok_or_else(|| SimError::not_found("Label"))?;
        for i in self.issues.values_mut() {
            i.labels.retain(|x| *x != l.name);
        }
        Ok(())
    }

    /// `POST /groups/:id/epics`; returns the new `iid`.
    pub fn create_epic(&mut self, p: &Map<String, Value>) -> Result<u64, SimError> {
        let title = text(p, "title")
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| SimError::new(400, "title is missing"))?;
        let now = self.tick();
        let id = self.next_id();
        let iid = self.epics.keys().last().copied().unwrap_or(0) + 1;
        self.epics.insert(
            iid,
            Epic {
                id,
                iid,
                title,
                description: text(p, "description"),
                state: "opened".into(),
                labels: p.get("labels").map(list).unwrap_or_default(),
                created_at: now,
                updated_at: now,
            },
        );
        Ok(iid)
    }

    /// `PUT /groups/:id/epics/:epic_iid` (`state_event` close|reopen).
    pub fn update_epic(&mut self, iid: u64, p: &Map<String, Value>) -> Result<(), SimError> {
        let now = self.tick();
        let e = self
            .epics
            .get_mut(&iid)
            .ok_or_else(|| SimError::not_found("Epic"))?;
        if let Some(t) = text(p, "title") {
            e.title = t;
        }
        if let Some(d) = text(p, "description") {
            e.description = Some(d);
        }
        if let Some(l) = p.get("labels") {
            e.labels = list(l);
        }
        match text(p, "state_event").as_deref() {
            None => {}
            Some("close") => e.state = "closed".into(),
            Some("reopen") => e.state = "opened".into(),
            Some(_) => {
                return Err(SimError::new(
                    400,
                    "state_event does not have a valid value",
                ));
            }
        }
        e.updated_at = now;
        Ok(())
    }
}

/// The `changes` object of an issue hook: previous and current values.
fn issue_changes(before: &Issue, after: &Issue) -> Map<String, Value> {
    let mut c = Map::new();
    let mut put = |k: &str, p: Value, n: Value| {
        if p != n {
            c.insert(k.into(), json!({"previous": p, "current": n}));
        }
    };
    put("title", json!(before.title), json!(after.title));
    put(
        "description",
        json!(before.description),
        json!(after.description),
    );
    put("labels", json!(before.labels), json!(after.labels));
    put(
        "assignees",
        json!(before.assignee_ids),
        json!(after.assignee_ids),
    );
    put(
        "milestone_id",
        json!(before.milestone_id),
        json!(after.milestone_id),
    );
    put("due_date", json!(before.due_date), json!(after.due_date));
    put(
        "state_id",
        json!(state_id(&before.state)),
        json!(state_id(&after.state)),
    );
    put(
        "updated_at",
        json!(utc_words(before.updated_at)),
        json!(utc_words(after.updated_at)),
    );
    c
}

fn state_id(s: &str) -> u8 {
    if s == "opened" { 1 } else { 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn an_issue_due_date_is_a_date_stored_returned_and_cleared() {
        let mut s = State::new(crate::gitlab::GitlabOptions::default());
        let edit = IssueEdit::from_params(&params(json!({"due_date": "2027-03-05"}))).unwrap();
        let iid = s.create_issue("Dated", edit).unwrap();
        assert_eq!(s.issue_json(&s.issues[&iid])["due_date"], "2027-03-05");
        let bad = IssueEdit::from_params(&params(json!({"due_date": "2027-03-05T12:00:00Z"})));
        assert_eq!(bad.unwrap_err().status, 400, "GitLab takes YYYY-MM-DD only");
        let clear = IssueEdit::from_params(&params(json!({"due_date": null}))).unwrap();
        s.update_issue(iid, clear).unwrap();
        assert_eq!(s.issue_json(&s.issues[&iid])["due_date"], Value::Null);
    }
}
