//! The sync engine end to end: the GitHub component in the runtime, against the GitHub
//! simulator, with webhooks delivered over HTTP to the host's webhook route.

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost, WEBHOOK_SECRET};
use elder_sync_engine::ingest::{Ingested, ingest};
use elder_sync_engine::poll::poll_config;
use elder_sync_engine::{dispatch, ingest as ingest_mod};
use elder_sync_model::Kind;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{PageRequest, ResourcePatch, ResourceStatus, SyncMethod};
use platform_simulators::github::{IssueEdit, RateLimitKind, SeedIssue};

fn seed(host: &SyncHost, n: usize) {
    for i in 0..n {
        host.github.seed_issue(SeedIssue {
            title: format!("Issue {i}"),
            body: Some(format!("Body of issue {i}")),
            labels: vec!["bug".into()],
            updated_at: Some(1_700_000_000 + i as i64),
            ..SeedIssue::default()
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_of_1000_issues_creates_each_once_and_a_second_run_changes_nothing() {
    let host = SyncHost::start(HostOptions::default()).await;
    seed(&host, 1000);
    host.github.seed_issue(SeedIssue {
        title: "a PR".into(),
        pull_request: true,
        ..SeedIssue::default()
    });

    let report = poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();
    assert_eq!(report.error, None, "{report:?}");
    // 1000 issues plus the one label they share.
    assert_eq!(report.tally.synced, 1001, "{report:?}");
    assert_eq!(report.tally.failed, 0, "{report:?}");
    let issues = host.elder_issues().await;
    assert_eq!(issues.len(), 1000, "pull requests are not issues");
    assert!(issues.iter().all(|i| i.labels == vec!["bug".to_string()]));

    let again = poll_config(&host.engine, host.config_id, "poll", SyncMethod::Poll)
        .await
        .unwrap();
    assert_eq!(again.tally.synced, 0, "nothing changed: {again:?}");
    assert_eq!(host.elder_issues().await.len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_edits_arrive_by_webhook_and_elder_edits_reach_github_without_echo() {
    let host = SyncHost::start(HostOptions::default()).await;
    seed(&host, 3);
    poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();

    // GitHub -> Elder, by webhook.
    host.github
        .user_edit_issue(
            1,
            IssueEdit {
                title: Some("Renamed on GitHub".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    host.eventually("the rename reaches Elder", || async {
        host.elder_issue_for(1)
            .await
            .is_some_and(|i| i.title == "Renamed on GitHub")
    })
    .await;

    // Elder -> GitHub, through the outbox.
    let elder = host.elder_issue_for(2).await.unwrap();
    host.store
        .update_resource(
            Kind::Issue,
            elder.id,
            &ResourcePatch {
                title: Some("Renamed in Elder".into()),
                ..ResourcePatch::default()
            },
        )
        .await
        .unwrap();
    host.eventually("the rename reaches GitHub", || async {
        host.github
            .issue(2)
            .is_some_and(|i| i.title == "Renamed in Elder")
    })
    .await;
    // GitHub sends a webhook for our own write; it must change nothing in Elder.
    host.eventually("GitHub's webhook for our write was delivered", || async {
        host.github
            .deliveries()
            .iter()
            .any(|d| d.body.windows(16).any(|w| w == b"Renamed in Elder") && d.status.is_some())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let after = host.elder_issue_for(2).await.unwrap();
    assert_eq!(after.title, "Renamed in Elder");
    assert_eq!(
        after.version,
        elder.version + 1,
        "the echo of our own write was applied again"
    );
    assert_eq!(host.elder_issues().await.len(), 3, "no twin was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_on_either_side_closes_the_other() {
    let host = SyncHost::start(HostOptions::default()).await;
    seed(&host, 2);
    poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();

    host.github
        .user_edit_issue(
            1,
            IssueEdit {
                state: Some("closed".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    host.eventually("GitHub's close reaches Elder", || async {
        host.elder_issue_for(1)
            .await
            .is_some_and(|i| i.status == ResourceStatus::Closed)
    })
    .await;

    let elder = host.elder_issue_for(2).await.unwrap();
    host.store
        .update_resource(
            Kind::Issue,
            elder.id,
            &ResourcePatch {
                status: Some(ResourceStatus::Closed),
                ..ResourcePatch::default()
            },
        )
        .await
        .unwrap();
    host.eventually("Elder's close reaches GitHub", || async {
        host.github.issue(2).is_some_and(|i| i.state == "closed")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_deliveries_are_no_ops_and_bad_signatures_are_refused() {
    let host = SyncHost::start(HostOptions {
        workers: false,
        ..HostOptions::default()
    })
    .await;
    seed(&host, 1);
    poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();
    let delivery = host
        .github
        .build_delivery(WEBHOOK_SECRET, "issues", "edited", "1");

    let first = ingest(
        &host.engine,
        host.config_id,
        &delivery.headers,
        &delivery.body,
    )
    .await
    .unwrap();
    assert!(matches!(first, Ingested::Accepted { .. }));
    let second = ingest(
        &host.engine,
        host.config_id,
        &delivery.headers,
        &delivery.body,
    )
    .await
    .unwrap();
    assert!(matches!(second, Ingested::Duplicate { .. }));

    let mut tampered = delivery.body.clone();
    tampered.push(b' ');
    let refused = ingest(&host.engine, host.config_id, &delivery.headers, &tampered).await;
    assert!(
        matches!(
            refused,
            Err(ingest_mod::IngestError::Unauthenticated(
                elder_sync_engine::trust::Unverified::BadSignature(_)
            ))
        ),
        "{refused:?}"
    );

    // Over HTTP: 401 with a JSON error, 202 for a fresh delivery, 200 for a redelivery.
    let client = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/webhooks/{}",
        host.host.base_url(),
        host.config_id
    );
    let post = |body: Vec<u8>, headers: &[(String, String)]| {
        let mut req = client.post(&url).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let resp = post(tampered, &delivery.headers).await.unwrap();
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let resp = post(delivery.body.clone(), &delivery.headers)
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "a redelivery is acknowledged as a duplicate"
    );
    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_stored_before_a_crash_is_applied_after_restart() {
    let host = SyncHost::start(HostOptions {
        workers: false,
        ..HostOptions::default()
    })
    .await;
    seed(&host, 1);
    poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();
    host.github
        .user_edit_issue(
            1,
            IssueEdit {
                title: Some("Edited before the crash".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    // The simulator delivered the webhook; the host stored it but nothing processed it.
    host.eventually("the delivery is acknowledged", || async {
        host.github
            .deliveries()
            .iter()
            .any(|d| d.status == Some(202))
    })
    .await;
    assert_ne!(
        host.elder_issue_for(1).await.unwrap().title,
        "Edited before the crash"
    );

    // "Restart": a new engine over the same database processes the inbox.
    let store = elder_sync_store::Store::open_with(
        &host.db.url,
        Some(elder_sync_store::testing::test_secret_key()),
    )
    .await
    .unwrap();
    let restarted = elder_sync_e2e::sync_harness::engine_over(store);
    let processed = ingest_mod::process_inbox_batch(&restarted, 10)
        .await
        .unwrap();
    assert_eq!(processed, 1);
    assert_eq!(
        host.elder_issue_for(1).await.unwrap().title,
        "Edited before the crash"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_backfill_resumes_from_its_cursor() {
    let host = SyncHost::start(HostOptions::default()).await;
    seed(&host, 250);
    // Let the first two pages through, then a primary rate limit that resets in an hour.
    host.github.rate_limit_next(
        0,
        RateLimitKind::Primary {
            reset_in_secs: 3600,
        },
    );
    let first = poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll);
    let limiter = async {
        // Two pages of issues (other kinds' listings are not counted).
        host.eventually("two pages were read", || async {
            host.github
                .requests()
                .iter()
                .filter(|r| r.uri.contains("/issues?"))
                .count()
                >= 2
        })
        .await;
        host.github.rate_limit_next(
            1,
            RateLimitKind::Primary {
                reset_in_secs: 3600,
            },
        );
    };
    let (report, ()) = tokio::join!(first, limiter);
    let report = report.unwrap();
    assert!(
        report.tally.interrupted.is_some(),
        "the run stops at a long rate limit: {report:?}"
    );
    let after_first = host.elder_issues().await.len();
    assert!((100..250).contains(&after_first), "got {after_first}");

    let issue_pages = |host: &SyncHost| {
        host.github
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.uri.contains("/issues?"))
            .count()
    };
    let requests_before = issue_pages(&host);
    let second = poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();
    assert_eq!(second.error, None);
    assert_eq!(host.elder_issues().await.len(), 250);
    let pages = issue_pages(&host) - requests_before;
    assert!(
        pages <= 2,
        "the second run resumed instead of restarting: {pages} requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_edits_under_manual_strategy_are_recorded_as_conflicts() {
    let host = SyncHost::start(HostOptions {
        strategy: "manual",
        workers: false,
        ..HostOptions::default()
    })
    .await;
    seed(&host, 1);
    poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();
    let elder = host.elder_issue_for(1).await.unwrap();
    host.store
        .update_resource(
            Kind::Issue,
            elder.id,
            &ResourcePatch {
                title: Some("Elder title".into()),
                ..ResourcePatch::default()
            },
        )
        .await
        .unwrap();
    host.github
        .user_edit_issue(
            1,
            IssueEdit {
                title: Some("GitHub title".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    let report = poll_config(&host.engine, host.config_id, "poll", SyncMethod::Poll)
        .await
        .unwrap();
    assert_eq!(report.tally.conflicts, 1, "{report:?}");
    let conflicts = host
        .store
        .list_conflicts(
            Some(false),
            PageRequest {
                page: 1,
                per_page: 100,
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        host.elder_issue_for(1).await.unwrap().title,
        "Elder title",
        "manual applies nothing"
    );
    assert_eq!(host.github.issue(1).unwrap().title, "GitHub title");
    // The outbox push for the Elder edit also meets the conflict and does not overwrite GitHub.
    let _ = dispatch::dispatch_batch(&host.engine, 10).await;
    assert_eq!(host.github.issue(1).unwrap().title, "GitHub title");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_runs_on_postgresql_too() {
    let host = SyncHost::start(HostOptions {
        db: TestEngine::Postgres,
        ..HostOptions::default()
    })
    .await;
    seed(&host, 120);
    let report = poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(host.elder_issues().await.len(), 120);
    host.github
        .user_edit_issue(
            7,
            IssueEdit {
                title: Some("Edited on GitHub".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    host.eventually("the webhook is applied on PostgreSQL", || async {
        host.elder_issue_for(7)
            .await
            .is_some_and(|i| i.title == "Edited on GitHub")
    })
    .await;
}
