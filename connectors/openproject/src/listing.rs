//! `list-changes`: work packages through the `updatedAt` filter (filters always explicit,
//! so closed ones are included), sorted by `updatedAt`, paged by 1-based `offset`;
//! versions and the project compared by `updatedAt`; categories by their content.

use elder_connector_sdk::{ConnectorError, Item, Kind, Page, time};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::mapping::{category_to_item, project_to_item, version_to_item, wp_to_item};
use crate::settings::Settings;
use crate::settings::api::Api;

/// Where work-package polling stands: the `updatedAt` lower bound (inclusive) and the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WpCursor {
    pub since: Option<String>,
    pub page: u32,
}

impl WpCursor {
    fn parse(text: &str) -> Result<WpCursor, ConnectorError> {
        serde_json::from_str(text).map_err(|_| {
            ConnectorError::invalid_input(format!("not an OpenProject cursor: {text:?}"))
        })
    }

    fn encode(&self) -> String {
        serde_json::to_string(self).expect("cursor serializes")
    }

    /// The explicit filters: `[]` (everything, closed included) or the `updatedAt` bound.
    pub fn filters(&self) -> Value {
        match &self.since {
            None => json!([]),
            Some(s) => json!([{"updatedAt": {"operator": "<>d", "values": [s, ""]}}]),
        }
    }

    /// The cursor after a page whose last item was updated at `last` (when any).
    /// A full page re-anchors on its last time when that moves forward (so items that
    /// move while paging are not skipped), else turns the page.
    pub fn next(&self, last: Option<&str>, more: bool) -> WpCursor {
        let moved = last.is_some_and(|l| self.since.as_deref().is_none_or(|s| l > s));
        match (more, moved) {
            (true, true) => WpCursor {
                since: last.map(str::to_string),
                page: 1,
            },
            (true, false) => WpCursor {
                since: self.since.clone(),
                page: self.page + 1,
            },
            (false, true) => WpCursor {
                since: last.map(str::to_string),
                page: 1,
            },
            (false, false) => WpCursor {
                since: self.since.clone(),
                page: 1,
            },
        }
    }
}

/// Lists changes of `kind` since `cursor`.
pub fn list_changes(
    cfg: &Settings,
    kind: Kind,
    cursor: Option<String>,
    page_size: u32,
) -> Result<Page, ConnectorError> {
    let api = Api::new(cfg);
    match kind {
        Kind::Issue => work_packages(&api, cursor, page_size.clamp(1, 1000)),
        Kind::Milestone => versions(&api, cursor),
        Kind::Label => categories(&api, cursor),
        Kind::Project => project(&api, cursor),
    }
}

fn work_packages(api: &Api, cursor: Option<String>, size: u32) -> Result<Page, ConnectorError> {
    let cur = cursor
        .as_deref()
        .map(WpCursor::parse)
        .transpose()?
        .unwrap_or(WpCursor {
            since: None,
            page: 1,
        });
    let page = api.work_packages(&cur.filters(), cur.page.max(1), size)?;
    let statuses = api.statuses()?;
    let served = page.page_size.unwrap_or(size).max(1);
    let more = u64::from(cur.page.max(1)) * u64::from(served) < page.total
        && !page.embedded.elements.is_empty();
    let last = page.embedded.elements.last().map(|w| w.updated_at.clone());
    let items = page
        .embedded
        .elements
        .iter()
        .map(|w| wp_to_item(api.cfg, w, &statuses))
        .collect::<Result<Vec<_>, _>>()?;
    let next = cur.next(last.as_deref(), more);
    Ok(Page {
        items,
        deleted_ids: Vec::new(),
        next_cursor: Some(next.encode()),
        has_more: more,
    })
}

/// Versions updated at or after the cursor (epoch ms); the API has no filter for it.
fn versions(api: &Api, cursor: Option<String>) -> Result<Page, ConnectorError> {
    let since: i64 = cursor
        .as_deref()
        .map(|c| {
            c.parse()
                .map_err(|_| ConnectorError::invalid_input(format!("not a version cursor: {c:?}")))
        })
        .transpose()?
        .unwrap_or(i64::MIN);
    let mut items = api
        .versions()?
        .iter()
        .map(|v| version_to_item(api.cfg, v))
        .collect::<Result<Vec<Item>, _>>()?;
    items.retain(|i| i.updated_at >= since);
    items.sort_by_key(|i| i.updated_at);
    let next = items
        .last()
        .map(|i| i.updated_at)
        .unwrap_or(since)
        .max(since);
    let next = if next == i64::MIN {
        "0".to_string()
    } else {
        next.to_string()
    };
    Ok(Page {
        items,
        deleted_ids: Vec::new(),
        next_cursor: Some(next),
        has_more: false,
    })
}

/// FNV-1a over the categories, as the cursor: categories carry no timestamps.
fn fingerprint(items: &[Item]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for i in items {
        for b in i
            .external_id
            .bytes()
            .chain([0])
            .chain(i.title.bytes())
            .chain([1])
        {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn categories(api: &Api, cursor: Option<String>) -> Result<Page, ConnectorError> {
    let items: Vec<Item> = api.categories()?.iter().map(category_to_item).collect();
    let print = fingerprint(&items);
    let items = if cursor.as_deref() == Some(print.as_str()) {
        Vec::new()
    } else {
        items
    };
    Ok(Page {
        items,
        deleted_ids: Vec::new(),
        next_cursor: Some(print),
        has_more: false,
    })
}

fn project(api: &Api, cursor: Option<String>) -> Result<Page, ConnectorError> {
    let p = api.project()?;
    let item = project_to_item(api.cfg, &p)?;
    let stamp = p.updated_at.clone();
    let unchanged = cursor
        .as_deref()
        .is_some_and(|c| time::parse_timestamp(c).ok() == Some(item.updated_at));
    let items = if unchanged { Vec::new() } else { vec![item] };
    Ok(Page {
        items,
        deleted_ids: Vec::new(),
        next_cursor: Some(stamp),
        has_more: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_poll_uses_explicit_empty_filters_so_closed_ones_come_too() {
        let c = WpCursor {
            since: None,
            page: 1,
        };
        assert_eq!(c.filters(), json!([]));
        let c = WpCursor {
            since: Some("2026-01-01T00:00:00Z".into()),
            page: 1,
        };
        assert_eq!(
            c.filters(),
            json!([{"updatedAt": {"operator": "<>d", "values": ["2026-01-01T00:00:00Z", ""]}}])
        );
    }

    #[test]
    fn full_pages_reanchor_when_time_moves_and_turn_the_page_when_not() {
        let c = WpCursor {
            since: Some("2026-01-01T00:00:00Z".into()),
            page: 1,
        };
        assert_eq!(
            c.next(Some("2026-01-01T00:00:05Z"), true),
            WpCursor {
                since: Some("2026-01-01T00:00:05Z".into()),
                page: 1
            }
        );
        assert_eq!(
            c.next(Some("2026-01-01T00:00:00Z"), true),
            WpCursor {
                since: c.since.clone(),
                page: 2
            }
        );
        assert_eq!(
            c.next(None, false),
            WpCursor {
                since: c.since.clone(),
                page: 1
            }
        );
        assert!(WpCursor::parse("12").is_err());
    }

    #[test]
    fn category_fingerprint_changes_with_names() {
        let a = vec![category_to_item(&crate::model::Category {
            id: 1,
            name: "bug".into(),
        })];
        let b = vec![category_to_item(&crate::model::Category {
            id: 1,
            name: "bugs".into(),
        })];
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
    }
}
