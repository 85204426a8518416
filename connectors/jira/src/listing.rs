//! `list-changes`: issues through `POST /rest/api/3/search/jql` with explicit fields,
//! `nextPageToken`/`isLast`, and `updated >= "<minute>"` in the site's time zone; since
//! JQL has minute precision and search is eventually consistent, each pass re-reads an
//! overlap window and drops what it already returned (same key and same `updated`).
//! Sprints come from the board's Agile API, components from the project; both are
//! listed in full each pass (they carry no update time).

use elder_connector_sdk::{ConnectorError, Kind, Page};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::mapping::{self, time};
use crate::settings::{Settings, meta};

/// How far behind the newest change seen the next pass starts again, in ms.
pub const OVERLAP_MS: i64 = 5 * 60_000;

/// The issue cursor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The JQL lower bound, `YYYY-MM-DD HH:MM` in the site's offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The page token while a walk is in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// (key, updated ms) already returned within the overlap window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<(String, i64)>,
    /// The newest `updated` seen, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<i64>,
    /// The site's offset in minutes, learned from the timestamps it sends.
    #[serde(default)]
    pub offset: i32,
    /// The sprint field id, looked up once per walk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sprint_field: Option<String>,
    /// For sprints: the Agile `startAt` of the next page.
    #[serde(default)]
    pub start_at: u64,
}

impl Cursor {
    fn parse(raw: Option<&str>) -> Result<Cursor, ConnectorError> {
        match raw {
            None => Ok(Cursor::default()),
            Some(t) => serde_json::from_str(t)
                .map_err(|e| ConnectorError::invalid_input(format!("unreadable Jira cursor: {e}"))),
        }
    }

    fn text(&self) -> String {
        serde_json::to_string(self).expect("cursor serializes")
    }
}

/// The JQL of a pass.
pub fn jql(project_key: &str, since: Option<&str>) -> String {
    match since {
        Some(s) => format!(
            "project = \"{project_key}\" AND updated >= \"{s}\" ORDER BY updated ASC, key ASC"
        ),
        None => format!("project = \"{project_key}\" ORDER BY updated ASC, key ASC"),
    }
}

/// One page of changes of `kind`.
pub fn list(
    s: &Settings,
    kind: Kind,
    cursor: Option<&str>,
    page_size: u32,
) -> Result<Page, ConnectorError> {
    let cur = Cursor::parse(cursor)?;
    match kind {
        Kind::Issue => issues(s, cur, page_size.clamp(1, 100)),
        Kind::Milestone => sprints(s, cur, page_size.clamp(1, 50)),
        Kind::Label => {
            let all = s
                .api
                .get(&format!("/rest/api/3/project/{}/components", s.project_key))
                .send()?
                .json::<Value>()?;
            let items = all
                .as_array()
                .into_iter()
                .flatten()
                .map(mapping::component)
                .collect::<Result<_, _>>()?;
            Ok(Page {
                items,
                deleted_ids: Vec::new(),
                next_cursor: None,
                has_more: false,
            })
        }
        Kind::Project => {
            let p = s
                .api
                .get(&format!("/rest/api/3/project/{}", s.project_key))
                .send()?
                .json::<Value>()?;
            Ok(Page {
                items: vec![mapping::project(s, &p)],
                deleted_ids: Vec::new(),
                next_cursor: None,
                has_more: false,
            })
        }
    }
}

fn issues(s: &Settings, mut cur: Cursor, max: u32) -> Result<Page, ConnectorError> {
    if cur.sprint_field.is_none() {
        cur.sprint_field = meta::sprint_field(s)?;
    }
    let q = jql(&s.project_key, cur.since.as_deref());
    let mut body = json!({"jql": q, "maxResults": max, "fields": crate::model::issue_fields(cur.sprint_field.as_deref())});
    if let Some(t) = &cur.token {
        body["nextPageToken"] = json!(t);
    }
    let resp = s
        .api
        .post("/rest/api/3/search/jql")
        .json(&body)?
        .send()?
        .json::<Value>()?;
    let rows = resp
        .get("issues")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let is_last = resp.get("isLast").and_then(Value::as_bool).unwrap_or(true);
    let mut items = Vec::new();
    for r in &rows {
        let it = mapping::issue(s, r, cur.sprint_field.as_deref())?;
        if let Some((_, off)) = it.version.as_deref().and_then(time::parse) {
            cur.offset = off;
        }
        let mark = (it.external_id.clone(), it.updated_at);
        if !cur.seen.contains(&mark) {
            cur.seen.push(mark);
            cur.high = cur.high.max(Some(it.updated_at));
            items.push(it);
        }
    }
    let next_token = resp
        .get("nextPageToken")
        .and_then(Value::as_str)
        .map(str::to_string);
    let has_more = !is_last && next_token.is_some();
    if has_more {
        cur.token = next_token;
    } else {
        finish_pass(&mut cur);
    }
    Ok(Page {
        items,
        deleted_ids: Vec::new(),
        next_cursor: Some(cur.text()),
        has_more,
    })
}

/// Ends a walk: the next pass starts `OVERLAP_MS` before the newest change seen, and
/// only the marks inside that window are kept.
fn finish_pass(cur: &mut Cursor) {
    cur.token = None;
    if let Some(high) = cur.high {
        let since = time::jql_minute(high - OVERLAP_MS, cur.offset);
        let from = time::jql_minute_ms(&since, cur.offset).unwrap_or(high - OVERLAP_MS);
        cur.seen.retain(|(_, at)| *at >= from);
        cur.since = Some(since);
    }
    cur.sprint_field = None;
}

fn sprints(s: &Settings, cur: Cursor, max: u32) -> Result<Page, ConnectorError> {
    let board = meta::board_id(s)?;
    let url = format!(
        "/rest/agile/1.0/board/{board}/sprint?startAt={}&maxResults={max}",
        cur.start_at
    );
    let resp = s.api.get(&url).send()?.json::<Value>()?;
    let rows = resp
        .get("values")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let items: Vec<_> = rows.iter().map(mapping::sprint).collect::<Result<_, _>>()?;
    let is_last = resp.get("isLast").and_then(Value::as_bool).unwrap_or(true);
    let next = Cursor {
        start_at: if is_last {
            0
        } else {
            cur.start_at + rows.len() as u64
        },
        ..Cursor::default()
    };
    Ok(Page {
        items,
        deleted_ids: Vec::new(),
        next_cursor: Some(next.text()),
        has_more: !is_last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jql_uses_minute_bound_and_stable_order() {
        assert_eq!(
            jql("ELD", None),
            "project = \"ELD\" ORDER BY updated ASC, key ASC"
        );
        assert_eq!(
            jql("ELD", Some("2022-03-20 06:16")),
            "project = \"ELD\" AND updated >= \"2022-03-20 06:16\" ORDER BY updated ASC, key ASC"
        );
    }

    #[test]
    fn finishing_a_pass_opens_an_overlap_window_in_local_time() {
        let high = time::parse_ms("2022-03-20T06:21:50.520+0530").unwrap();
        let mut cur = Cursor {
            high: Some(high),
            offset: 330,
            seen: vec![("ELD-1".into(), high), ("ELD-0".into(), high - 3_600_000)],
            token: Some("t".into()),
            ..Cursor::default()
        };
        finish_pass(&mut cur);
        assert_eq!(cur.since.as_deref(), Some("2022-03-20 06:16"));
        assert_eq!(cur.seen, vec![("ELD-1".to_string(), high)]);
        assert_eq!(cur.token, None);
    }

    #[test]
    fn empty_first_pass_keeps_no_bound() {
        let mut cur = Cursor::default();
        finish_pass(&mut cur);
        assert_eq!(cur.since, None);
    }
}
