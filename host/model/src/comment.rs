//! [`Comment`]: one comment on an item as a platform stores it (contract 1.1's `comment`),
//! and the `comment_count` hint an item's extras may carry ([`comment_count_hint`]).

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

/// The extras key under which a connector may say how many comments an item has (a JSON
/// integer: GitHub's `comments`, GitLab's `user_notes_count`, Trello's `badges.comments`).
/// It is a hint, never a field: not compared, not written back. With it the engine skips
/// reading the comments of an item the platform says has none, when Elder has none for it
/// either; without it every listed item's comments are read.
pub const COMMENT_COUNT_KEY: &str = "comment_count";

/// The `comment_count` hint of an item's extras (JSON text); `None` when absent or not a
/// non-negative integer.
pub fn comment_count_hint(extras: &str) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_str(extras).ok()?;
    value.get(COMMENT_COUNT_KEY)?.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_read_only_when_it_is_a_count() {
        assert_eq!(comment_count_hint(r#"{"comment_count": 0}"#), Some(0));
        assert_eq!(
            comment_count_hint(r#"{"comment_count": 12, "id": 3}"#),
            Some(12)
        );
        assert_eq!(comment_count_hint(r#"{"comment_count": null}"#), None);
        assert_eq!(comment_count_hint(r#"{"comment_count": -1}"#), None);
        assert_eq!(comment_count_hint(r#"{"comments": 0}"#), None);
        assert_eq!(comment_count_hint("not json"), None);
    }
}
