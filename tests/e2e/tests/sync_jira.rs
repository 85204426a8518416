//! The sync engine end to end with Jira Cloud: the Jira component in the runtime against
//! the Jira simulator (workflow transitions, ADF, eventually consistent search), webhooks
//! signed with `X-Hub-Signature` delivered over HTTP.

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{ConflictType, PageRequest, ResourcePatch, ResourceStatus};
use platform_simulators::jira::IssueFields;
use serde_json::{Value, json};

const JI: Platform = Platform::Jira;

fn adf(text: &str) -> Value {
    json!({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    ]})
}

fn summary(s: &str) -> IssueFields {
    IssueFields {
        summary: Some(s.into()),
        ..IssueFields::default()
    }
}

/// A host whose backfill of `n` Jira issues ran in pages of `page`; webhooks connected after.
async fn backfilled(opts: PlatformOptions, n: usize) -> PlatformHost {
    let host = PlatformHost::start(PlatformOptions {
        webhooks: false,
        ..opts
    })
    .await;
    let component = host.jira().components().first().map(|c| c.name.clone());
    for i in 1..=n {
        host.jira().create_issue(IssueFields {
            summary: Some(format!("Jira issue {i}")),
            description: Some(adf(&format!("Body of issue {i}"))),
            issuetype: Some("Task".into()),
            labels: Some(vec!["backend".into()]),
            components: component.clone().map(|c| vec![c]),
            ..IssueFields::default()
        });
    }
    // Jira's search is eventually consistent: wait until the new issues are searchable.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    host.backfill_clean(JI).await;
    host.connect_webhooks().await;
    host
}

fn key(n: usize) -> String {
    format!("ELD-{n}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_pages_then_edits_flow_both_ways_without_echo() {
    both_ways(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_pages_then_edits_flow_both_ways_on_postgresql() {
    both_ways(TestEngine::Postgres).await;
}

async fn both_ways(db: TestEngine) {
    let host = backfilled(
        PlatformOptions {
            db,
            batch_size: 10,
            ..PlatformOptions::one(JI)
        },
        25,
    )
    .await;
    let issues = host.elder_issues().await;
    assert_eq!(issues.len(), 25);
    let searches = host
        .tap
        .sent()
        .iter()
        .filter(|r| r.url.contains("/rest/api/3/search/jql"))
        .count();
    assert!(
        searches >= 3,
        "25 issues in pages of 10: {searches} searches"
    );
    let first = host.elder_issue(JI, &key(1)).await.unwrap();
    assert_eq!(first.title, "Jira issue 1");
    assert_eq!(first.description.trim(), "Body of issue 1");
    assert!(first.labels.contains(&"backend".to_string()));

    // Jira -> Elder by signed webhook.
    host.jira()
        .update_issue(&key(3), summary("Renamed in Jira"));
    host.eventually("the Jira rename reaches Elder", || async {
        host.elder_issue(JI, &key(3))
            .await
            .is_some_and(|i| i.title == "Renamed in Jira")
    })
    .await;

    // Elder -> Jira through the outbox: one write, and the echo changes nothing.
    host.settle(3).await;
    let writes_before = host.tap.writes_to(&host.jira().base_url()).len();
    let elder = host.elder_issue(JI, &key(5)).await.unwrap();
    let edited = host
        .edit_in_elder(
            elder.id,
            ResourcePatch {
                title: Some("Renamed in Elder".into()),
                ..ResourcePatch::default()
            },
        )
        .await;
    host.eventually("the Elder rename reaches Jira", || async {
        host.jira()
            .issue(&key(5))
            .is_some_and(|i| i.summary == "Renamed in Elder")
    })
    .await;
    host.eventually("Jira's webhook for our own write was sent", || async {
        host.jira()
            .deliveries()
            .iter()
            .any(|d| d.body.windows(16).any(|w| w == b"Renamed in Elder"))
    })
    .await;
    host.settle(5).await;
    let after = host.elder_issue(JI, &key(5)).await.unwrap();
    assert_eq!(after.title, "Renamed in Elder");
    assert_eq!(after.version, edited.version, "the echo was applied again");
    let writes = host.tap.writes_to(&host.jira().base_url());
    assert_eq!(writes.len() - writes_before, 1, "{writes:?}");
    assert_eq!(host.elder_issues().await.len(), 25, "no twin in Elder");
    assert!(host.jira().issue(&key(26)).is_none(), "no twin in Jira");
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_and_reopening_on_either_side_reaches_the_other() {
    let host = backfilled(PlatformOptions::one(JI), 2).await;
    host.jira().set_status(&key(1), "Done");
    host.eventually("Jira's Done reaches Elder", || async {
        host.elder_issue(JI, &key(1))
            .await
            .is_some_and(|i| i.status == ResourceStatus::Closed)
    })
    .await;
    host.jira().set_status(&key(1), "To Do");
    host.eventually("Jira's reopen reaches Elder", || async {
        host.elder_issue(JI, &key(1))
            .await
            .is_some_and(|i| i.status == ResourceStatus::Open)
    })
    .await;

    let elder = host.elder_issue(JI, &key(2)).await.unwrap();
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            status: Some(ResourceStatus::Closed),
            ..ResourcePatch::default()
        },
    )
    .await;
    let category = |host: &PlatformHost| {
        let i = host.jira().issue(&key(2)).unwrap();
        platform_simulators::jira::STATUSES
            .iter()
            .find(|s| s.id == i.status_id)
            .map(|s| s.category)
            .unwrap()
    };
    host.eventually("Elder's close moves the Jira issue to done", || async {
        category(&host) == "done"
    })
    .await;
    host.settle(3).await;
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            status: Some(ResourceStatus::Open),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("Elder's reopen moves it out of done", || async {
        category(&host) != "done"
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        host.elder_issue(JI, &key(2)).await.unwrap().status,
        ResourceStatus::Open
    );
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_whose_transition_needs_a_field_is_an_invalid_transition_conflict() {
    let host = backfilled(
        PlatformOptions {
            settings: vec![(JI, "status_map", r#"{"closed":"Won't Do"}"#)],
            ..PlatformOptions::one(JI)
        },
        1,
    )
    .await;
    let elder = host.elder_issue(JI, &key(1)).await.unwrap();
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            status: Some(ResourceStatus::Closed),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("an invalid_transition conflict is recorded", || async {
        host.store
            .list_conflicts(
                Some(false),
                PageRequest {
                    page: 1,
                    per_page: 10,
                },
            )
            .await
            .unwrap()
            .items
            .iter()
            .any(|c| c.conflict_type == ConflictType::InvalidTransition)
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        host.jira().issue(&key(1)).unwrap().status_id,
        "10000",
        "the issue stays in To Do"
    );
    assert!(
        host.failed_outbox().await.is_empty(),
        "a conflict, not a failed push"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_is_refused_and_nothing_is_stored() {
    let host = PlatformHost::start(PlatformOptions {
        webhooks: false,
        ..PlatformOptions::one(JI)
    })
    .await;
    host.jira()
        .set_webhook(platform_simulators::jira::HookConfig {
            url: None,
            secret: Some(elder_sync_e2e::platform_harness::JIRA_SECRET.into()),
        });
    host.jira().create_issue(IssueFields {
        summary: Some("Hooked".into()),
        issuetype: Some("Task".into()),
        ..IssueFields::default()
    });
    let genuine = host.jira().deliveries().pop().unwrap();
    assert!(genuine.header("X-Hub-Signature").is_some());
    let mut forged = genuine.body.clone();
    forged.extend_from_slice(b" ");
    let (status, body) = host.post_webhook(JI, &genuine.headers, forged).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
    let unsigned: Vec<(String, String)> = genuine
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("X-Hub-Signature"))
        .cloned()
        .collect();
    let (status, _) = host.post_webhook(JI, &unsigned, genuine.body.clone()).await;
    assert_eq!(status, 401);
    assert_eq!(host.inbox_depth().await, 0, "nothing was stored");
    assert!(host.elder_issues().await.is_empty());

    let (status, body) = host
        .post_webhook(JI, &genuine.headers, genuine.body.clone())
        .await;
    assert_eq!(status, 202, "{body}");
    host.eventually("the genuine delivery is applied", || async {
        host.elder_issue(JI, &key(1))
            .await
            .is_some_and(|i| i.title == "Hooked")
    })
    .await;
    // Jira's retry carries the same identifier: a no-op.
    let retry = host.jira().redeliver(host.jira().deliveries().len() - 1);
    let (status, _) = host.post_webhook(JI, &retry.headers, retry.body).await;
    assert_eq!(status, 200, "a retry is a duplicate");
    assert_eq!(host.elder_issues().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rich_text_elder_did_not_edit_is_not_rewritten() {
    rich_text_kept(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rich_text_elder_did_not_edit_is_not_rewritten_on_postgresql() {
    rich_text_kept(TestEngine::Postgres).await;
}

/// A description with what Markdown cannot hold (a panel, a mention, a status lozenge).
fn rich_description() -> Value {
    json!({"type": "doc", "version": 1, "content": [
        {"type": "panel", "attrs": {"panelType": "warning"}, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Only on staging"}]}
        ]},
        {"type": "paragraph", "content": [
            {"type": "text", "text": "Ask "},
            {"type": "mention", "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5", "text": "@Ann Lee"}},
            {"type": "text", "text": " before "},
            {"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}}
        ]}
    ]})
}

/// Jira keeps its rich text while Elder edits other fields (one write each, the ADF
/// untouched); only an Elder edit of the description itself rewrites it, from Markdown.
async fn rich_text_kept(db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        webhooks: false,
        ..PlatformOptions::one(JI)
    })
    .await;
    host.jira().create_issue(IssueFields {
        summary: Some("Rich".into()),
        description: Some(rich_description()),
        issuetype: Some("Task".into()),
        ..IssueFields::default()
    });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    host.backfill_clean(JI).await;
    host.connect_webhooks().await;
    let elder = host.elder_issue(JI, &key(1)).await.unwrap();
    assert!(
        elder.description.contains("Only on staging") && elder.description.contains("IN REVIEW"),
        "{}",
        elder.description
    );
    host.settle(3).await;
    let jira = host.jira().base_url();
    let before = host.tap.writes_to(&jira).len();

    // Elder renames it and adds a label: one write, the description left alone.
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            title: Some("Rich, renamed in Elder".into()),
            labels: Some(vec!["urgent".into()]),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("the Elder edit reaches Jira", || async {
        host.jira()
            .issue(&key(1))
            .is_some_and(|i| i.summary == "Rich, renamed in Elder")
    })
    .await;
    host.settle(3).await;
    let issue = host.jira().issue(&key(1)).unwrap();
    assert_eq!(issue.labels, vec!["urgent".to_string()]);
    assert_eq!(issue.description, Some(rich_description()), "rewritten");
    let writes = host.tap.writes_to(&jira);
    assert_eq!(writes.len(), before + 1, "{writes:#?}");

    // Elder edits the description itself: Jira gets it, from Markdown.
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            description: Some("Checked on staging.".into()),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("the Elder description reaches Jira", || async {
        host.jira()
            .issue(&key(1))
            .is_some_and(|i| i.description == Some(adf("Checked on staging.")))
    })
    .await;
}
