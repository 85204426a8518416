//! Issue comments as Jira Cloud stores them: ADF bodies (a plain string is refused by
//! REST v3), author `accountId`/`displayName`, `created`/`updated` in the site's offset,
//! the issue's `updated` bumped by every write, and the events each write emits
//! (`comment_created|updated|deleted` plus `jira:issue_updated` with
//! `issue_commented|issue_comment_edited|issue_comment_deleted`).

pub mod routes;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::model::State;
use super::ops::{SimError, is_document};

/// The account every API token of the simulator belongs to.
pub const TOKEN_ACCOUNT: &str = "5b10a2844c20165700ede21g";

/// One comment on an issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: u64,
    /// The id of the issue it belongs to.
    pub issue_id: u64,
    /// The body as an ADF document.
    pub body: Value,
    pub author: String,
    pub update_author: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl State {
    /// `POST /rest/api/3/issue/{key}/comment` by `author`; returns the comment id.
    pub fn create_comment(
        &mut self,
        issue_id: u64,
        author: &str,
        body: &Value,
    ) -> Result<u64, SimError> {
        self.id_of(&issue_id.to_string())?;
        check_body(body)?;
        let now = self.tick();
        let id = self.next_id();
        self.comments.insert(
            id,
            Comment {
                id,
                issue_id,
                body: body.clone(),
                author: author.to_string(),
                update_author: author.to_string(),
                created: now,
                updated: now,
            },
        );
        self.after_comment_write(id, "comment_created", "issue_commented");
        Ok(id)
    }

    /// `PUT /rest/api/3/issue/{key}/comment/{id}` by `editor`.
    pub fn update_comment(
        &mut self,
        issue_id: u64,
        id: u64,
        editor: &str,
        body: &Value,
    ) -> Result<(), SimError> {
        self.comment_of(issue_id, id)?;
        check_body(body)?;
        let now = self.tick();
        let c = self.comments.get_mut(&id).expect("checked");
        c.body = body.clone();
        c.update_author = editor.to_string();
        c.updated = now;
        self.after_comment_write(id, "comment_updated", "issue_comment_edited");
        Ok(())
    }

    /// `DELETE /rest/api/3/issue/{key}/comment/{id}`.
    pub fn delete_comment(&mut self, issue_id: u64, id: u64) -> Result<(), SimError> {
        self.comment_of(issue_id, id)?;
        self.after_comment_write(id, "comment_deleted", "issue_comment_deleted");
        self.comments.remove(&id);
        Ok(())
    }

    /// The comment `id` of this issue, or Jira's 404.
    pub fn comment_of(&self, issue_id: u64, id: u64) -> Result<&Comment, SimError> {
        self.comments
            .get(&id)
            .filter(|c| c.issue_id == issue_id)
            .ok_or_else(|| SimError::msg(404, format!("Can not find a comment for the id: {id}.")))
    }

    /// The comments of an issue, oldest first.
    pub fn issue_comments(&self, issue_id: u64) -> Vec<Comment> {
        self.comments
            .values()
            .filter(|c| c.issue_id == issue_id)
            .cloned()
            .collect()
    }

    /// A comment as REST v3 renders it.
    pub fn comment_json(&self, c: &Comment) -> Value {
        json!({
            "self": format!("{}/rest/api/3/issue/{}/comment/{}", self.base_url, c.issue_id, c.id),
            "id": c.id.to_string(),
            "author": self.user_json(&c.author),
            "body": c.body,
            "updateAuthor": self.user_json(&c.update_author),
            "created": self.ts(c.created),
            "updated": self.ts(c.updated),
            "jsdPublic": true,
        })
    }

    /// Touches the issue and queues the comment event and the issue event of a write.
    fn after_comment_write(&mut self, id: u64, event: &str, issue_event: &str) {
        let c = self.comments[&id].clone();
        self.touch(c.issue_id);
        let Some(i) = self.issues.get(&c.issue_id) else {
            return;
        };
        // Webhook payloads carry the REST v2 rendering: the body as text, not ADF.
        let mut comment = self.comment_json(&c);
        comment["body"] = json!(plain_text(&c.body));
        let body = json!({
            "timestamp": Utc::now().timestamp_millis(),
            "webhookEvent": event,
            "comment": comment,
            "issue": {
                "id": i.id.to_string(),
                "key": i.key,
                "self": format!("{}/rest/api/3/issue/{}", self.base_url, i.id),
                "fields": {
                    "summary": i.summary,
                    "issuetype": {"name": i.issuetype},
                    "project": self.project_ref(),
                },
            },
        });
        self.queue(body);
        self.queue_issue_event(c.issue_id, "jira:issue_updated", issue_event, Vec::new());
    }
}

/// A body must be an ADF document with some content.
fn check_body(body: &Value) -> Result<(), SimError> {
    if !is_document(body) {
        return Err(SimError::field(
            400,
            "comment",
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
        ));
    }
    if plain_text(body).trim().is_empty() {
        return Err(SimError::field(
            400,
            "comment",
            "Comment body can not be empty!",
        ));
    }
    Ok(())
}

/// The text nodes of an ADF document, paragraphs on their own lines.
fn plain_text(v: &Value) -> String {
    match v {
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("text") => o
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        Value::Object(o) => {
            let inner = o.get("content").map(plain_text).unwrap_or_default();
            match o.get("type").and_then(Value::as_str) {
                Some("paragraph" | "heading" | "codeBlock") => format!("{inner}\n"),
                _ => inner,
            }
        }
        Value::Array(a) => a.iter().map(plain_text).collect(),
        _ => String::new(),
    }
}
