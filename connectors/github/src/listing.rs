//! `list-changes`: request planning and page digestion per kind (pure), plus the
//! thin I/O step that joins them. See [`cursor`] for the cursor's design.

pub mod cursor;

use elder_connector_sdk::http::{Request, Response};
use elder_connector_sdk::pagination::link_with_rel;
use elder_connector_sdk::{ConnectorError, Kind, Page};

use self::cursor::{Cursor, later};
use crate::mapping::{issue_item, label_item, milestone_item};
use crate::model::{GhIssue, GhLabel, GhMilestone};
use crate::settings::Settings;

/// GitHub's maximum `per_page`.
pub const MAX_PER_PAGE: u32 = 100;

fn per_page(page_size: u32) -> u32 {
    page_size.clamp(1, MAX_PER_PAGE)
}

/// The request for the next page of issues.
pub fn issues_request(s: &Settings, c: &Cursor, page_size: u32) -> Request {
    s.api
        .get(&s.repo_path("/issues"))
        .query("state", "all")
        .query("sort", "updated")
        .query("direction", "asc")
        .query_opt("since", c.since.as_deref())
        .query("per_page", per_page(page_size))
        .query_opt("page", c.page.filter(|p| *p > 1))
}

/// Turns one page of issues into a [`Page`] and the cursor to resume from.
pub fn digest_issues(
    c: &Cursor,
    issues: &[GhIssue],
    has_next: bool,
) -> Result<Page, ConnectorError> {
    let items = issues
        .iter()
        .filter(|i| !i.is_pull_request())
        .map(issue_item)
        .collect::<Result<Vec<_>, _>>()?;
    let newest = issues
        .iter()
        .map(|i| i.updated_at.as_str())
        .max()
        .map(str::to_string);
    let progressed = match (&newest, &c.since) {
        (Some(n), Some(s)) => n > s,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let next = if !has_next {
        Cursor {
            since: newest.map_or(c.since.clone(), |n| later(c.since.clone(), &n)),
            ..Default::default()
        }
    } else if progressed {
        Cursor {
            since: newest,
            ..Default::default()
        }
    } else {
        Cursor {
            since: c.since.clone(),
            page: Some(c.page.unwrap_or(1) + 1),
            ..Default::default()
        }
    };
    Ok(Page {
        items,
        deleted_ids: vec![],
        next_cursor: Some(next.encode()),
        has_more: has_next,
    })
}

/// The request for the next page of milestones or labels.
pub fn full_listing_request(s: &Settings, kind: Kind, c: &Cursor, page_size: u32) -> Request {
    if let Some(next) = &c.next {
        return s.api.get(next);
    }
    match kind {
        Kind::Milestone => s
            .api
            .get(&s.repo_path("/milestones"))
            .query("state", "all")
            .query("sort", "due_on")
            .query("direction", "asc")
            .query("per_page", per_page(page_size)),
        _ => s
            .api
            .get(&s.repo_path("/labels"))
            .query("per_page", per_page(page_size)),
    }
}

/// Turns one page of milestones into a [`Page`]: milestones changed at or after the
/// previous pass's high-water mark, and the cursor of the pass.
pub fn digest_milestones(
    c: &Cursor,
    milestones: &[GhMilestone],
    next_url: Option<String>,
) -> Result<Page, ConnectorError> {
    let items = milestones
        .iter()
        .filter(|m| {
            c.since
                .as_deref()
                .is_none_or(|s| m.updated_at.as_str() >= s)
        })
        .map(milestone_item)
        .collect::<Result<Vec<_>, _>>()?;
    let high_water = milestones
        .iter()
        .fold(c.high_water.clone(), |hw, m| later(hw, &m.updated_at));
    let has_more = next_url.is_some();
    let next = match next_url {
        Some(url) => Cursor {
            since: c.since.clone(),
            next: Some(url),
            high_water,
            ..Default::default()
        },
        None => Cursor {
            since: high_water.or_else(|| c.since.clone()),
            ..Default::default()
        },
    };
    Ok(Page {
        items,
        deleted_ids: vec![],
        next_cursor: Some(next.encode()),
        has_more,
    })
}

/// Turns one page of labels into a [`Page`]: every label (versioned by fingerprint).
pub fn digest_labels(labels: &[GhLabel], next_url: Option<String>, now_ms: i64) -> Page {
    let has_more = next_url.is_some();
    let next = Cursor {
        next: next_url,
        ..Default::default()
    };
    Page {
        items: labels.iter().map(|l| label_item(l, now_ms)).collect(),
        deleted_ids: vec![],
        next_cursor: Some(next.encode()),
        has_more,
    }
}

fn next_link(resp: &Response) -> Option<String> {
    resp.header("link").and_then(|v| link_with_rel(v, "next"))
}

/// Lists one page of changes of `kind` (the I/O edge).
pub fn list_changes(
    s: &Settings,
    kind: Kind,
    cursor: Option<&str>,
    page_size: u32,
) -> Result<Page, ConnectorError> {
    let c = Cursor::decode(cursor)?;
    match kind {
        Kind::Issue => {
            let resp = issues_request(s, &c, page_size).send()?;
            digest_issues(
                &c,
                &resp.json::<Vec<GhIssue>>()?,
                next_link(&resp).is_some(),
            )
        }
        Kind::Milestone => {
            let resp = full_listing_request(s, kind, &c, page_size).send()?;
            digest_milestones(&c, &resp.json::<Vec<GhMilestone>>()?, next_link(&resp))
        }
        Kind::Label => {
            let resp = full_listing_request(s, kind, &c, page_size).send()?;
            let now = elder_connector_sdk::clock::now_ms();
            Ok(digest_labels(
                &resp.json::<Vec<GhLabel>>()?,
                next_link(&resp),
                now,
            ))
        }
        Kind::Project => Err(ConnectorError::unsupported(
            "GitHub projects (v2) are GraphQL-only; this connector syncs issues, milestones and labels",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures;

    fn settings() -> Settings {
        elder_connector_sdk::testing::settings::<crate::GitHub>(&[
            ("owner", "octocat"),
            ("repo", "Hello-World"),
        ])
        .unwrap()
    }

    fn issue(n: u64, updated: &str, pr: bool) -> GhIssue {
        let mut v: serde_json::Value = serde_json::from_str(if pr {
            fixtures::PULL_REQUEST_ISSUE
        } else {
            fixtures::ISSUE
        })
        .unwrap();
        v["number"] = n.into();
        v["updated_at"] = updated.into();
        serde_json::from_value(v).unwrap()
    }

    fn cursor_of(p: &Page) -> Cursor {
        Cursor::decode(p.next_cursor.as_deref()).unwrap()
    }

    #[test]
    fn plans_the_documented_issue_query() {
        let c = Cursor {
            since: Some("2024-01-01T00:00:00Z".into()),
            page: Some(3),
            ..Default::default()
        };
        assert_eq!(
            issues_request(&settings(), &c, 500).full_url(),
            "https://api.github.com/repos/octocat/Hello-World/issues?state=all&sort=updated&direction=asc&since=2024-01-01T00%3A00%3A00Z&per_page=100&page=3"
        );
        let first = issues_request(&settings(), &Cursor::default(), 30).full_url();
        assert!(
            !first.contains("since=") && !first.contains("&page=") && first.contains("per_page=30")
        );
    }

    #[test]
    fn skips_pull_requests_but_advances_past_them() {
        let page = [
            issue(1, "2024-01-01T00:00:01Z", false),
            issue(2, "2024-01-01T00:00:02Z", true),
        ];
        let p = digest_issues(&Cursor::default(), &page, true).unwrap();
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].external_id, "1");
        assert!(p.has_more);
        assert_eq!(cursor_of(&p).since.as_deref(), Some("2024-01-01T00:00:02Z"));
        assert_eq!(cursor_of(&p).page, None);
    }

    #[test]
    fn a_page_stuck_on_one_second_advances_the_page_number() {
        let c = Cursor {
            since: Some("2024-01-01T00:00:05Z".into()),
            ..Default::default()
        };
        let page = [
            issue(1, "2024-01-01T00:00:05Z", false),
            issue(2, "2024-01-01T00:00:05Z", false),
        ];
        let p = digest_issues(&c, &page, true).unwrap();
        assert_eq!(cursor_of(&p).page, Some(2));
        assert_eq!(cursor_of(&p).since, c.since);
    }

    #[test]
    fn the_last_page_keeps_the_high_water_mark() {
        let p = digest_issues(
            &Cursor::default(),
            &[issue(1, "2024-02-01T00:00:00Z", false)],
            false,
        )
        .unwrap();
        assert!(!p.has_more);
        assert_eq!(cursor_of(&p).since.as_deref(), Some("2024-02-01T00:00:00Z"));
        let c = cursor_of(&p);
        let empty = digest_issues(&c, &[], false).unwrap();
        assert_eq!(
            cursor_of(&empty),
            c,
            "an empty page never rewinds the cursor"
        );
    }

    #[test]
    fn milestones_pass_filters_by_previous_high_water() {
        let m: GhMilestone = serde_json::from_str(fixtures::MILESTONE).unwrap();
        let mut newer = m.clone();
        newer.number = 2;
        newer.updated_at = "2020-01-01T00:00:00Z".into();
        let c = Cursor {
            since: Some("2015-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        let p1 = digest_milestones(
            &c,
            std::slice::from_ref(&m),
            Some("https://api.github.com/next".into()),
        )
        .unwrap();
        assert!(p1.items.is_empty() && p1.has_more);
        let c1 = cursor_of(&p1);
        assert_eq!(c1.next.as_deref(), Some("https://api.github.com/next"));
        assert_eq!(
            full_listing_request(&settings(), Kind::Milestone, &c1, 10).full_url(),
            "https://api.github.com/next"
        );
        let p2 = digest_milestones(&c1, &[newer], None).unwrap();
        assert_eq!(p2.items.len(), 1);
        assert_eq!(
            cursor_of(&p2).since.as_deref(),
            Some("2020-01-01T00:00:00Z")
        );
        assert!(!p2.has_more);
    }

    #[test]
    fn labels_are_listed_in_full_each_pass() {
        let l: GhLabel = serde_json::from_str(fixtures::LABEL).unwrap();
        let p = digest_labels(&[l], None, 9);
        assert_eq!(p.items.len(), 1);
        assert!(!p.has_more);
        assert_eq!(cursor_of(&p), Cursor::default());
    }
}
