//! Canonical items and the shapes that carry them (pages, patches, change events).

use serde::{Deserialize, Serialize};

/// The kinds of resource Elder keeps in sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An issue, card or work package.
    Issue,
    /// A project, board, epic or other container.
    Project,
    /// A milestone, version or sprint.
    Milestone,
    /// A label, tag, category or component.
    Label,
}

impl Kind {
    /// All kinds, in a stable order.
    pub const ALL: [Kind; 4] = [Kind::Issue, Kind::Project, Kind::Milestone, Kind::Label];

    /// The lowercase name used in the API and the database (`issue`, `project`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Issue => "issue",
            Kind::Project => "project",
            Kind::Milestone => "milestone",
            Kind::Label => "label",
        }
    }

    /// Parses a lowercase kind name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Not finished.
    Open,
    /// Finished, archived or abandoned.
    Closed,
}

/// The canonical item (see `wit/since_v1.1.0/connector.wit` for field meanings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// What kind of resource this is.
    pub kind: Kind,
    /// The platform's stable id for the item (issue number, key, card id, ...).
    pub external_id: String,
    /// Title, name or summary.
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Open or closed.
    pub state: ItemState,
    /// The platform's own status name when it has richer states (a Jira status, a Trello list,
    /// an OpenProject status); `None` when it has only open and closed.
    pub status_name: Option<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignee logins or ids as the platform names them.
    pub assignees: Vec<String>,
    /// External id of the milestone this item belongs to; `None` for none.
    pub milestone_ref: Option<String>,
    /// External id of the parent item or project; `None` for none.
    pub parent_ref: Option<String>,
    /// A link a person can open; `None` when the platform gives none.
    pub url: Option<String>,
    /// Milliseconds since the Unix epoch, UTC.
    pub updated_at: i64,
    /// An opaque version token (etag, lockVersion, updated-at) for optimistic locking and echo
    /// suppression; `None` when the platform has none.
    pub version: Option<String>,
    /// A JSON object as text.
    pub extras: String,
}

/// A new item to create on a platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewItem {
    /// What kind of resource to create.
    pub kind: Kind,
    /// Title, name or summary.
    pub title: String,
    /// Body or description as Markdown.
    pub body: String,
    /// Initial state; a connector that cannot create closed items creates then closes.
    pub state: ItemState,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignee logins or ids.
    pub assignees: Vec<String>,
    /// External id of the milestone to attach; `None` for none.
    pub milestone_ref: Option<String>,
    /// External id of the parent; `None` for none.
    pub parent_ref: Option<String>,
    /// Platform-specific fields as a JSON object text (`{}` when none).
    pub extras: String,
}

/// A partial update: `Some` fields change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemPatch {
    /// New title.
    pub title: Option<String>,
    /// New Markdown body.
    pub body: Option<String>,
    /// New state (close or reopen).
    pub state: Option<ItemState>,
    /// Target platform status name, when the host knows which one it wants.
    pub status_name: Option<String>,
    /// The complete new label set.
    pub labels: Option<Vec<String>>,
    /// The complete new assignee set.
    pub assignees: Option<Vec<String>>,
    /// `Some(None)` removes the milestone.
    pub milestone_ref: Option<Option<String>>,
    /// `Some(None)` removes the parent.
    pub parent_ref: Option<Option<String>>,
    /// The version the caller last saw; a connector whose platform supports optimistic locking
    /// sends it and reports `Conflict` when it is stale.
    pub expected_version: Option<String>,
    /// Platform-specific fields to change, as a JSON object text.
    pub extras: Option<String>,
}

impl ItemPatch {
    /// True when the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.body.is_none()
            && self.state.is_none()
            && self.status_name.is_none()
            && self.labels.is_none()
            && self.assignees.is_none()
            && self.milestone_ref.is_none()
            && self.parent_ref.is_none()
            && self.extras.is_none()
    }
}

/// One page of `list-changes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// Items created or changed since the cursor, oldest change first.
    pub items: Vec<Item>,
    /// External ids the platform reported deleted since the cursor (never inferred from absence).
    pub deleted_ids: Vec<String>,
    /// The cursor to pass next time; the host stores it after every page.
    pub next_cursor: Option<String>,
    /// True when another page is available right now with `next_cursor`.
    pub has_more: bool,
}

/// What a webhook says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// Created.
    Created,
    /// Changed (fields, labels, assignees, state...).
    Updated,
    /// Closed.
    Closed,
    /// Reopened.
    Reopened,
    /// Deleted.
    Deleted,
}

/// One change event from `parse-webhook`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The kind of the changed item.
    pub kind: Kind,
    /// The changed item's external id.
    pub external_id: String,
    /// What happened.
    pub action: ChangeAction,
    /// `None`: the host must `get` the item.
    pub item: Option<Item>,
    /// When the platform says the change happened, in milliseconds since the Unix epoch (UTC).
    pub occurred_at: i64,
}
