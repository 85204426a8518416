//! The polling cursor and the pure part of polling: which actions of the feed a page
//! consumes and which cards or labels they touch.

use std::collections::BTreeSet;

use elder_connector_sdk::ConnectorError;
use serde::{Deserialize, Serialize};

use crate::model::Action;

/// Where polling stands. Serialized as JSON into the host's opaque cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Cursor {
    /// Listing the current items page by page (by id, after `after`); `anchor` is the
    /// newest action seen when the backfill began, where the feed takes over.
    Backfill {
        anchor: Option<String>,
        after: Option<String>,
    },
    /// Following the action feed after `anchor`.
    Feed { anchor: Option<String> },
}

impl Cursor {
    /// Reads a cursor the connector wrote.
    pub fn parse(text: &str) -> Result<Cursor, ConnectorError> {
        serde_json::from_str(text)
            .map_err(|_| ConnectorError::invalid_input(format!("not a Trello cursor: {text:?}")))
    }

    /// The text handed to the host.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("cursor serializes")
    }
}

/// What a page of the feed consumed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FeedSlice {
    /// Ids changed (not deleted), oldest change first, each once.
    pub changed: Vec<String>,
    /// Ids deleted.
    pub deleted: Vec<String>,
    /// The date of each changed id's latest action in the slice (same order as `changed`).
    pub last_dates: Vec<String>,
    /// The newest action consumed (the next anchor), if any.
    pub last_action: Option<String>,
    /// Whether actions remain after this slice.
    pub has_more: bool,
}

/// Consumes `actions` (oldest first) until `page_size` distinct ids are touched.
/// `subject` is the data key naming the item (`card`, `label`); `deletes` the action
/// types that delete it.
pub fn slice_feed(
    actions: &[Action],
    subject: &str,
    deletes: &[&str],
    page_size: usize,
) -> FeedSlice {
    let mut out = FeedSlice::default();
    let mut seen = BTreeSet::new();
    for (i, a) in actions.iter().enumerate() {
        let Some(id) = a.ref_id(subject).map(str::to_string) else {
            out.last_action = Some(a.id.clone());
            continue;
        };
        if !seen.contains(&id) && seen.len() >= page_size.max(1) {
            out.has_more = i < actions.len();
            return out;
        }
        seen.insert(id.clone());
        if deletes.contains(&a.kind.as_str()) {
            if let Some(p) = out.changed.iter().position(|c| *c == id) {
                out.changed.remove(p);
                out.last_dates.remove(p);
            }
            if !out.deleted.contains(&id) {
                out.deleted.push(id);
            }
        } else if let Some(p) = out.changed.iter().position(|c| *c == id) {
            out.last_dates[p] = a.date.clone();
        } else {
            out.deleted.retain(|d| *d != id);
            out.changed.push(id);
            out.last_dates.push(a.date.clone());
        }
        out.last_action = Some(a.id.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn act(id: &str, kind: &str, card: &str) -> Action {
        Action {
            id: id.into(),
            kind: kind.into(),
            date: format!("2026-01-01T00:00:0{}.000Z", &id[id.len() - 1..]),
            data: json!({"card": {"id": card}}),
            member_creator: None,
        }
    }

    #[test]
    fn cursor_round_trips_and_rejects_foreign_text() {
        let c = Cursor::Backfill {
            anchor: Some("a1".into()),
            after: None,
        };
        assert_eq!(Cursor::parse(&c.encode()).unwrap(), c);
        assert!(matches!(
            Cursor::parse("2024-01-01"),
            Err(ConnectorError::InvalidInput(_))
        ));
    }

    #[test]
    fn repeated_changes_count_once_and_deletes_win() {
        let acts = [
            act("a1", "createCard", "c1"),
            act("a2", "updateCard", "c2"),
            act("a3", "updateCard", "c1"),
            act("a4", "deleteCard", "c2"),
        ];
        let s = slice_feed(&acts, "card", &["deleteCard"], 10);
        assert_eq!(s.changed, vec!["c1"]);
        assert_eq!(s.last_dates, vec![acts[2].date.clone()]);
        assert_eq!(s.deleted, vec!["c2"]);
        assert_eq!(s.last_action.as_deref(), Some("a4"));
        assert!(!s.has_more);
    }

    #[test]
    fn a_full_page_stops_before_the_next_new_id_and_resumes_there() {
        let acts = [
            act("a1", "createCard", "c1"),
            act("a2", "updateCard", "c1"),
            act("a3", "createCard", "c2"),
            act("a4", "createCard", "c3"),
        ];
        let s = slice_feed(&acts, "card", &["deleteCard"], 2);
        assert_eq!(s.changed, vec!["c1", "c2"]);
        assert_eq!(s.last_action.as_deref(), Some("a3"));
        assert!(s.has_more);
    }
}
