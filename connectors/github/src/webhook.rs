//! `parse-webhook`: GitHub `issues`, `issue_comment`, `milestone` and `label` deliveries
//! to change events. A comment delivery is an `updated` change of its issue without the
//! issue's content (the host re-reads the issue and reconciles its comments).
//! Pull-request-bearing issue and comment events, pings and other events give no changes.
//! Signature verification is the host's job and has happened before this runs.

use elder_connector_sdk::http::header;
use elder_connector_sdk::{Change, ChangeAction, ConnectorError, Kind};
use serde::Deserialize;

use crate::mapping::{issue_item, label_item, milestone_item};
use crate::model::{GhIssue, GhLabel, GhMilestone};

#[derive(Deserialize)]
struct IssuesEvent {
    action: String,
    /// Read twice: as a whole issue when it is one, else only for its number.
    issue: serde_json::Value,
}

/// What every issue payload carries, even a partial one: which issue it is.
#[derive(Deserialize)]
struct IssueRef {
    number: u64,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct MilestoneEvent {
    action: String,
    milestone: GhMilestone,
}

#[derive(Deserialize)]
struct LabelEvent {
    action: String,
    label: GhLabel,
    #[serde(default)]
    changes: Option<LabelChanges>,
}

#[derive(Deserialize)]
struct LabelChanges {
    #[serde(default)]
    name: Option<From>,
}

#[derive(Deserialize)]
struct From {
    from: String,
}

fn decode<'a, T: Deserialize<'a>>(event: &str, body: &'a [u8]) -> Result<T, ConnectorError> {
    serde_json::from_slice(body).map_err(|e| {
        ConnectorError::invalid_input(format!("malformed GitHub `{event}` webhook payload: {e}"))
    })
}

/// What an `issues` action means for the item.
pub fn issue_action(action: &str) -> ChangeAction {
    match action {
        "opened" => ChangeAction::Created,
        "closed" => ChangeAction::Closed,
        "reopened" => ChangeAction::Reopened,
        // A transferred issue has left this repository: gone from our point of view.
        "deleted" | "transferred" => ChangeAction::Deleted,
        // edited, labeled, unlabeled, assigned, unassigned, milestoned, demilestoned,
        // pinned, unpinned, locked, unlocked, typed, untyped and future actions.
        _ => ChangeAction::Updated,
    }
}

/// What a `milestone` action means for the item.
pub fn milestone_action(action: &str) -> ChangeAction {
    match action {
        "created" => ChangeAction::Created,
        "closed" => ChangeAction::Closed,
        "opened" => ChangeAction::Reopened,
        "deleted" => ChangeAction::Deleted,
        _ => ChangeAction::Updated,
    }
}

/// An `issues` delivery. Some real payloads carry only part of the issue (GitHub's
/// `pinned`/`unpinned` have no `state`): the change then names the issue without its
/// content, and the host reads the issue (`get`) instead of failing the delivery.
fn issue_changes(body: &[u8], now_ms: i64) -> Result<Vec<Change>, ConnectorError> {
    let ev: IssuesEvent = decode("issues", body)?;
    let named: IssueRef = serde_json::from_value(ev.issue.clone()).map_err(|e| {
        ConnectorError::invalid_input(format!("malformed GitHub `issues` webhook payload: {e}"))
    })?;
    if named.pull_request.is_some() {
        return Ok(vec![]);
    }
    let action = issue_action(&ev.action);
    let item = match serde_json::from_value::<GhIssue>(ev.issue) {
        Ok(issue) => Some(issue_item(&issue)?),
        Err(_) => None,
    };
    Ok(vec![Change {
        kind: Kind::Issue,
        external_id: named.number.to_string(),
        action,
        occurred_at: item.as_ref().map_or(now_ms, |i| i.updated_at),
        item: item.filter(|_| action != ChangeAction::Deleted),
    }])
}

/// What an `issue_comment` delivery carries that the connector reads.
#[derive(Deserialize)]
struct CommentEvent {
    issue: IssueRef,
    comment: CommentTimes,
}

#[derive(Deserialize)]
struct CommentTimes {
    updated_at: String,
}

/// An `issue_comment` delivery (created, edited or deleted): the issue changed. Comments
/// on pull requests concern nothing the connector syncs.
fn comment_changes(body: &[u8]) -> Result<Vec<Change>, ConnectorError> {
    let ev: CommentEvent = decode("issue_comment", body)?;
    if ev.issue.pull_request.is_some() {
        return Ok(vec![]);
    }
    Ok(vec![Change {
        kind: Kind::Issue,
        external_id: ev.issue.number.to_string(),
        action: ChangeAction::Updated,
        item: None,
        occurred_at: elder_connector_sdk::time::parse_timestamp(&ev.comment.updated_at)?,
    }])
}

fn milestone_changes(body: &[u8]) -> Result<Vec<Change>, ConnectorError> {
    let ev: MilestoneEvent = decode("milestone", body)?;
    let action = milestone_action(&ev.action);
    let item = milestone_item(&ev.milestone)?;
    Ok(vec![Change {
        kind: Kind::Milestone,
        external_id: item.external_id.clone(),
        action,
        occurred_at: item.updated_at,
        item: (action != ChangeAction::Deleted).then_some(item),
    }])
}

/// Label events carry no timestamp: `now_ms` stands in. A rename changes the
/// label's external id (its name): one update reported under the old name, carrying the
/// label under its new one, so the host's mapping follows the rename (never a delete and
/// a create).
fn label_changes(body: &[u8], now_ms: i64) -> Result<Vec<Change>, ConnectorError> {
    let ev: LabelEvent = decode("label", body)?;
    let item = label_item(&ev.label, now_ms);
    let change = |id: &str, action, item| Change {
        kind: Kind::Label,
        external_id: id.to_string(),
        action,
        item,
        occurred_at: now_ms,
    };
    let renamed_from = ev
        .changes
        .and_then(|c| c.name)
        .map(|n| n.from)
        .filter(|old| *old != ev.label.name);
    Ok(match (ev.action.as_str(), renamed_from) {
        ("created", _) => vec![change(&ev.label.name, ChangeAction::Created, Some(item))],
        ("deleted", _) => vec![change(&ev.label.name, ChangeAction::Deleted, None)],
        ("edited", Some(old)) => vec![change(&old, ChangeAction::Updated, Some(item))],
        _ => vec![change(&ev.label.name, ChangeAction::Updated, Some(item))],
    })
}

/// Translates one delivery. Unknown events and pings give an empty list.
pub fn parse(
    headers: &[(String, String)],
    body: &[u8],
    now_ms: i64,
) -> Result<Vec<Change>, ConnectorError> {
    let event = header(headers, "x-github-event")
        .ok_or_else(|| ConnectorError::invalid_input("missing X-GitHub-Event header"))?;
    match event.trim() {
        "issues" => issue_changes(body, now_ms),
        "issue_comment" => comment_changes(body),
        "milestone" => milestone_changes(body),
        "label" => label_changes(body, now_ms),
        _ => Ok(vec![]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures;

    fn h(event: &str) -> Vec<(String, String)> {
        vec![
            ("X-GitHub-Event".into(), event.into()),
            (
                "X-GitHub-Delivery".into(),
                "72d3162e-cc78-11e3-81ab-4c9367dc0958".into(),
            ),
        ]
    }

    fn issues_payload(action: &str, issue: &str) -> Vec<u8> {
        format!(
            r#"{{"action":"{action}","issue":{issue},"repository":{},"sender":{{"login":"octocat"}}}}"#,
            fixtures::REPOSITORY
        )
        .into_bytes()
    }

    #[test]
    fn every_issue_action_maps_to_a_change() {
        let cases = [
            ("opened", ChangeAction::Created),
            ("edited", ChangeAction::Updated),
            ("closed", ChangeAction::Closed),
            ("reopened", ChangeAction::Reopened),
            ("deleted", ChangeAction::Deleted),
            ("transferred", ChangeAction::Deleted),
            ("labeled", ChangeAction::Updated),
            ("unlabeled", ChangeAction::Updated),
            ("assigned", ChangeAction::Updated),
            ("unassigned", ChangeAction::Updated),
            ("milestoned", ChangeAction::Updated),
            ("demilestoned", ChangeAction::Updated),
            ("pinned", ChangeAction::Updated),
            ("unpinned", ChangeAction::Updated),
            ("locked", ChangeAction::Updated),
            ("unlocked", ChangeAction::Updated),
        ];
        for (action, expected) in cases {
            let changes = parse(&h("issues"), &issues_payload(action, fixtures::ISSUE), 0).unwrap();
            assert_eq!(changes.len(), 1, "{action}");
            let c = &changes[0];
            assert_eq!(
                (c.kind, c.action, c.external_id.as_str()),
                (Kind::Issue, expected, "1347"),
                "{action}"
            );
            assert_eq!(c.occurred_at, 1_303_479_228_000);
            assert_eq!(
                c.item.is_some(),
                expected != ChangeAction::Deleted,
                "{action}"
            );
        }
    }

    #[test]
    fn carries_the_issue_from_the_payload() {
        let changes = parse(&h("issues"), &issues_payload("labeled", fixtures::ISSUE), 0).unwrap();
        let item = changes[0].item.as_ref().unwrap();
        assert_eq!(item.title, "Found a bug");
        assert_eq!(item.labels, vec!["bug".to_string()]);
    }

    #[test]
    fn pull_request_events_and_pings_give_nothing() {
        let pr = issues_payload("opened", fixtures::PULL_REQUEST_ISSUE);
        assert_eq!(parse(&h("issues"), &pr, 0).unwrap(), vec![]);
        let ping = br#"{"zen":"Design for failure.","hook_id":1}"#;
        assert_eq!(parse(&h("ping"), ping, 0).unwrap(), vec![]);
        assert_eq!(parse(&h("push"), b"{}", 0).unwrap(), vec![]);
    }

    #[test]
    fn malformed_payloads_are_invalid_input() {
        assert!(matches!(
            parse(&h("issues"), b"{not json", 0),
            Err(ConnectorError::InvalidInput(_))
        ));
        assert!(matches!(
            parse(&h("issues"), b"{\"action\":\"opened\"}", 0),
            Err(ConnectorError::InvalidInput(_))
        ));
        assert!(matches!(
            parse(&[], b"{}", 0),
            Err(ConnectorError::InvalidInput(_))
        ));
    }

    #[test]
    fn milestone_actions() {
        for (action, expected) in [
            ("created", ChangeAction::Created),
            ("edited", ChangeAction::Updated),
            ("closed", ChangeAction::Closed),
            ("opened", ChangeAction::Reopened),
            ("deleted", ChangeAction::Deleted),
        ] {
            let body = format!(
                r#"{{"action":"{action}","milestone":{}}}"#,
                fixtures::MILESTONE
            );
            let c = parse(&h("milestone"), body.as_bytes(), 0).unwrap();
            assert_eq!(
                (c[0].kind, c[0].action, c[0].external_id.as_str()),
                (Kind::Milestone, expected, "1")
            );
        }
    }

    #[test]
    fn label_events_including_rename() {
        let body = format!(r#"{{"action":"created","label":{}}}"#, fixtures::LABEL);
        let c = parse(&h("label"), body.as_bytes(), 42).unwrap();
        assert_eq!((c[0].action, c[0].occurred_at), (ChangeAction::Created, 42));
        let body = format!(
            r#"{{"action":"edited","label":{},"changes":{{"name":{{"from":"defect"}}}}}}"#,
            fixtures::LABEL
        );
        let c = parse(&h("label"), body.as_bytes(), 42).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].external_id.as_str(), c[0].action),
            ("defect", ChangeAction::Updated)
        );
        assert_eq!(c[0].item.as_ref().unwrap().external_id, "bug");
        let body = format!(
            r#"{{"action":"edited","label":{},"changes":{{"color":{{"from":"000000"}}}}}}"#,
            fixtures::LABEL
        );
        let c = parse(&h("label"), body.as_bytes(), 42).unwrap();
        assert_eq!((c.len(), c[0].action), (1, ChangeAction::Updated));
        let body = format!(r#"{{"action":"deleted","label":{}}}"#, fixtures::LABEL);
        let c = parse(&h("label"), body.as_bytes(), 42).unwrap();
        assert_eq!(
            (c[0].action, c[0].item.is_none()),
            (ChangeAction::Deleted, true)
        );
    }

    /// GitHub's published example payloads (`tests/fixtures/github-webhooks`, from npm
    /// `@octokit/webhooks-examples` 7.6.1), one per action, replayed as they are.
    const EXAMPLES: [(&str, &str); 21] = [
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.assigned.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.deleted.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.demilestoned.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.edited.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.labeled.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.locked.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.milestoned.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.opened.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.pinned.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.reopened.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.transferred.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.unassigned.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.unlabeled.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.unlocked.json"),
        ),
        (
            "issues",
            include_str!("../../../tests/fixtures/github-webhooks/issues.unpinned.json"),
        ),
        (
            "label",
            include_str!("../../../tests/fixtures/github-webhooks/label.created.json"),
        ),
        (
            "label",
            include_str!("../../../tests/fixtures/github-webhooks/label.deleted.json"),
        ),
        (
            "label",
            include_str!("../../../tests/fixtures/github-webhooks/label.edited.json"),
        ),
        (
            "milestone",
            include_str!("../../../tests/fixtures/github-webhooks/milestone.closed.json"),
        ),
        (
            "milestone",
            include_str!("../../../tests/fixtures/github-webhooks/milestone.created.json"),
        ),
        (
            "milestone",
            include_str!("../../../tests/fixtures/github-webhooks/milestone.deleted.json"),
        ),
    ];

    #[test]
    fn githubs_published_examples_all_translate() {
        for (event, body) in EXAMPLES {
            let payload = serde_json::from_str::<serde_json::Value>(body).unwrap();
            let action = payload["action"].as_str().unwrap().to_string();
            let changes = parse(&h(event), body.as_bytes(), 7)
                .unwrap_or_else(|e| panic!("{event}.{action}: {e}"));
            if payload["issue"].get("pull_request").is_some() {
                // The package's (de)milestoned examples are about a pull request.
                assert!(
                    changes.is_empty(),
                    "{event}.{action}: pull requests are not synced"
                );
                continue;
            }
            assert_eq!(changes.len(), 1, "{event}.{action}");
            let c = &changes[0];
            let partial = event == "issues" && (action == "pinned" || action == "unpinned");
            if partial {
                // No `state` in the payload: named for a re-read, not failed.
                assert_eq!(c.external_id, "1", "{action}");
                assert!(c.item.is_none(), "{action}: re-read, not guessed");
                assert_eq!(c.occurred_at, 7, "{action}");
            } else if c.action != ChangeAction::Deleted {
                assert!(c.item.is_some(), "{event}.{action} carries its item");
            }
        }
    }

    fn comment_payload(action: &str, issue: &str) -> Vec<u8> {
        format!(
            r#"{{"action":"{action}","issue":{issue},"comment":{},"repository":{},"sender":{{"login":"octocat"}}}}"#,
            fixtures::COMMENT,
            fixtures::REPOSITORY
        )
        .into_bytes()
    }

    #[test]
    fn a_comment_delivery_is_an_update_of_its_issue_to_re_read() {
        for action in ["created", "edited", "deleted"] {
            let body = comment_payload(action, fixtures::ISSUE);
            let changes = parse(&h("issue_comment"), &body, 0).unwrap();
            assert_eq!(changes.len(), 1, "{action}");
            let c = &changes[0];
            assert_eq!(
                (c.kind, c.action, c.external_id.as_str()),
                (Kind::Issue, ChangeAction::Updated, "1347"),
                "{action}"
            );
            assert!(c.item.is_none(), "{action}: the host re-reads the issue");
            // The comment's own edit time, not the issue's (older) one.
            assert_eq!(c.occurred_at, 1_302_797_112_000);
        }
    }

    #[test]
    fn comments_on_pull_requests_give_no_change() {
        let body = comment_payload("created", fixtures::PULL_REQUEST_ISSUE);
        assert!(parse(&h("issue_comment"), &body, 0).unwrap().is_empty());
        assert!(matches!(
            parse(&h("issue_comment"), br#"{"action":"created"}"#, 0),
            Err(ConnectorError::InvalidInput(m)) if m.contains("issue_comment")
        ));
    }
}
