//! GitHub shapes to canonical items: issues, milestones and labels.

use elder_connector_sdk::{ConnectorError, Item, ItemState, Kind, time};
use serde_json::json;

use crate::model::{GhIssue, GhLabel, GhMilestone};

fn state_of(s: &str) -> ItemState {
    if s.eq_ignore_ascii_case("closed") {
        ItemState::Closed
    } else {
        ItemState::Open
    }
}

/// An issue as a canonical item.
pub fn issue_item(i: &GhIssue) -> Result<Item, ConnectorError> {
    let extras = json!({
        "id": i.id,
        "node_id": i.node_id,
        "state_reason": i.state_reason,
        "locked": i.locked,
        "comment_count": i.comments,
        "author": i.user.as_ref().map(|u| u.login.clone()),
    });
    let updated_at = time::parse_timestamp(&i.updated_at)?;
    Ok(Item::new(
        Kind::Issue,
        i.number.to_string(),
        &i.title,
        state_of(&i.state),
        updated_at,
    )
    .body(i.body.clone().unwrap_or_default())
    .labels(i.labels.iter().map(|l| l.name.clone()))
    .assignees(i.assignees.iter().map(|u| u.login.clone()))
    .milestone(i.milestone.as_ref().map(|m| m.number.to_string()))
    .url(i.html_url.clone())
    .version(&i.updated_at)
    .extras(extras)
    .status(close_reason(i)))
}

/// Why a closed issue was closed (`state_reason`: `completed`, `not_planned`, `duplicate`),
/// its status name; an open issue has none (`reopened` is no status).
fn close_reason(i: &GhIssue) -> Option<String> {
    if state_of(&i.state) != ItemState::Closed {
        return None;
    }
    let reason = i.state_reason.as_deref().unwrap_or("completed");
    Some(
        if CLOSE_REASONS.contains(&reason) {
            reason
        } else {
            "completed"
        }
        .to_string(),
    )
}

/// GitHub's reasons to close an issue.
pub const CLOSE_REASONS: [&str; 3] = ["completed", "not_planned", "duplicate"];

/// The calendar date (`YYYY-MM-DD`) of a GitHub timestamp: a milestone's `due_on` is a
/// date GitHub stores with a time of day, the shared `due_date` of its extras.
pub fn date_of(timestamp: &str) -> Option<String> {
    let date = timestamp.get(..10)?;
    let ok = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    ok.then(|| date.to_string())
}

/// The `due_on` GitHub is sent for a date: noon UTC, so the date stays the same in every
/// time zone GitHub may read it in.
pub fn due_on_of(date: &str) -> String {
    format!("{date}T12:00:00Z")
}

/// A milestone as a canonical item.
pub fn milestone_item(m: &GhMilestone) -> Result<Item, ConnectorError> {
    let extras = json!({
        "node_id": m.node_id,
        "due_on": m.due_on,
        "due_date": m.due_on.as_deref().and_then(date_of),
        "open_issues": m.open_issues,
        "closed_issues": m.closed_issues,
    });
    let updated_at = time::parse_timestamp(&m.updated_at)?;
    Ok(Item::new(
        Kind::Milestone,
        m.number.to_string(),
        &m.title,
        state_of(&m.state),
        updated_at,
    )
    .body(m.description.clone().unwrap_or_default())
    .url(m.html_url.clone())
    .version(&m.updated_at)
    .extras(extras))
}

/// A stable fingerprint of a label's content (FNV-1a over name, colour,
/// description): labels have no `updated_at`, so this is their version.
pub fn label_fingerprint(l: &GhLabel) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let parts = [
        l.name.as_str(),
        l.color.as_deref().unwrap_or(""),
        l.description.as_deref().unwrap_or(""),
    ];
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("fp-{h:016x}")
}

/// A label as a canonical item. Labels carry no timestamp: `updated_at` is
/// `observed_at` (when the connector saw it) and the version is a content fingerprint.
pub fn label_item(l: &GhLabel, observed_at: i64) -> Item {
    let extras = json!({
        "id": l.id,
        "node_id": l.node_id,
        "color": l.color.as_deref().map(|c| format!("#{}", c.to_ascii_lowercase())),
    });
    Item::new(Kind::Label, &l.name, &l.name, ItemState::Open, observed_at)
        .body(l.description.clone().unwrap_or_default())
        .version(label_fingerprint(l))
        .extras(extras)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures;

    #[test]
    fn maps_a_real_issue_payload() {
        let issue: GhIssue = serde_json::from_str(fixtures::ISSUE).unwrap();
        let item = issue_item(&issue).unwrap();
        assert_eq!(item.external_id, "1347");
        assert_eq!(item.title, "Found a bug");
        assert_eq!(item.body, "I'm having a problem with this.");
        assert_eq!(item.state, ItemState::Open);
        assert_eq!(item.labels, vec!["bug".to_string()]);
        assert_eq!(item.assignees, vec!["octocat".to_string()]);
        assert_eq!(item.milestone_ref.as_deref(), Some("1"));
        assert_eq!(
            item.url.as_deref(),
            Some("https://github.com/octocat/Hello-World/issues/1347")
        );
        assert_eq!(item.updated_at, 1_303_479_228_000);
        assert_eq!(item.version.as_deref(), Some("2011-04-22T13:33:48Z"));
        let extras: serde_json::Value = serde_json::from_str(&item.extras).unwrap();
        assert_eq!(extras["node_id"], "MDU6SXNzdWUx");
        assert_eq!(extras["state_reason"], "completed");
    }

    #[test]
    fn an_issue_holds_no_shared_date_so_it_never_clears_elders() {
        let issue: GhIssue = serde_json::from_str(fixtures::ISSUE).unwrap();
        let x: serde_json::Value =
            serde_json::from_str(&issue_item(&issue).unwrap().extras).unwrap();
        assert!(
            x.get("due_date").is_none() && x.get("start_date").is_none(),
            "{x}"
        );
    }

    #[test]
    fn a_bad_timestamp_is_an_error_not_a_panic() {
        let mut v: serde_json::Value = serde_json::from_str(fixtures::ISSUE).unwrap();
        v["updated_at"] = "last tuesday".into();
        let issue: GhIssue = serde_json::from_value(v).unwrap();
        assert!(matches!(
            issue_item(&issue),
            Err(ConnectorError::InvalidInput(_))
        ));
    }

    #[test]
    fn maps_milestones_and_labels() {
        let m: GhMilestone = serde_json::from_str(fixtures::MILESTONE).unwrap();
        let item = milestone_item(&m).unwrap();
        assert_eq!(
            (item.external_id.as_str(), item.title.as_str(), item.state),
            ("1", "v1.0", ItemState::Closed)
        );
        assert_eq!(item.body, "Tracking milestone for version 1.0");
        let extras: serde_json::Value = serde_json::from_str(&item.extras).unwrap();
        assert_eq!(extras["due_date"], "2012-10-09");
        let l: GhLabel = serde_json::from_str(fixtures::LABEL).unwrap();
        let item = label_item(&l, 5);
        assert_eq!(item.external_id, "bug");
        assert_eq!(item.updated_at, 5);
        assert_eq!(item.body, "Something isn't working");
    }

    #[test]
    fn label_fingerprint_changes_with_content_only() {
        let l: GhLabel = serde_json::from_str(fixtures::LABEL).unwrap();
        let same = label_fingerprint(&l.clone());
        assert_eq!(label_fingerprint(&l), same);
        let mut recoloured = l.clone();
        recoloured.color = Some("000000".into());
        assert_ne!(label_fingerprint(&recoloured), same);
        let mut moved = l;
        moved.name = "bu".into();
        moved.description = Some(format!("g{}", moved.description.unwrap()));
        assert_ne!(label_fingerprint(&moved), same);
    }
}
