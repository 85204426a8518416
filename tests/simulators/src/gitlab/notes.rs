//! Issue notes (comments) as GitLab stores them: user notes written through the Notes API
//! or the UI, system notes GitLab writes itself when an issue changes ("changed the
//! description", "closed"), the issue's `updated_at` touched by every note saved, and the
//! `Note Hook` a user note emits when created or edited (none for system notes or deletes).

pub mod routes;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::model::{Issue, State, iso, utc_words};
use super::ops::SimError;

/// GitLab refuses note bodies longer than this many characters.
const MAX_BODY_CHARS: usize = 1_000_000;

/// One note on an issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: u64,
    /// The `iid` of the issue it belongs to.
    pub issue_iid: u64,
    pub body: String,
    pub author_id: u64,
    /// Written by GitLab itself (`changed the description`, `closed`, ...).
    pub system: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl State {
    /// `POST /projects/:id/issues/:iid/notes` by `author_id`; returns the new note's id.
    pub fn create_note(&mut self, iid: u64, author_id: u64, body: &str) -> Result<u64, SimError> {
        self.issue_for_note(iid)?;
        check_body(body)?;
        let now = self.tick();
        let id = self.next_id();
        self.notes.insert(
            id,
            Note {
                id,
                issue_iid: iid,
                body: body.to_string(),
                author_id,
                system: false,
                created_at: now,
                updated_at: now,
            },
        );
        self.touch_issue(iid, now);
        self.queue_note_hook(id, "create");
        Ok(id)
    }

    /// `PUT /projects/:id/issues/:iid/notes/:note_id`.
    pub fn update_note(&mut self, iid: u64, id: u64, body: &str) -> Result<(), SimError> {
        self.user_note(iid, id)?;
        check_body(body)?;
        let now = self.tick();
        let note = self.notes.get_mut(&id).expect("checked");
        if note.body == body {
            return Ok(());
        }
        note.body = body.to_string();
        note.updated_at = now;
        self.touch_issue(iid, now);
        self.queue_note_hook(id, "update");
        Ok(())
    }

    /// `DELETE /projects/:id/issues/:iid/notes/:note_id` (GitLab sends no hook for it).
    pub fn delete_note(&mut self, iid: u64, id: u64) -> Result<(), SimError> {
        self.user_note(iid, id)?;
        self.notes.remove(&id);
        Ok(())
    }

    /// The notes of an issue, in storage order.
    pub fn issue_notes(&self, iid: u64) -> Vec<Note> {
        self.notes
            .values()
            .filter(|n| n.issue_iid == iid)
            .cloned()
            .collect()
    }

    /// The system notes GitLab writes for an issue edit (`before` -> `after`).
    pub fn add_system_notes(&mut self, before: &Issue, after: &Issue) {
        let mut lines = Vec::new();
        if before.title != after.title {
            lines.push(format!(
                "changed title from **{}** to **{}**",
                before.title, after.title
            ));
        }
        if before.description != after.description {
            lines.push("changed the description".to_string());
        }
        if before.state != after.state {
            lines.push(
                if after.state == "closed" {
                    "closed"
                } else {
                    "reopened"
                }
                .to_string(),
            );
        }
        for line in lines {
            let id = self.next_id();
            self.notes.insert(
                id,
                Note {
                    id,
                    issue_iid: after.iid,
                    body: line,
                    author_id: 1,
                    system: true,
                    created_at: after.updated_at,
                    updated_at: after.updated_at,
                },
            );
        }
    }

    /// A note as the Notes API renders it.
    pub fn note_json(&self, n: &Note) -> Value {
        let issue_id = self.issues.get(&n.issue_iid).map(|i| i.id);
        json!({
            "id": n.id,
            "type": null,
            "body": n.body,
            "attachment": null,
            "author": self.user_json(n.author_id),
            "created_at": iso(n.created_at),
            "updated_at": iso(n.updated_at),
            "system": n.system,
            "noteable_id": issue_id,
            "noteable_type": "Issue",
            "noteable_iid": n.issue_iid,
            "project_id": self.options.project_id,
            "resolvable": false,
            "confidential": false,
            "internal": false,
            "imported": false,
            "commands_changes": {},
        })
    }

    /// Queues a `Note Hook` for a user note (`create` or `update`).
    fn queue_note_hook(&mut self, id: u64, action: &str) {
        let n = self.notes[&id].clone();
        let i = self.issues[&n.issue_iid].clone();
        let url = format!("{}/-/issues/{}#note_{}", self.web_base(), i.iid, n.id);
        let body = json!({
            "object_kind": "note",
            "event_type": "note",
            "user": self.user_json(n.author_id),
            "project_id": self.options.project_id,
            "project": self.hook_project(),
            "object_attributes": {
                "id": n.id,
                "note": n.body,
                "noteable_type": "Issue",
                "author_id": n.author_id,
                "created_at": utc_words(n.created_at),
                "updated_at": utc_words(n.updated_at),
                "project_id": self.options.project_id,
                "attachment": null,
                "line_code": null,
                "commit_id": "",
                "noteable_id": i.id,
                "system": false,
                "st_diff": null,
                "url": url,
                "action": action,
            },
            "issue": {
                "id": i.id,
                "iid": i.iid,
                "title": i.title,
                "description": i.description,
                "state": i.state,
                "project_id": self.options.project_id,
                "created_at": utc_words(i.created_at),
                "updated_at": utc_words(i.updated_at),
                "labels": i.labels,
            },
        });
        self.queue("Note Hook", body);
    }

    fn issue_for_note(&self, iid: u64) -> Result<&Issue, SimError> {
        self.issues
            .get(&iid)
            .ok_or_else(|| SimError::new(404, "404 Issue Not Found"))
    }

    /// A note of this issue that the API may change: system notes are GitLab's own.
    fn user_note(&self, iid: u64, id: u64) -> Result<&Note, SimError> {
        self.issue_for_note(iid)?;
        let note = self
            .notes
            .get(&id)
            .filter(|n| n.issue_iid == iid)
            .ok_or_else(|| SimError::new(404, "404 Note Not Found"))?;
        if note.system {
            return Err(SimError::new(403, "403 Forbidden"));
        }
        Ok(note)
    }

    /// Saving a note touches its issue's `updated_at` (no `Issue Hook`).
    fn touch_issue(&mut self, iid: u64, now: DateTime<Utc>) {
        if let Some(i) = self.issues.get_mut(&iid) {
            i.updated_at = now;
        }
    }
}

fn check_body(body: &str) -> Result<(), SimError> {
    if body.trim().is_empty() {
        return Err(SimError {
            status: 400,
            message: json!({"note": ["can't be blank"]}),
        });
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(SimError {
            status: 400,
            message: json!({"note": ["is too long (maximum is 1000000 characters)"]}),
        });
    }
    Ok(())
}
