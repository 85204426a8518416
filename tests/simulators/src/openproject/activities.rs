//! Work-package activities (journals) as OpenProject keeps them: one per creation and per
//! change (with `details`, no comment), one per comment (`comment.raw`, `_type`
//! `Activity::Comment`). A comment touches the work package's `updatedAt` but not its
//! `lockVersion`, and emits `work_package_comment:comment`; an edit changes the journal's
//! notes and emits nothing. There is no API to delete a comment.

pub mod routes;

use serde_json::{Value, json};

use super::hal;
use super::model::{State, now_stamp};
use super::ops::SimError;

/// One journal of a work package.
#[derive(Debug, Clone)]
pub struct Journal {
    pub id: u64,
    pub work_package_id: u64,
    pub user_id: u64,
    /// 1 for the creation, then counting up per work package.
    pub version: u64,
    /// The comment (Markdown); empty for a change without one.
    pub notes: String,
    /// What changed, as sentences.
    pub details: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl State {
    /// Records a journal of `work_package_id` by `user_id`; returns its id.
    pub fn add_journal(
        &mut self,
        work_package_id: u64,
        user_id: u64,
        notes: &str,
        details: Vec<String>,
    ) -> u64 {
        let id = self.next_id();
        let version = self
            .journals
            .values()
            .filter(|j| j.work_package_id == work_package_id)
            .count() as u64
            + 1;
        let now = now_stamp();
        self.journals.insert(
            id,
            Journal {
                id,
                work_package_id,
                user_id,
                version,
                notes: notes.to_string(),
                details,
                created_at: now.clone(),
                updated_at: now,
            },
        );
        id
    }

    /// `POST /api/v3/work_packages/{id}/activities` by `user_id`; returns the journal id.
    pub fn add_comment(
        &mut self,
        work_package_id: u64,
        user_id: u64,
        raw: &str,
    ) -> Result<u64, SimError> {
        if !self.work_packages.contains_key(&work_package_id) {
            return Err(SimError::not_found("work package"));
        }
        check_notes(raw)?;
        let id = self.add_journal(work_package_id, user_id, raw, Vec::new());
        let stamp = self.journals[&id].created_at.clone();
        if let Some(w) = self.work_packages.get_mut(&work_package_id) {
            w.updated_at = stamp;
        }
        let body = json!({"action": "work_package_comment:comment", "activity": self.activity_json(&self.journals[&id], true)});
        self.queue(body);
        Ok(id)
    }

    /// `PATCH /api/v3/activities/{id}` with a new comment.
    pub fn edit_comment(&mut self, id: u64, raw: &str) -> Result<(), SimError> {
        check_notes(raw)?;
        let j = self
            .journals
            .get_mut(&id)
            .ok_or_else(|| SimError::not_found("activity"))?;
        j.notes = raw.to_string();
        j.updated_at = now_stamp();
        Ok(())
    }

    /// The journals of a work package, oldest first.
    pub fn wp_journals(&self, work_package_id: u64) -> Vec<&Journal> {
        self.journals
            .values()
            .filter(|j| j.work_package_id == work_package_id)
            .collect()
    }

    /// An activity as API v3 renders it (`embed_wp`: with its work package, as webhooks do).
    pub fn activity_json(&self, j: &Journal, embed_wp: bool) -> Value {
        let user = self.user(j.user_id);
        let wp = self.work_packages.get(&j.work_package_id);
        let kind = if j.notes.is_empty() {
            "Activity"
        } else {
            "Activity::Comment"
        };
        let details: Vec<Value> = j.details.iter().map(|d| hal::formattable(d)).collect();
        let mut v = json!({
            "_type": kind, "id": j.id, "version": j.version,
            "comment": hal::formattable(&j.notes), "details": details, "internal": false,
            "createdAt": j.created_at, "updatedAt": j.updated_at,
            "_links": {
                "self": {"href": format!("/api/v3/activities/{}", j.id)},
                "workPackage": {"href": format!("/api/v3/work_packages/{}", j.work_package_id),
                                "title": wp.map(|w| w.subject.clone())},
                "user": {"href": format!("/api/v3/users/{}", j.user_id), "title": user.map(|u| u.name.clone())},
                "update": {"href": format!("/api/v3/activities/{}", j.id), "method": "patch"},
            }
        });
        if embed_wp && let Some(w) = wp {
            v["_embedded"] = json!({"workPackage": self.wp_json(w)});
        }
        v
    }
}

fn check_notes(raw: &str) -> Result<(), SimError> {
    if raw.trim().is_empty() {
        return Err(SimError::new(
            422,
            "PropertyConstraintViolation",
            "Comment can't be blank.",
        ));
    }
    Ok(())
}
