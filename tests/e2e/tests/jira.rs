//! End to end: the Jira wasm component in the host runtime against the Jira simulator:
//! backfill through `search/jql` pages, eventual consistency of search, writes with ADF
//! descriptions, status through transitions (and `invalid_transition` conflicts),
//! sprints, components, webhook events and their retries, rate limits and auth, and issue
//! comments (ADF on Jira, Markdown in Elder).

use std::time::Duration;

use elder_sync_e2e::component_harness::{ComponentEnv, connector_error, connector_settings};
use elder_sync_model::{ChangeAction, ConnectorError, ItemPatch, ItemState, Kind, NewItem};
use platform_simulators::jira::{HookConfig, IssueFields, JiraOptions, JiraSim};

type Env = ComponentEnv<JiraSim>;

async fn env_with(options: JiraOptions, extra: &[(&str, &str)]) -> Env {
    let sim = JiraSim::start(options.clone())
        .await
        .expect("simulator starts");
    let base_url = sim.base_url();
    let values = [
        ("api_token", options.api_token.as_str()),
        ("email", options.email.as_str()),
        ("project_key", options.project_key.as_str()),
        ("jira_url", base_url.as_str()),
    ];
    let config = connector_settings(&values, extra);
    Env::new(sim, "jira", config)
}

/// A simulator whose search index is immediately up to date.
async fn env() -> Env {
    env_with(
        JiraOptions {
            search_lag: Duration::ZERO,
            ..Default::default()
        },
        &[],
    )
    .await
}

fn fields(summary: &str) -> IssueFields {
    IssueFields {
        summary: Some(summary.into()),
        issuetype: Some("Task".into()),
        ..Default::default()
    }
}

fn new_issue(title: &str) -> NewItem {
    NewItem {
        kind: Kind::Issue,
        title: title.into(),
        body: String::new(),
        state: ItemState::Open,
        labels: vec![],
        assignees: vec![],
        milestone_ref: None,
        parent_ref: None,
        extras: "{}".into(),
    }
}

/// Polls until the walk ends; returns the items and the cursor to store.
async fn poll(e: &Env, cursor: Option<String>, size: u32) -> (Vec<String>, Option<String>, usize) {
    let listing = e.list_all(Kind::Issue, cursor, size).await;
    let keys = listing
        .items
        .iter()
        .map(|i| i.external_id.clone())
        .collect();
    (keys, listing.cursor, listing.pages)
}

#[tokio::test]
async fn test_connection_and_bad_credentials() {
    let e = env().await;
    assert!(
        e.connector
            .test_connection(&e.config)
            .await
            .unwrap()
            .contains("ELD")
    );
    let bad = env_with(
        JiraOptions {
            search_lag: Duration::ZERO,
            ..Default::default()
        },
        &[("api_token", "nope")],
    )
    .await;
    let err = connector_error(
        bad.connector
            .test_connection(&bad.config)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn backfill_across_token_pages_then_only_new_changes() {
    let e = env().await;
    for n in 0..5 {
        e.sim.create_issue(fields(&format!("issue {n}")));
    }
    let (keys, cursor, pages) = poll(&e, None, 2).await;
    assert_eq!(keys, ["ELD-1", "ELD-2", "ELD-3", "ELD-4", "ELD-5"]);
    assert!(pages >= 3, "5 issues at 2 a page: {pages} pages");

    let (again, cursor, _) = poll(&e, cursor, 2).await;
    assert!(
        again.is_empty(),
        "the overlap window re-reads but does not return seen issues: {again:?}"
    );

    e.sim.update_issue(
        "ELD-3",
        IssueFields {
            summary: Some("changed".into()),
            ..Default::default()
        },
    );
    let (changed, _, _) = poll(&e, cursor, 2).await;
    assert_eq!(changed, ["ELD-3"]);
}

#[tokio::test]
async fn a_just_created_issue_missing_from_search_is_found_by_the_next_poll() {
    let e = env_with(
        JiraOptions {
            search_lag: Duration::from_millis(700),
            ..Default::default()
        },
        &[],
    )
    .await;
    e.sim.create_issue(fields("first"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (keys, cursor, _) = poll(&e, None, 50).await;
    assert_eq!(keys, ["ELD-1"]);

    e.sim.create_issue(fields("second"));
    let (early, cursor, _) = poll(&e, cursor, 50).await;
    assert!(early.is_empty(), "not yet searchable: {early:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (late, _, _) = poll(&e, cursor, 50).await;
    assert_eq!(
        late,
        ["ELD-2"],
        "found once indexed, without repeating ELD-1"
    );
}

#[tokio::test]
async fn elder_writes_markdown_labels_components_and_status() {
    let e = env().await;
    let comp = e
        .connector
        .create(
            &e.config,
            NewItem {
                kind: Kind::Label,
                ..new_issue("component:API")
            },
        )
        .await
        .unwrap();
    assert_eq!(comp.title, "component:API");
    let mut n = new_issue("From Elder");
    n.body = "# Plan\n\n- **one**\n- [two](https://example.com)".into();
    n.labels = vec!["backend".into(), "component:API".into()];
    let created = e.connector.create(&e.config, n).await.unwrap();
    let stored = e.sim.issue(&created.external_id).unwrap();
    let adf = stored.description.clone().unwrap();
    assert_eq!(adf["type"], "doc");
    assert_eq!(adf["content"][0]["type"], "heading");
    assert_eq!(adf["content"][1]["type"], "bulletList");
    assert_eq!(stored.labels, ["backend"]);
    assert_eq!(stored.component_ids.len(), 1);
    assert_eq!(
        created.body, "# Plan\n\n- **one**\n- [two](https://example.com)",
        "markdown survives the round trip"
    );
    assert_eq!(created.labels, ["backend", "component:API"]);

    let patch = ItemPatch {
        title: Some("Renamed".into()),
        status_name: Some("In Progress".into()),
        ..Default::default()
    };
    let updated = e
        .connector
        .update(&e.config, Kind::Issue, &created.external_id, patch)
        .await
        .unwrap();
    assert_eq!(
        (updated.title.as_str(), updated.status_name.as_deref()),
        ("Renamed", Some("In Progress"))
    );

    let closed = e
        .connector
        .close(&e.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    assert_eq!(
        (closed.state, closed.status_name.as_deref()),
        (ItemState::Closed, Some("Done"))
    );
    let reopened = e
        .connector
        .reopen(&e.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    assert_eq!(
        (reopened.state, reopened.status_name.as_deref()),
        (ItemState::Open, Some("To Do"))
    );

    let spaced = NewItem {
        labels: vec!["two words".into()],
        ..new_issue("x")
    };
    let err = connector_error(e.connector.create(&e.config, spaced).await.unwrap_err());
    assert!(matches!(err, ConnectorError::InvalidInput(_)), "{err:?}");
}

#[tokio::test]
async fn a_transition_that_needs_a_field_is_an_invalid_transition_conflict() {
    let e = env_with(
        JiraOptions {
            search_lag: Duration::ZERO,
            ..Default::default()
        },
        &[("status_map", r#"{"closed":"Won't Do"}"#)],
    )
    .await;
    let created = e
        .connector
        .create(&e.config, new_issue("cannot close"))
        .await
        .unwrap();
    let err = connector_error(
        e.connector
            .close(&e.config, Kind::Issue, &created.external_id)
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, ConnectorError::Conflict(m) if m.starts_with("invalid_transition:") && m.contains("resolution")),
        "{err:?}"
    );
    assert_eq!(
        e.sim.issue(&created.external_id).unwrap().status_id,
        "10000",
        "the issue did not move"
    );

    let missing = ItemPatch {
        status_name: Some("Archived".into()),
        ..Default::default()
    };
    let err = connector_error(
        e.connector
            .update(&e.config, Kind::Issue, &created.external_id, missing)
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, ConnectorError::Conflict(m) if m.starts_with("invalid_transition: no transition")),
        "{err:?}"
    );
}

#[tokio::test]
async fn sprints_are_milestones() {
    let e = env().await;
    let sprint = e
        .connector
        .create(
            &e.config,
            NewItem {
                kind: Kind::Milestone,
                body: "ship it".into(),
                ..new_issue("Sprint 1")
            },
        )
        .await
        .unwrap();
    let mut n = new_issue("in sprint");
    n.milestone_ref = Some(sprint.external_id.clone());
    let created = e.connector.create(&e.config, n).await.unwrap();
    assert_eq!(
        created.milestone_ref.as_deref(),
        Some(sprint.external_id.as_str())
    );
    let out = ItemPatch {
        milestone_ref: Some(None),
        ..Default::default()
    };
    let moved = e
        .connector
        .update(&e.config, Kind::Issue, &created.external_id, out)
        .await
        .unwrap();
    assert_eq!(moved.milestone_ref, None);

    let listed = e
        .connector
        .list_changes(&e.config, Kind::Milestone, None, 50)
        .await
        .unwrap();
    assert_eq!(
        listed
            .items
            .iter()
            .map(|i| i.title.as_str())
            .collect::<Vec<_>>(),
        ["Sprint 1"]
    );
    let closed = e
        .connector
        .close(&e.config, Kind::Milestone, &sprint.external_id)
        .await
        .unwrap();
    assert_eq!(closed.state, ItemState::Closed);
    let err = connector_error(
        e.connector
            .reopen(&e.config, Kind::Milestone, &sprint.external_id)
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, ConnectorError::Conflict(m) if m.starts_with("invalid_transition:")),
        "{err:?}"
    );
}

#[tokio::test]
async fn webhook_events_of_each_type_and_retries_keep_their_identifier() {
    let e = env().await;
    e.sim.set_webhook(HookConfig {
        url: None,
        secret: Some("hook-secret".into()),
    });
    let i = e.sim.create_issue(fields("hooked"));
    e.sim.update_issue(
        &i.key,
        IssueFields {
            summary: Some("edited".into()),
            ..Default::default()
        },
    );
    e.sim.set_status(&i.key, "Done");
    e.sim.set_status(&i.key, "To Do");
    let sprint = e.sim.create_sprint("S1");
    let deliveries = e.sim.deliveries();
    let mut actions = Vec::new();
    for d in &deliveries {
        assert!(
            d.header("X-Hub-Signature")
                .is_some_and(|s| s.starts_with("sha256="))
        );
        let changes = e
            .connector
            .parse_webhook(&e.config, d.headers.clone(), d.body.clone())
            .await
            .unwrap();
        actions.extend(
            changes
                .into_iter()
                .map(|c| (c.kind, c.external_id, c.action)),
        );
    }
    let key = i.key.clone();
    assert_eq!(
        actions,
        [
            (Kind::Issue, key.clone(), ChangeAction::Created),
            (Kind::Issue, key.clone(), ChangeAction::Updated),
            (Kind::Issue, key.clone(), ChangeAction::Closed),
            (Kind::Issue, key.clone(), ChangeAction::Reopened),
            (
                Kind::Milestone,
                sprint.id.to_string(),
                ChangeAction::Created
            ),
        ]
    );
    let retry = e.sim.redeliver(1);
    assert_eq!(
        retry.header("X-Atlassian-Webhook-Identifier"),
        deliveries[1].header("X-Atlassian-Webhook-Identifier")
    );
    assert_eq!(retry.header("X-Atlassian-Webhook-Retry"), Some("1"));
    let again = e
        .connector
        .parse_webhook(&e.config, retry.headers.clone(), retry.body.clone())
        .await
        .unwrap();
    assert_eq!(
        again[0].occurred_at,
        e.connector
            .parse_webhook(
                &e.config,
                deliveries[1].headers.clone(),
                deliveries[1].body.clone()
            )
            .await
            .unwrap()[0]
            .occurred_at
    );

    let deleted = e.connector.delete(&e.config, Kind::Issue, &key).await;
    assert!(deleted.is_ok());
    let last = e.sim.deliveries().pop().unwrap();
    let changes = e
        .connector
        .parse_webhook(&e.config, last.headers, last.body)
        .await
        .unwrap();
    assert_eq!(
        (changes[0].action, changes[0].item.is_none()),
        (ChangeAction::Deleted, true)
    );
}

#[tokio::test]
async fn rate_limit_answers_carry_retry_after() {
    let e = env().await;
    e.sim.create_issue(fields("one"));
    e.sim.rate_limit_next(1);
    let err = connector_error(
        e.connector
            .list_changes(&e.config, Kind::Issue, None, 10)
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, ConnectorError::RateLimited(r) if r.retry_after_ms == 5_000),
        "{err:?}"
    );
    let (keys, _, _) = poll(&e, None, 10).await;
    assert_eq!(keys, ["ELD-1"]);
}

#[tokio::test]
async fn timestamps_with_offsets_without_colon_are_read() {
    let e = env().await;
    let i = e.sim.create_issue(fields("tz"));
    let item = e
        .connector
        .get(&e.config, Kind::Issue, &i.key)
        .await
        .unwrap();
    assert!(
        item.version
            .as_deref()
            .is_some_and(|v| v.ends_with("+0530")),
        "{:?}",
        item.version
    );
    assert_eq!(item.updated_at, i.updated.timestamp_millis());
}

/// An ADF document of one paragraph: `plain` then `bold` in strong.
fn adf_paragraph(plain: &str, bold: &str) -> serde_json::Value {
    serde_json::json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": plain},
        {"type": "text", "text": bold, "marks": [{"type": "strong"}]}]}]})
}

#[tokio::test]
async fn comments_round_trip_through_adf() {
    let e = env().await;
    assert_eq!(e.connector.comment_kinds(), [Kind::Issue]);
    let i = e.sim.create_issue(fields("discussed"));
    let ann = e.sim.add_user("Ann Lee");
    e.sim
        .add_comment(&i.key, &ann, adf_paragraph("Please look: ", "urgent"));
    let listed = e
        .connector
        .list_comments(&e.config, Kind::Issue, &i.key)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].author.as_str(),
            listed[0].author_name.as_deref(),
            listed[0].body.as_str()
        ),
        (ann.as_str(), Some("Ann Lee"), "Please look: **urgent**"),
        "ADF read as Markdown"
    );
    assert_eq!(listed[0].created_at, listed[0].updated_at);

    let markdown = "Plan:\n\n- **ship** it\n- `test` it";
    let before = e.sim.issue(&i.key).unwrap().updated;
    let created = e
        .connector
        .create_comment(&e.config, Kind::Issue, &i.key, markdown)
        .await
        .unwrap();
    assert_eq!(
        created.body, markdown,
        "Markdown -> ADF -> Markdown is stable"
    );
    assert!(
        e.sim.issue(&i.key).unwrap().updated > before,
        "a comment bumps the issue"
    );
    let stored = e.sim.comments(&i.key).pop().unwrap();
    assert_eq!(stored.id.to_string(), created.external_id);
    assert_eq!(stored.body["type"], "doc", "Jira stores ADF, not text");
    assert_eq!(stored.body["content"][1]["type"], "bulletList");

    let edited = e
        .connector
        .update_comment(
            &e.config,
            Kind::Issue,
            &i.key,
            &created.external_id,
            "Now *done*",
        )
        .await
        .unwrap();
    assert_eq!(edited.body, "Now *done*");
    assert!(edited.updated_at > edited.created_at);
    assert_ne!(edited.version, created.version);
    let bodies: Vec<String> = e
        .connector
        .list_comments(&e.config, Kind::Issue, &i.key)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(bodies, ["Please look: **urgent**", "Now *done*"]);

    for _ in 0..2 {
        e.connector
            .delete_comment(&e.config, Kind::Issue, &i.key, &created.external_id)
            .await
            .expect("deleting (again) succeeds");
    }
    assert_eq!(e.sim.comments(&i.key).len(), 1);
    let err = connector_error(
        e.connector
            .list_comments(&e.config, Kind::Issue, "ELD-999")
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn comments_are_read_across_pages_of_at_most_100() {
    let e = env().await;
    let i = e.sim.create_issue(fields("busy"));
    let bot = "5b10a2844c20165700ede21g";
    for n in 0..130 {
        e.sim
            .add_comment(&i.key, bot, adf_paragraph(&format!("comment {n} "), "x"));
    }
    let requests = e.sim.request_count();
    let got: Vec<String> = e
        .connector
        .list_comments(&e.config, Kind::Issue, &i.key)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    let want: Vec<String> = (0..130).map(|n| format!("comment {n} **x**")).collect();
    assert_eq!(got, want);
    assert_eq!(e.sim.request_count() - requests, 2);
}

#[tokio::test]
async fn comment_events_are_updates_of_their_issue_without_an_item() {
    let e = env().await;
    e.sim.set_webhook(HookConfig {
        url: None,
        secret: Some("hook-secret".into()),
    });
    let i = e.sim.create_issue(fields("hooked"));
    let c = e
        .sim
        .add_comment(&i.key, "5b10a2844c20165700ede21g", adf_paragraph("a ", "b"));
    e.sim.edit_comment(&i.key, c.id, adf_paragraph("c ", "d"));
    e.sim.delete_comment(&i.key, c.id);
    let mut seen = Vec::new();
    for d in e.sim.deliveries() {
        let event = d.json()["webhookEvent"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !event.starts_with("comment_") {
            continue;
        }
        let changes = e
            .connector
            .parse_webhook(&e.config, d.headers.clone(), d.body.clone())
            .await
            .unwrap();
        assert_eq!(changes.len(), 1, "{event}");
        let ch = &changes[0];
        assert_eq!(
            (
                ch.kind,
                ch.external_id.as_str(),
                ch.action,
                ch.item.is_none()
            ),
            (Kind::Issue, i.key.as_str(), ChangeAction::Updated, true)
        );
        seen.push(event);
    }
    assert_eq!(
        seen,
        ["comment_created", "comment_updated", "comment_deleted"]
    );
}
