//! GitHub's REST shapes for issues, milestones, labels, issue comments and users (only
//! the fields the connector reads; everything else is ignored).

#[cfg(test)]
pub mod fixtures;

use serde::Deserialize;

/// A user reference.
#[derive(Debug, Clone, Deserialize)]
pub struct GhUser {
    /// Login name.
    pub login: String,
}

/// A label as embedded in issues and listed under `/labels`.
#[derive(Debug, Clone, Deserialize)]
pub struct GhLabel {
    /// Name (the label's external id).
    pub name: String,
    /// Six-digit hex colour without `#`.
    #[serde(default)]
    pub color: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// GraphQL node id.
    #[serde(default)]
    pub node_id: Option<String>,
    /// Numeric id.
    #[serde(default)]
    pub id: Option<u64>,
}

/// A milestone.
#[derive(Debug, Clone, Deserialize)]
pub struct GhMilestone {
    /// Repository-scoped number (the external id).
    pub number: u64,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// Web URL.
    #[serde(default)]
    pub html_url: Option<String>,
    /// Last change, ISO 8601.
    pub updated_at: String,
    /// Due date, ISO 8601.
    #[serde(default)]
    pub due_on: Option<String>,
    /// GraphQL node id.
    #[serde(default)]
    pub node_id: Option<String>,
    /// Open issue count.
    #[serde(default)]
    pub open_issues: Option<u64>,
    /// Closed issue count.
    #[serde(default)]
    pub closed_issues: Option<u64>,
}

/// An issue (or a pull request, when `pull_request` is present).
#[derive(Debug, Clone, Deserialize)]
pub struct GhIssue {
    /// Repository-scoped number (the external id).
    pub number: u64,
    /// Numeric id.
    #[serde(default)]
    pub id: Option<u64>,
    /// GraphQL node id.
    #[serde(default)]
    pub node_id: Option<String>,
    /// Title.
    pub title: String,
    /// Markdown body.
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// `completed`, `not_planned`, `reopened`, `duplicate` or null.
    #[serde(default)]
    pub state_reason: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<GhLabel>,
    /// Assignees.
    #[serde(default)]
    pub assignees: Vec<GhUser>,
    /// Milestone.
    #[serde(default)]
    pub milestone: Option<GhMilestone>,
    /// Author.
    #[serde(default)]
    pub user: Option<GhUser>,
    /// Web URL.
    #[serde(default)]
    pub html_url: Option<String>,
    /// Last change, ISO 8601.
    pub updated_at: String,
    /// Whether the conversation is locked.
    #[serde(default)]
    pub locked: bool,
    /// Comment count.
    #[serde(default)]
    pub comments: Option<u64>,
    /// Present on pull requests.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl GhIssue {
    /// Whether this "issue" is a pull request.
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }
}

/// An issue comment.
#[derive(Debug, Clone, Deserialize)]
pub struct GhComment {
    /// Repository-wide numeric id (the external id).
    pub id: u64,
    /// Markdown body.
    #[serde(default)]
    pub body: Option<String>,
    /// Author (null for a deleted account).
    #[serde(default)]
    pub user: Option<GhUser>,
    /// Creation time, ISO 8601.
    pub created_at: String,
    /// Last edit, ISO 8601.
    pub updated_at: String,
}

/// A repository, for `test-connection`.
#[derive(Debug, Clone, Deserialize)]
pub struct GhRepo {
    /// `owner/name`.
    pub full_name: String,
}
