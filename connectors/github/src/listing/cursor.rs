//! The `list-changes` cursor.
//!
//! Issues are listed with `sort=updated&direction=asc&since=S`. The cursor keeps the
//! high-water mark `S` (the newest `updated_at` fully delivered) and a page number
//! under that same `since`. Following GitHub's page-number `Link`s across calls is
//! unsafe: an issue edited between two page fetches moves to the end of the ordering
//! and shifts every later issue one place back, so one would be skipped. Instead each
//! page restarts at `since = newest updated_at seen`; `since` is inclusive, so items
//! at that exact second come again (harmless: the host deduplicates by version) and
//! nothing is lost. Only when a whole page shares one second (no progress possible)
//! does the cursor advance the page number under the same `since`.
//!
//! Milestones (no `since`) and labels (no timestamps) are listed in full: the cursor
//! holds the next page's URL while a pass is under way and, for milestones, the
//! high-water mark of the previous pass, so unchanged milestones are not re-sent.

use elder_connector_sdk::ConnectorError;
use serde::{Deserialize, Serialize};

/// Where to resume listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Issues: the `since` of the next request; milestones: the filter of this pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Issues: page number under `since` (1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Milestones/labels: the next page of the pass under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Milestones: newest `updated_at` seen in the pass under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_water: Option<String>,
}

impl Cursor {
    /// Decodes a cursor the connector produced earlier; `None` is the beginning.
    pub fn decode(raw: Option<&str>) -> Result<Self, ConnectorError> {
        match raw {
            None | Some("") => Ok(Cursor::default()),
            Some(text) => serde_json::from_str(text).map_err(|e| {
                ConnectorError::invalid_input(format!("unreadable GitHub cursor {text:?}: {e}"))
            }),
        }
    }

    /// Encodes the cursor as compact JSON.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The later of two ISO 8601 `Z` timestamps of GitHub's fixed form (they sort as text).
pub fn later(a: Option<String>, b: &str) -> Option<String> {
    match a {
        Some(a) if a.as_str() >= b => Some(a),
        _ => Some(b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let c = Cursor {
            since: Some("2024-01-01T00:00:00Z".into()),
            page: Some(2),
            ..Default::default()
        };
        assert_eq!(Cursor::decode(Some(&c.encode())), Ok(c));
        assert_eq!(Cursor::decode(None), Ok(Cursor::default()));
        assert!(matches!(
            Cursor::decode(Some("not json")),
            Err(ConnectorError::InvalidInput(_))
        ));
    }

    #[test]
    fn later_keeps_the_newest() {
        assert_eq!(
            later(Some("2024-01-02T00:00:00Z".into()), "2024-01-01T00:00:00Z").as_deref(),
            Some("2024-01-02T00:00:00Z")
        );
        assert_eq!(
            later(None, "2024-01-01T00:00:00Z").as_deref(),
            Some("2024-01-01T00:00:00Z")
        );
    }
}
