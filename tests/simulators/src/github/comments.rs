//! Issue comments as GitHub keeps them: repository-wide ids, one author each, second-precision
//! `created_at`/`updated_at`, rendered in GitHub's JSON shape. Adding, editing (a real change
//! only) and deleting a comment bumps its issue's `updated_at` (and so its `comments` count and
//! listing position) and causes an `issue_comment` webhook event (`created`, `edited` with the
//! old body under `changes`, `deleted` with the comment as it was). Pull requests take comments
//! through the same routes, as on GitHub.

use serde_json::{Value, json};

use super::model::{State, iso, user_json};
use super::ops::{ApiError, Event};

/// One issue comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// Repository-wide id.
    pub id: u64,
    /// The number of the issue (or pull request) it belongs to.
    pub issue: u64,
    /// Markdown body.
    pub body: String,
    /// Author login.
    pub user: String,
    /// Creation time, epoch seconds.
    pub created_at: i64,
    /// Last edit, epoch seconds.
    pub updated_at: i64,
}

/// A comment in GitHub's shape.
pub fn comment_json(st: &State, c: &Comment) -> Value {
    let api = st.repo_api();
    json!({
        "id": c.id,
        "node_id": format!("IC_kwDO{}", c.id),
        "url": format!("{api}/issues/comments/{}", c.id),
        "html_url": format!(
            "https://github.com/{}/{}/issues/{}#issuecomment-{}",
            st.options.owner, st.options.repo, c.issue, c.id
        ),
        "issue_url": format!("{api}/issues/{}", c.issue),
        "body": c.body,
        "user": user_json(&c.user),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "author_association": "OWNER",
        "performed_via_github_app": null,
        "reactions": {"url": format!("{api}/issues/comments/{}/reactions", c.id), "total_count": 0},
    })
}

/// The comments of issue `number`, oldest first.
pub fn of_issue(st: &State, number: u64) -> Vec<&Comment> {
    st.comments.values().filter(|c| c.issue == number).collect()
}

/// The `body` of a POST or PATCH: required, a non-empty string.
pub fn body_of(v: &Value) -> Result<String, ApiError> {
    match v.get("body") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(ApiError::invalid("`body` cannot be blank")),
        Some(_) => Err(ApiError::invalid("`body` must be a string")),
        None => Err(ApiError::invalid("`body` is missing")),
    }
}

fn comment_event(action: &str, c: &Comment, comment: Value, changes: Option<Value>) -> Event {
    let mut extra = json!({ "comment": comment });
    if let Some(changes) = changes {
        extra["changes"] = changes;
    }
    Event {
        event: "issue_comment",
        action: action.into(),
        subject: c.issue.to_string(),
        extra,
    }
}

fn touch_issue(st: &mut State, number: u64, now: i64) {
    if let Some(issue) = st.issues.get_mut(&number) {
        issue.updated_at = now;
    }
}

/// Adds a comment by `user` to issue `number`; returns its id and events.
pub fn create(
    st: &mut State,
    number: u64,
    body: String,
    user: &str,
) -> Result<(u64, Vec<Event>), ApiError> {
    if !st.issues.contains_key(&number) {
        return Err(ApiError::not_found());
    }
    let now = st.now();
    let c = Comment {
        id: st.id(),
        issue: number,
        body,
        user: user.into(),
        created_at: now,
        updated_at: now,
    };
    touch_issue(st, number, now);
    let ev = comment_event("created", &c, comment_json(st, &c), None);
    st.comments.insert(c.id, c.clone());
    Ok((c.id, vec![ev]))
}

/// Replaces comment `id`'s body; `updated_at` (its own and its issue's) moves only when the
/// body changed.
pub fn edit(st: &mut State, id: u64, body: String) -> Result<Vec<Event>, ApiError> {
    let before = st
        .comments
        .get(&id)
        .cloned()
        .ok_or_else(ApiError::not_found)?;
    if before.body == body {
        return Ok(vec![]);
    }
    let now = st.now();
    let after = Comment {
        body,
        updated_at: now,
        ..before.clone()
    };
    st.comments.insert(id, after.clone());
    touch_issue(st, after.issue, now);
    let changes = json!({"body": {"from": before.body}});
    Ok(vec![comment_event(
        "edited",
        &after,
        comment_json(st, &after),
        Some(changes),
    )])
}

/// Deletes comment `id`; returns it and the events.
pub fn delete(st: &mut State, id: u64) -> Result<(Comment, Vec<Event>), ApiError> {
    let gone = st.comments.remove(&id).ok_or_else(ApiError::not_found)?;
    let now = st.now();
    touch_issue(st, gone.issue, now);
    let ev = comment_event("deleted", &gone, comment_json(st, &gone), None);
    Ok((gone, vec![ev]))
}
