//! The sync engine end to end with GitLab: the GitLab component in the runtime against the
//! GitLab simulator, webhooks (`X-Gitlab-Token` + Standard Webhooks) delivered over HTTP.

use elder_sync_e2e::platform_harness::{GITLAB_SECRET, Platform, PlatformHost, PlatformOptions};
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{ResourcePatch, ResourceStatus};
use platform_simulators::gitlab::{HookConfig, IssueEdit};

const GL: Platform = Platform::Gitlab;

/// A host whose backfill of `n` GitLab issues ran in pages of `page`; webhooks connected after.
async fn backfilled(n: usize, page: i64) -> PlatformHost {
    backfilled_on(TestEngine::Sqlite, n, page).await
}

async fn backfilled_on(db: TestEngine, n: usize, page: i64) -> PlatformHost {
    let host = PlatformHost::start(PlatformOptions {
        db,
        webhooks: false,
        batch_size: page,
        ..PlatformOptions::one(GL)
    })
    .await;
    for i in 1..=n {
        host.gitlab().create_issue(
            &format!("GitLab issue {i}"),
            IssueEdit {
                description: Some(format!("Body of issue {i}")),
                labels: Some(vec!["backend".into()]),
                ..IssueEdit::default()
            },
        );
    }
    host.backfill_clean(GL).await;
    host.connect_webhooks().await;
    host
}

/// Sleeps until the wall clock is past the second holding `ms`.
async fn wait_for_next_second(ms: i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let next = (ms / 1000 + 1) * 1000;
    if now < next {
        tokio::time::sleep(std::time::Duration::from_millis((next - now + 5) as u64)).await;
    }
}

fn issue_pages(host: &PlatformHost) -> usize {
    host.tap
        .sent()
        .iter()
        .filter(|r| r.method == "GET" && r.url.contains("/issues?"))
        .count()
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
    let host = backfilled_on(db, 25, 10).await;
    let issues = host.elder_issues().await;
    assert_eq!(issues.len(), 25);
    assert!(issue_pages(&host) >= 3, "25 issues in pages of 10");
    assert!(
        issues
            .iter()
            .all(|i| i.labels == vec!["backend".to_string()])
    );
    let first = host.elder_issue(GL, "1").await.unwrap();
    assert_eq!(first.title, "GitLab issue 1");
    assert_eq!(first.description, "Body of issue 1");

    // GitLab -> Elder by signed webhook.
    host.gitlab().update_issue(
        3,
        IssueEdit {
            title: Some("Renamed on GitLab".into()),
            ..IssueEdit::default()
        },
    );
    host.eventually("the GitLab rename reaches Elder", || async {
        host.elder_issue(GL, "3")
            .await
            .is_some_and(|i| i.title == "Renamed on GitLab")
    })
    .await;

    // Elder -> GitLab through the outbox, exactly one write, and the echo changes nothing.
    host.settle(3).await;
    let writes_before = host.tap.writes_to(&host.gitlab().base_url()).len();
    let elder = host.elder_issue(GL, "5").await.unwrap();
    let edited = host
        .edit_in_elder(
            elder.id,
            ResourcePatch {
                title: Some("Renamed in Elder".into()),
                ..ResourcePatch::default()
            },
        )
        .await;
    host.eventually("the Elder rename reaches GitLab", || async {
        host.gitlab()
            .issue(5)
            .is_some_and(|i| i.title == "Renamed in Elder")
    })
    .await;
    host.eventually("GitLab's hook for our own write was sent", || async {
        host.gitlab()
            .deliveries()
            .iter()
            .any(|d| d.json()["object_attributes"]["title"] == "Renamed in Elder")
    })
    .await;
    host.settle(5).await;
    let after = host.elder_issue(GL, "5").await.unwrap();
    assert_eq!(after.title, "Renamed in Elder");
    assert_eq!(after.version, edited.version, "the echo was applied again");
    let writes = host.tap.writes_to(&host.gitlab().base_url());
    assert_eq!(
        writes.len() - writes_before,
        1,
        "one write for one edit: {writes:?}"
    );
    assert_eq!(host.elder_issues().await.len(), 25, "no twin in Elder");
    assert!(host.gitlab().issue(26).is_none(), "no twin in GitLab");
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_timestamp_formats_are_read() {
    let host = backfilled(2, 100).await;
    // The REST API's `2016-01-04T15:31:51.081Z`, to the millisecond.
    let listed = host.mapping(GL, "1").await.unwrap();
    let api_time = host.gitlab().issue(1).unwrap().updated_at;
    assert_eq!(listed.external_updated_at, Some(api_time));

    // The hook's `2017-09-15 16:50:55 UTC`, to the second. The engine re-reads an event
    // that is not newer than what it has, so edit in a later second than the listing.
    wait_for_next_second(api_time.timestamp_millis()).await;
    host.gitlab().update_issue(
        1,
        IssueEdit {
            description: Some("Edited for the hook".into()),
            ..IssueEdit::default()
        },
    );
    host.eventually("the hook is applied", || async {
        host.elder_issue(GL, "1")
            .await
            .is_some_and(|i| i.description == "Edited for the hook")
    })
    .await;
    let hooked = host.mapping(GL, "1").await.unwrap();
    let hook_time = host.gitlab().issue(1).unwrap().updated_at;
    let seen = hooked
        .external_updated_at
        .expect("updated-at from the hook")
        .timestamp_millis();
    let hook_ms = hook_time.timestamp_millis();
    assert!(
        seen <= hook_ms && hook_ms - seen < 1000,
        "hook time {seen} vs {hook_ms}"
    );
    assert_eq!(seen % 1000, 0, "the hook format has whole seconds");
    assert!(
        seen > api_time.timestamp_millis(),
        "the hook's time was read, not kept from the listing"
    );
    let reads = host
        .tap
        .sent()
        .iter()
        .filter(|r| r.method == "GET" && r.url.ends_with("/issues/1"))
        .count();
    assert_eq!(reads, 0, "a newer hook is applied from its payload");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_and_reopening_on_either_side_reaches_the_other() {
    let host = backfilled(2, 100).await;
    host.gitlab().update_issue(
        1,
        IssueEdit {
            state_event: Some("close".into()),
            ..IssueEdit::default()
        },
    );
    host.eventually("GitLab's close reaches Elder", || async {
        host.elder_issue(GL, "1")
            .await
            .is_some_and(|i| i.status == ResourceStatus::Closed)
    })
    .await;
    host.gitlab().update_issue(
        1,
        IssueEdit {
            state_event: Some("reopen".into()),
            ..IssueEdit::default()
        },
    );
    host.eventually("GitLab's reopen reaches Elder", || async {
        host.elder_issue(GL, "1")
            .await
            .is_some_and(|i| i.status == ResourceStatus::Open)
    })
    .await;

    let elder = host.elder_issue(GL, "2").await.unwrap();
    let close = ResourcePatch {
        status: Some(ResourceStatus::Closed),
        ..ResourcePatch::default()
    };
    host.edit_in_elder(elder.id, close).await;
    host.eventually("Elder's close reaches GitLab", || async {
        host.gitlab().issue(2).is_some_and(|i| i.state == "closed")
    })
    .await;
    host.settle(3).await;
    let reopen = ResourcePatch {
        status: Some(ResourceStatus::Open),
        ..ResourcePatch::default()
    };
    host.edit_in_elder(elder.id, reopen).await;
    host.eventually("Elder's reopen reaches GitLab", || async {
        host.gitlab().issue(2).is_some_and(|i| i.state == "opened")
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        host.elder_issue(GL, "2").await.unwrap().status,
        ResourceStatus::Open
    );
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_is_refused_and_nothing_is_stored() {
    let host = PlatformHost::start(PlatformOptions {
        webhooks: false,
        ..PlatformOptions::one(GL)
    })
    .await;
    host.gitlab().set_webhook(HookConfig {
        url: None,
        secret_token: Some(GITLAB_SECRET.into()),
        signing_token: Some(GITLAB_SECRET.into()),
    });
    host.gitlab().create_issue("Hooked", IssueEdit::default());
    let genuine = host.gitlab().deliveries().pop().unwrap();
    assert!(genuine.header("webhook-signature").is_some());

    // A changed body: the Standard Webhooks signature no longer matches.
    let mut forged = genuine.json();
    forged["object_attributes"]["title"] = "Forged".into();
    let without_token: Vec<(String, String)> = genuine
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("X-Gitlab-Token"))
        .cloned()
        .collect();
    let (status, body) = host
        .post_webhook(GL, &without_token, serde_json::to_vec(&forged).unwrap())
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");

    // A wrong `X-Gitlab-Token` and no signature.
    let wrong_token: Vec<(String, String)> = genuine
        .headers
        .iter()
        .filter(|(k, _)| !k.to_ascii_lowercase().starts_with("webhook-"))
        .map(|(k, v)| match k.eq_ignore_ascii_case("X-Gitlab-Token") {
            true => (k.clone(), "not-the-token".to_string()),
            false => (k.clone(), v.clone()),
        })
        .collect();
    let (status, _) = host
        .post_webhook(GL, &wrong_token, genuine.body.clone())
        .await;
    assert_eq!(status, 401);
    assert_eq!(host.inbox_depth().await, 0, "nothing was stored");
    assert!(host.elder_issues().await.is_empty());

    // Either scheme alone suffices: the secret token only...
    let (status, body) = host
        .post_webhook(GL, &with_right_token(&wrong_token), genuine.body.clone())
        .await;
    assert_eq!(status, 202, "{body}");
    // ...or the Standard Webhooks signature only (another delivery).
    host.gitlab()
        .create_issue("Hooked again", IssueEdit::default());
    let second = host.gitlab().deliveries().pop().unwrap();
    let signature_only: Vec<(String, String)> = second
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("X-Gitlab-Token"))
        .cloned()
        .collect();
    let (status, body) = host
        .post_webhook(GL, &signature_only, second.body.clone())
        .await;
    assert_eq!(status, 202, "{body}");
    host.eventually("both genuine deliveries are applied", || async {
        let first = host.elder_issue(GL, "1").await;
        let second = host.elder_issue(GL, "2").await;
        first.is_some_and(|i| i.title == "Hooked")
            && second.is_some_and(|i| i.title == "Hooked again")
    })
    .await;
    // A redelivery (same `Idempotency-Key`) is a no-op.
    let (status, _) = host
        .post_webhook(GL, &genuine.headers, genuine.body.clone())
        .await;
    assert_eq!(status, 200);
    assert_eq!(host.elder_issues().await.len(), 2);
}

/// The headers with the right `X-Gitlab-Token` again.
fn with_right_token(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| match k.eq_ignore_ascii_case("X-Gitlab-Token") {
            true => (k.clone(), GITLAB_SECRET.to_string()),
            false => (k.clone(), v.clone()),
        })
        .collect()
}
