//! Canonical items and the shapes that carry them (pages, patches, change events).

use serde::{Deserialize, Serialize};

/// The kinds of resource Elder keeps in sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Issue,
    Project,
    Milestone,
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
    Open,
    Closed,
}

/// The canonical item (see `wit/since_v1.0.0/connector.wit` for field meanings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub kind: Kind,
    pub external_id: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub state: ItemState,
    pub status_name: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone_ref: Option<String>,
    pub parent_ref: Option<String>,
    pub url: Option<String>,
    /// Milliseconds since the Unix epoch, UTC.
    pub updated_at: i64,
    pub version: Option<String>,
    /// A JSON object as text.
    pub extras: String,
}

/// A new item to create on a platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewItem {
    pub kind: Kind,
    pub title: String,
    pub body: String,
    pub state: ItemState,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub milestone_ref: Option<String>,
    pub parent_ref: Option<String>,
    pub extras: String,
}

/// A partial update: `Some` fields change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemPatch {
    pub title: Option<String>,
    pub body: Option<String>,
    pub state: Option<ItemState>,
    pub status_name: Option<String>,
    pub labels: Option<Vec<String>>,
    pub assignees: Option<Vec<String>>,
    /// `Some(None)` removes the milestone.
    pub milestone_ref: Option<Option<String>>,
    /// `Some(None)` removes the parent.
    pub parent_ref: Option<Option<String>>,
    pub expected_version: Option<String>,
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
    pub items: Vec<Item>,
    pub deleted_ids: Vec<String>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// What a webhook says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    Created,
    Updated,
    Closed,
    Reopened,
    Deleted,
}

/// One change event from `parse-webhook`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub kind: Kind,
    pub external_id: String,
    pub action: ChangeAction,
    /// `None`: the host must `get` the item.
    pub item: Option<Item>,
    pub occurred_at: i64,
}
