//! `list-changes`: incremental polling with an opaque JSON cursor.
//!
//! Issues and epics are read `order_by=updated_at&sort=asc&updated_after=<since>` and the
//! cursor moves to the newest `updated_at` after every page (remembering the ids seen at
//! exactly that instant), so an item edited mid-walk cannot shift an offset page past us.
//! Only when a whole page shares one timestamp does the walk step with `page` (from
//! `x-next-page`). Milestones walk offset pages with `updated_after` and advance `since`
//! when the walk ends; labels (no timestamps) are re-listed in full each pass.

use elder_connector_sdk::{Client, ConnectorError, Item, Kind, Page};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::mapping;
use crate::settings::Settings;
use elder_connector_sdk::time;

/// The cursor stored by the host between calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// `updated_after` for the next request (ISO 8601, ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Ids already returned whose `updated_at` equals `since`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
    /// The offset page to read next.
    #[serde(default = "one")]
    pub page: u32,
    /// Newest `updated_at` seen during an offset walk (milestones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<i64>,
}

fn one() -> u32 {
    1
}

impl Cursor {
    /// Reads a cursor; `None` starts from the beginning.
    pub fn parse(raw: Option<&str>) -> Result<Cursor, ConnectorError> {
        match raw {
            None => Ok(Cursor {
                page: 1,
                ..Cursor::default()
            }),
            Some(t) => serde_json::from_str(t).map_err(|e| {
                ConnectorError::invalid_input(format!("unreadable GitLab cursor: {e}"))
            }),
        }
    }

    fn text(&self) -> String {
        serde_json::to_string(self).expect("cursor serializes")
    }
}

/// One page of changes of `kind`.
pub fn list(
    settings: &Settings,
    kind: Kind,
    cursor: Option<&str>,
    page_size: u32,
) -> Result<Page, ConnectorError> {
    let cur = Cursor::parse(cursor)?;
    let per_page = page_size.clamp(1, 100);
    match kind {
        Kind::Issue => {
            let url = settings.project_url(&format!(
                "/issues?order_by=updated_at&sort=asc&state=all&per_page={per_page}"
            ));
            by_timestamp(&settings.api, &url, cur, Kind::Issue)
        }
        Kind::Project => {
            let url = settings.group_url(&format!(
                "/epics?order_by=updated_at&sort=asc&state=all&per_page={per_page}"
            ))?;
            by_timestamp(&settings.api, &url, cur, Kind::Project)
        }
        Kind::Milestone => by_offset(
            &settings.api,
            &settings.project_url(&format!("/milestones?per_page={per_page}")),
            cur,
            Kind::Milestone,
            true,
        ),
        Kind::Label => by_offset(
            &settings.api,
            &settings.project_url(&format!("/labels?per_page={per_page}")),
            cur,
            Kind::Label,
            false,
        ),
    }
}

fn fetch(
    api: &Client,
    url: &str,
    cur: &Cursor,
    with_since: bool,
) -> Result<(Vec<Value>, bool), ConnectorError> {
    let mut full = format!("{url}&page={}", cur.page.max(1));
    if with_since && let Some(s) = &cur.since {
        full.push_str(&format!("&updated_after={}", s.replace('+', "%2B")));
    }
    let resp = api.get(&full).send()?;
    let more = resp
        .header("x-next-page")
        .is_some_and(|v| !v.trim().is_empty());
    match resp.json::<Value>()? {
        Value::Array(rows) => Ok((rows, more)),
        _ => Err(ConnectorError::internal(
            "GitLab list answer is not an array",
        )),
    }
}

fn by_timestamp(api: &Client, url: &str, cur: Cursor, kind: Kind) -> Result<Page, ConnectorError> {
    let (rows, more) = fetch(api, url, &cur, true)?;
    let items = rows
        .iter()
        .map(|r| mapping::any(kind, r))
        .collect::<Result<Vec<Item>, _>>()?;
    let since_ms = cur
        .since
        .as_deref()
        .and_then(|t| time::parse_timestamp(t).ok());
    let skip = cur.skip.clone();
    let next = advance(cur, &items, since_ms, more);
    let fresh = items
        .into_iter()
        .filter(|i| !(Some(i.updated_at) == since_ms && skip.contains(&i.external_id)))
        .collect();
    Ok(Page {
        items: fresh,
        deleted_ids: Vec::new(),
        next_cursor: Some(next.text()),
        has_more: more,
    })
}

/// The cursor after a timestamp-ordered page.
fn advance(cur: Cursor, items: &[Item], since_ms: Option<i64>, more: bool) -> Cursor {
    let Some(newest) = items.iter().map(|i| i.updated_at).max() else {
        return Cursor { page: 1, ..cur };
    };
    if Some(newest) == since_ms {
        // A whole page at one instant: step through it by offset.
        let mut skip = cur.skip.clone();
        skip.extend(items.iter().map(|i| i.external_id.clone()));
        skip.sort();
        skip.dedup();
        let page = if more { cur.page + 1 } else { 1 };
        return Cursor { skip, page, ..cur };
    }
    let skip = items
        .iter()
        .filter(|i| i.updated_at == newest)
        .map(|i| i.external_id.clone())
        .collect();
    Cursor {
        since: Some(time::format_rfc3339(newest)),
        skip,
        page: 1,
        high: None,
    }
}

fn by_offset(
    api: &Client,
    url: &str,
    cur: Cursor,
    kind: Kind,
    with_since: bool,
) -> Result<Page, ConnectorError> {
    let (rows, more) = fetch(api, url, &cur, with_since)?;
    let items = rows
        .iter()
        .map(|r| mapping::any(kind, r))
        .collect::<Result<Vec<Item>, _>>()?;
    let high = items.iter().map(|i| i.updated_at).chain(cur.high).max();
    let next = if more {
        Cursor {
            page: cur.page + 1,
            high,
            ..cur
        }
    } else if with_since {
        Cursor {
            since: high.map(time::format_rfc3339).or(cur.since),
            skip: Vec::new(),
            page: 1,
            high: None,
        }
    } else {
        Cursor {
            page: 1,
            ..Cursor::default()
        }
    };
    Ok(Page {
        items,
        deleted_ids: Vec::new(),
        next_cursor: Some(next.text()),
        has_more: more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::ItemState;

    fn it(id: &str, at: i64) -> Item {
        Item {
            kind: Kind::Issue,
            external_id: id.into(),
            title: String::new(),
            body: String::new(),
            state: ItemState::Open,
            status_name: None,
            labels: vec![],
            assignees: vec![],
            milestone_ref: None,
            parent_ref: None,
            url: None,
            updated_at: at,
            version: None,
            extras: "{}".into(),
        }
    }

    #[test]
    fn cursor_moves_to_newest_timestamp_and_remembers_ties() {
        let next = advance(
            Cursor::parse(None).unwrap(),
            &[it("1", 1000), it("2", 2000), it("3", 2000)],
            None,
            true,
        );
        assert_eq!(next.since.as_deref(), Some("1970-01-01T00:00:02Z"));
        assert_eq!(next.skip, ["2", "3"]);
        assert_eq!(next.page, 1);
    }

    #[test]
    fn a_page_all_at_the_cursor_instant_steps_by_offset() {
        let cur = Cursor {
            since: Some(time::format_rfc3339(2000)),
            skip: vec!["2".into()],
            page: 1,
            high: None,
        };
        let next = advance(cur, &[it("2", 2000), it("4", 2000)], Some(2000), true);
        assert_eq!(
            (next.page, next.skip.clone()),
            (2, vec!["2".to_string(), "4".to_string()])
        );
        let last = advance(next, &[it("5", 2000)], Some(2000), false);
        assert_eq!(last.page, 1);
    }

    #[test]
    fn empty_page_keeps_the_position() {
        let cur = Cursor {
            since: Some("x".into()),
            skip: vec!["1".into()],
            page: 3,
            high: None,
        };
        let next = advance(cur, &[], None, false);
        assert_eq!((next.since.as_deref(), next.page), (Some("x"), 1));
    }

    #[test]
    fn garbage_cursor_is_invalid_input() {
        assert!(matches!(
            Cursor::parse(Some("{not json")),
            Err(ConnectorError::InvalidInput(_))
        ));
    }
}
