//! Issue 13, rate limits and partial payloads, against the GitHub simulator on SQLite and
//! PostgreSQL:
//! - an Elder edit whose push meets GitHub's primary limit (403, `x-ratelimit-remaining: 0`,
//!   `x-ratelimit-reset`) waits for the reset without using up an attempt, then goes out;
//! - a poll that meets a long reset ends without failing and pauses the config's work: a
//!   delivery that arrives meanwhile is held, not attempted;
//! - GitHub's real `issues.pinned` payload (no `issue.state`, from
//!   `tests/fixtures/github-webhooks`) makes the host re-read the issue; that re-read meets
//!   a secondary limit with `retry-after` and is retried after it, never parked.

use std::time::Duration;

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost, WEBHOOK_SECRET};
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{DeadLetterFilter, OutboxStatus, PageRequest, ResourcePatch};
use platform_simulators::github::{RateLimitKind, sign};

const PINNED: &str = include_str!("../../fixtures/github-webhooks/issues.pinned.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_waits_for_the_reset_without_using_an_attempt_on_sqlite() {
    push_waits_for_the_reset(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_waits_for_the_reset_without_using_an_attempt_on_postgres() {
    push_waits_for_the_reset(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_reset_pauses_the_configs_work_on_sqlite() {
    long_reset_pauses_the_config(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_reset_pauses_the_configs_work_on_postgres() {
    long_reset_pauses_the_config(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_payload_is_re_read_after_a_secondary_limit_on_sqlite() {
    pinned_payload_is_re_read(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_payload_is_re_read_after_a_secondary_limit_on_postgres() {
    pinned_payload_is_re_read(TestEngine::Postgres).await;
}

async fn host(db: TestEngine) -> SyncHost {
    let host = SyncHost::start(HostOptions {
        db,
        ..HostOptions::default()
    })
    .await;
    host.seed_issues(2);
    let report = host.poll("backfill").await;
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(host.elder_issues().await.len(), 2);
    host
}

async fn push_waits_for_the_reset(db: TestEngine) {
    let host = host(db).await;
    host.github
        .rate_limit_next(1, RateLimitKind::Primary { reset_in_secs: 3 });
    host.edit_elder(
        1,
        ResourcePatch {
            title: Some("pushed after the reset".into()),
            ..ResourcePatch::default()
        },
    )
    .await;
    let config = host.store.get_config(host.config_id).await.unwrap();
    host.eventually("the config's work pauses until the reset", || async {
        host.engine
            .paused(&config)
            .is_some_and(|p| p.reason.contains("rate limited"))
    })
    .await;
    host.eventually("the push goes out after the reset", || async {
        host.github
            .issue(1)
            .is_some_and(|i| i.title == "pushed after the reset")
    })
    .await;
    let mut row = None;
    for _ in 0..100 {
        let done = host
            .store
            .list_outbox(Some(OutboxStatus::Done), 10)
            .await
            .unwrap();
        row = done
            .into_iter()
            .find(|r| r.snapshot["title"] == "pushed after the reset");
        if row.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let row = row.expect("the pushed row is done");
    assert_eq!(row.attempts, 1, "waiting for the reset used up no attempt");
    assert_no_dead_letters(&host).await;
}

async fn long_reset_pauses_the_config(db: TestEngine) {
    let host = host(db).await;
    host.github
        .rate_limit_next(1, RateLimitKind::Primary { reset_in_secs: 600 });
    let report = host.poll("poll").await;
    assert_eq!(
        report.error, None,
        "a rate limit is not a failure: {report:?}"
    );
    let why = report
        .tally
        .interrupted
        .clone()
        .expect("the run stopped early");
    assert!(why.contains("rate limited"), "{why}");
    let config = host.store.get_config(host.config_id).await.unwrap();
    assert!(host.engine.paused(&config).is_some(), "the config waits");

    let requests_before = host.github.requests().len();
    let delivery = host
        .github
        .build_delivery(WEBHOOK_SECRET, "issues", "edited", "2");
    let (status, _) = post(&host, &delivery.headers, delivery.body.clone()).await;
    assert_eq!(status, 202);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        elder_sync_store::inbox_depth(&host.store).await.unwrap(),
        1,
        "the delivery is held while the config waits"
    );
    assert_eq!(
        host.github.requests().len(),
        requests_before,
        "nothing is sent to GitHub before the reset"
    );
    assert_no_dead_letters(&host).await;
}

async fn pinned_payload_is_re_read(db: TestEngine) {
    let host = host(db).await;
    host.github.rate_limit_next(
        1,
        RateLimitKind::Secondary {
            retry_after_secs: Some(2),
        },
    );
    let body = PINNED.as_bytes().to_vec();
    let headers = vec![
        ("X-GitHub-Event".to_string(), "issues".to_string()),
        (
            "X-GitHub-Delivery".to_string(),
            "pinned-example-1".to_string(),
        ),
        (
            "X-Hub-Signature-256".to_string(),
            sign(WEBHOOK_SECRET, &body),
        ),
        ("Content-Type".to_string(), "application/json".to_string()),
    ];
    let (status, _) = post(&host, &headers, body).await;
    assert_eq!(status, 202);
    host.eventually("the pinned delivery is processed", || async {
        elder_sync_store::inbox_depth(&host.store)
            .await
            .is_ok_and(|n| n == 0)
    })
    .await;
    let reads = host
        .github
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.uri.ends_with("/issues/1"))
        .count();
    assert_eq!(reads, 2, "re-read once into the limit, once after it");
    assert_no_dead_letters(&host).await;
    let history = host
        .store
        .list_history(
            &elder_sync_store::HistoryFilter {
                config_id: Some(host.config_id),
                sync_type: Some("webhook".into()),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(
        history.items.iter().any(|h| h.success),
        "the delivery was applied: {history:?}"
    );
}

async fn assert_no_dead_letters(host: &SyncHost) {
    let dead = host
        .store
        .list_dead_letters(DeadLetterFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(dead.total, 0, "{:?}", dead.items);
}

async fn post(host: &SyncHost, headers: &[(String, String)], body: Vec<u8>) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/webhooks/{}",
            host.host.base_url(),
            host.config_id
        ))
        .body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}
