//! [`Comment`]: one comment on an item as a platform stores it (contract 1.1's `comment`).

use serde::{Deserialize, Serialize};

/// One comment on an item (see `wit/since_v1.1.0/connector.wit` for field meanings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The platform's stable id for the comment.
    pub external_id: String,
    /// The author's login or account id as the platform names it (the same form as an item's
    /// assignees); empty when the platform does not say.
    pub author: String,
    /// The author's display name, when the platform gives one.
    pub author_name: Option<String>,
    /// The text as Markdown.
    pub body: String,
    /// When it was written, milliseconds since the Unix epoch, UTC.
    pub created_at: i64,
    /// When it was last edited (equal to `created_at` when never), ms since the epoch.
    pub updated_at: i64,
    /// An opaque version token (etag, lockVersion, updated-at) for echo suppression; `None`
    /// when the platform has none.
    pub version: Option<String>,
}
