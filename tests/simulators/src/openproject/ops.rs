//! OpenProject writes: work packages (create; PATCH with the `lockVersion` read before,
//! 409 `UpdateConflict` when stale; links to status, category, version, assignee, parent),
//! versions and projects, with the webhook each change emits.

use serde_json::Value;

use super::hal;
use super::model::{State, Version, WorkPackage, now_stamp};

/// An error answer: status and HAL error body.
#[derive(Debug)]
pub struct SimError {
    pub status: u16,
    pub body: Value,
}

impl SimError {
    pub fn new(status: u16, identifier: &str, message: impl AsRef<str>) -> SimError {
        SimError {
            status,
            body: hal::error(identifier, message.as_ref()),
        }
    }

    pub fn not_found(what: &str) -> SimError {
        SimError::new(
            404,
            "NotFound",
            format!("The requested resource could not be found: {what}."),
        )
    }

    fn invalid(message: impl AsRef<str>) -> SimError {
        SimError::new(422, "PropertyConstraintViolation", message)
    }
}

/// The `details` sentences of a change journal.
fn change_details(before: &WorkPackage, after: &WorkPackage) -> Vec<String> {
    let mut d = Vec::new();
    if before.subject != after.subject {
        d.push(format!(
            "Subject changed from {} to {}",
            before.subject, after.subject
        ));
    }
    if before.description != after.description {
        d.push("Description changed".to_string());
    }
    if before.status_id != after.status_id {
        d.push("Status changed".to_string());
    }
    if before.assignee_id != after.assignee_id || before.version_id != after.version_id {
        d.push("Assignee or version changed".to_string());
    }
    if (&before.start_date, &before.due_date) != (&after.start_date, &after.due_date) {
        d.push("Dates changed".to_string());
    }
    d
}

/// A date property: absent, `null` (cleared) or `YYYY-MM-DD` (anything else is a 422).
fn date_of(body: &Value, key: &str) -> Result<Option<Option<String>>, SimError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(d)) if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() => {
            Ok(Some(Some(d.clone())))
        }
        Some(_) => Err(SimError::invalid(format!("{key} is not a valid date."))),
    }
}

/// Applies `startDate`/`dueDate` of `body` (a finish date before the start date is a 422).
fn apply_wp_dates(w: &mut WorkPackage, body: &Value) -> Result<(), SimError> {
    let start = date_of(body, "startDate")?.unwrap_or_else(|| w.start_date.clone());
    let due = date_of(body, "dueDate")?.unwrap_or_else(|| w.due_date.clone());
    if let (Some(start), Some(due)) = (&start, &due)
        && due < start
    {
        return Err(SimError::invalid(
            "Finish date must be greater than or equal to start date.",
        ));
    }
    (w.start_date, w.due_date) = (start, due);
    Ok(())
}

/// A link's target id: `Some(None)` when the link is set to null, `None` when absent.
fn link_id(body: &Value, rel: &str, collection: &str) -> Result<Option<Option<u64>>, SimError> {
    let Some(l) = body.pointer(&format!("/_links/{rel}")) else {
        return Ok(None);
    };
    match &l["href"] {
        Value::Null => Ok(Some(None)),
        Value::String(h) => {
            let prefix = format!("/api/v3/{collection}/");
            let tail = h
                .find(&prefix)
                .map(|i| &h[i + prefix.len()..])
                .ok_or_else(|| {
                    SimError::invalid(format!("{rel}: the link does not point to {collection}."))
                })?;
            tail.parse()
                .map(|id| Some(Some(id)))
                .map_err(|_| SimError::invalid(format!("{rel}: invalid link.")))
        }
        _ => Err(SimError::invalid(format!(
            "{rel}: href must be a string or null."
        ))),
    }
}

fn raw_text(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => o
            .get("raw")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(Some(String::new())),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

impl State {
    fn apply_wp_links(&self, w: &mut WorkPackage, body: &Value) -> Result<(), SimError> {
        if let Some(s) = link_id(body, "status", "statuses")? {
            let id = s.ok_or_else(|| SimError::invalid("Status can't be blank."))?;
            self.status(id).ok_or_else(|| {
                SimError::invalid("Status is not set to one of the allowed values.")
            })?;
            w.status_id = id;
        }
        if let Some(c) = link_id(body, "category", "categories")? {
            if c.is_some_and(|id| {
                self.categories
                    .get(&id)
                    .is_none_or(|c| c.project_id != w.project_id)
            }) {
                return Err(SimError::invalid(
                    "Category is not set to one of the allowed values.",
                ));
            }
            w.category_id = c;
        }
        if let Some(v) = link_id(body, "version", "versions")? {
            if v.is_some_and(|id| {
                self.versions
                    .get(&id)
                    .is_none_or(|v| v.project_id != w.project_id || v.status == "closed")
            }) {
                return Err(SimError::invalid(
                    "Version is not set to one of the allowed values.",
                ));
            }
            w.version_id = v;
        }
        if let Some(a) = link_id(body, "assignee", "users")? {
            if a.is_some_and(|id| self.user(id).is_none()) {
                return Err(SimError::invalid(
                    "Assignee is not set to one of the allowed values.",
                ));
            }
            w.assignee_id = a;
        }
        if let Some(p) = link_id(body, "parent", "work_packages")? {
            if p.is_some_and(|id| id == w.id || !self.work_packages.contains_key(&id)) {
                return Err(SimError::invalid("Parent is invalid."));
            }
            w.parent_id = p;
        }
        Ok(())
    }

    /// `POST /api/v3/projects/{id}/work_packages`.
    pub fn create_wp(&mut self, project_id: u64, body: &Value) -> Result<u64, SimError> {
        let subject = body["subject"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_string();
        if subject.is_empty() {
            return Err(SimError::invalid("Subject can't be blank."));
        }
        let now = now_stamp();
        let mut w = WorkPackage {
            id: 0,
            project_id,
            subject,
            description: raw_text(&body["description"]).unwrap_or_default(),
            status_id: 1,
            category_id: None,
            version_id: None,
            assignee_id: None,
            parent_id: None,
            start_date: None,
            due_date: None,
            lock_version: 0,
            created_at: now.clone(),
            updated_at: now,
        };
        self.apply_wp_links(&mut w, body)?;
        apply_wp_dates(&mut w, body)?;
        w.id = self.next_id();
        let id = w.id;
        self.work_packages.insert(id, w);
        self.add_journal(id, 1, "", Vec::new());
        self.queue_wp_event(id, "created");
        Ok(id)
    }

    /// `PATCH /api/v3/work_packages/{id}`: needs the current `lockVersion`.
    pub fn update_wp(&mut self, id: u64, body: &Value) -> Result<(), SimError> {
        let current = self
            .work_packages
            .get(&id)
            .cloned()
            .ok_or_else(|| SimError::not_found("work package"))?;
        match body.get("lockVersion").and_then(Value::as_u64) {
            Some(v) if v == current.lock_version => {}
            _ => {
                return Err(SimError::new(
                    409,
                    "UpdateConflict",
                    "Your changes could not be saved, because the work package was changed by another user in the meantime.",
                ));
            }
        }
        let mut w = current.clone();
        if let Some(s) = body.get("subject") {
            let s = s.as_str().unwrap_or_default().trim().to_string();
            if s.is_empty() {
                return Err(SimError::invalid("Subject can't be blank."));
            }
            w.subject = s;
        }
        if let Some(d) = body.get("description") {
            w.description = raw_text(d)
                .ok_or_else(|| SimError::invalid("Description must be a formattable."))?;
        }
        self.apply_wp_links(&mut w, body)?;
        apply_wp_dates(&mut w, body)?;
        w.lock_version += 1;
        w.updated_at = now_stamp();
        let details = change_details(&current, &w);
        self.work_packages.insert(id, w);
        self.add_journal(id, 1, "", details);
        self.queue_wp_event(id, "updated");
        Ok(())
    }

    /// `POST /api/v3/versions`.
    pub fn create_version(&mut self, body: &Value) -> Result<u64, SimError> {
        let project_id = link_id(body, "definingProject", "projects")?
            .flatten()
            .ok_or_else(|| SimError::invalid("Project can't be blank."))?;
        if !self.projects.contains_key(&project_id) {
            return Err(SimError::invalid("Project can't be blank."));
        }
        let name = body["name"].as_str().unwrap_or_default().trim().to_string();
        if name.is_empty() {
            return Err(SimError::invalid("Name can't be blank."));
        }
        if self
            .versions
            .values()
            .any(|v| v.project_id == project_id && v.name == name)
        {
            return Err(SimError::invalid("Name has already been taken."));
        }
        let now = now_stamp();
        let id = self.next_id();
        let v = Version {
            id,
            project_id,
            name,
            description: raw_text(&body["description"]).unwrap_or_default(),
            status: "open".into(),
            start_date: None,
            end_date: None,
            created_at: now.clone(),
            updated_at: now,
        };
        self.versions.insert(id, v);
        if let Err(e) = self.apply_version(id, body) {
            self.versions.remove(&id);
            return Err(e);
        }
        Ok(id)
    }

    /// `PATCH /api/v3/versions/{id}` (no lock version).
    pub fn apply_version(&mut self, id: u64, body: &Value) -> Result<(), SimError> {
        let v = self
            .versions
            .get_mut(&id)
            .ok_or_else(|| SimError::not_found("version"))?;
        let start = date_of(body, "startDate")?.unwrap_or_else(|| v.start_date.clone());
        let end = date_of(body, "endDate")?.unwrap_or_else(|| v.end_date.clone());
        if let (Some(start), Some(end)) = (&start, &end)
            && end < start
        {
            return Err(SimError::invalid(
                "Finish date must be greater than start date.",
            ));
        }
        if let Some(n) = body.get("name").and_then(Value::as_str) {
            if n.trim().is_empty() {
                return Err(SimError::invalid("Name can't be blank."));
            }
            v.name = n.trim().to_string();
        }
        if let Some(d) = body.get("description") {
            v.description = raw_text(d).unwrap_or_default();
        }
        if let Some(st) = body.get("status").and_then(Value::as_str) {
            if !["open", "locked", "closed"].contains(&st) {
                return Err(SimError::invalid("Status is not included in the list."));
            }
            v.status = st.to_string();
        }
        (v.start_date, v.end_date) = (start, end);
        v.updated_at = now_stamp();
        Ok(())
    }

    /// `PATCH /api/v3/projects/{id}`.
    pub fn update_project(&mut self, id: u64, body: &Value) -> Result<(), SimError> {
        let p = self
            .projects
            .get_mut(&id)
            .ok_or_else(|| SimError::not_found("project"))?;
        if let Some(n) = body.get("name").and_then(Value::as_str) {
            if n.trim().is_empty() {
                return Err(SimError::invalid("Name can't be blank."));
            }
            p.name = n.trim().to_string();
        }
        if let Some(d) = body.get("description") {
            p.description = raw_text(d).unwrap_or_default();
        }
        if let Some(a) = body.get("active").and_then(Value::as_bool) {
            p.active = a;
        }
        p.updated_at = now_stamp();
        self.queue_project_event(id, "updated");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn work_package_dates_are_dates_and_the_finish_is_never_before_the_start() {
        let mut s = State::new(crate::openproject::OpenProjectOptions::default());
        let id = s
            .create_wp(
                3,
                &json!({"subject": "Dated", "startDate": "2027-03-01", "dueDate": "2027-03-05"}),
            )
            .unwrap();
        let w = s.wp_json(&s.work_packages[&id]);
        assert_eq!(
            (&w["startDate"], &w["dueDate"]),
            (&json!("2027-03-01"), &json!("2027-03-05"))
        );
        let lock = s.work_packages[&id].lock_version;
        let early = s.update_wp(id, &json!({"lockVersion": lock, "dueDate": "2027-02-01"}));
        assert_eq!(early.unwrap_err().status, 422);
        let bad = s.update_wp(id, &json!({"lockVersion": lock, "startDate": "March"}));
        assert_eq!(bad.unwrap_err().status, 422);
        s.update_wp(
            id,
            &json!({"lockVersion": lock, "startDate": null, "dueDate": null}),
        )
        .unwrap();
        let w = s.wp_json(&s.work_packages[&id]);
        assert_eq!(
            (&w["startDate"], &w["dueDate"]),
            (&Value::Null, &Value::Null)
        );
    }
}
