//! Issue 17, the first import (backfill) against the GitHub simulator, on SQLite and
//! PostgreSQL:
//! - while it runs, the config's `running` entry of the sync status says how many items are
//!   done, at what rate, and (the issues' change times spread over hours before the run)
//!   an estimated total and an ETA; once it finished, no entry;
//! - every issue is imported once, with its mapping and base, a page at a time;
//! - an issue Elder refuses (a title over 500 characters) fails alone: the rest of its page
//!   is imported, and the failure is named.

use std::time::Duration;

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost};
use elder_sync_engine::poll::poll_config;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{RunProgress, SyncMethod};
use platform_simulators::github::SeedIssue;

/// Issues seeded: five pages of 100 (the config's `batch_size`).
const ISSUES: usize = 450;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_import_reports_its_progress_on_sqlite() {
    reports_progress(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_import_reports_its_progress_on_postgres() {
    reports_progress(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_elder_refuses_fails_alone_on_sqlite() {
    refused_item_fails_alone(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_elder_refuses_fails_alone_on_postgres() {
    refused_item_fails_alone(TestEngine::Postgres).await;
}

async fn host(db: TestEngine) -> SyncHost {
    SyncHost::start(HostOptions {
        db,
        workers: false,
        ..HostOptions::default()
    })
    .await
}

/// Seeds `n` issues changed one minute apart, the last one a minute ago.
fn seed(host: &SyncHost, n: usize, title: impl Fn(usize) -> String) {
    let now = chrono::Utc::now().timestamp();
    for i in 0..n {
        host.github.seed_issue(SeedIssue {
            title: title(i),
            body: Some(format!("Body of issue {i}")),
            labels: vec!["bug".into()],
            updated_at: Some(now - 60 * (n - i) as i64),
            ..SeedIssue::default()
        });
    }
}

async fn running(host: &SyncHost) -> Option<RunProgress> {
    let overview = host.store.sync_overview().await.expect("sync overview");
    overview
        .configs
        .into_iter()
        .find(|c| c.id == host.config_id)
        .and_then(|c| c.running)
}

async fn reports_progress(db: TestEngine) {
    let host = host(db).await;
    seed(&host, ISSUES, |i| format!("Issue {i}"));
    // Each page answers after 300 ms: the run's progress can be read between pages.
    host.github.delay_list_answers(Duration::from_millis(300));
    let engine = host.engine.clone();
    let config_id = host.config_id;
    let run =
        tokio::spawn(
            async move { poll_config(&engine, config_id, "backfill", SyncMethod::Poll).await },
        );
    let mut seen: Vec<RunProgress> = Vec::new();
    while !run.is_finished() {
        if let Some(p) = running(&host).await {
            seen.push(p);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let report = run.await.expect("run task").expect("backfill");
    assert_eq!(report.error, None, "{report:?}");

    assert!(!seen.is_empty(), "the running backfill was never reported");
    assert!(seen.iter().all(|p| p.sync_type == "backfill"), "{seen:?}");
    assert!(
        seen.iter().all(|p| p.history_id == report.history_id),
        "the entry is the run's own history row: {seen:?}"
    );
    assert!(
        seen.windows(2).all(|w| w[0].items_done <= w[1].items_done),
        "items done never go back: {seen:?}"
    );
    let mid = seen
        .iter()
        .find(|p| p.items_done >= 200 && p.items_done < ISSUES as i64)
        .unwrap_or_else(|| panic!("no report mid-run: {seen:?}"));
    assert!(mid.items_per_second > 0.0, "{mid:?}");
    let total = mid.estimated_total.expect("an estimated total mid-run");
    assert!(
        (ISSUES as i64 * 8 / 10..=ISSUES as i64 * 12 / 10).contains(&total),
        "estimated total {total} for {ISSUES} issues: {mid:?}"
    );
    let eta = mid.eta_secs.expect("an ETA once the total is estimated");
    assert!((0..60).contains(&eta), "{mid:?}");

    assert!(
        running(&host).await.is_none(),
        "a finished run is not running"
    );
    let issues = host.elder_issues().await;
    assert_eq!(issues.len(), ISSUES, "every issue imported once");
    for number in [1, ISSUES as u64 / 2, ISSUES as u64] {
        let m = host.mapping_for(number).await.expect("mapping");
        let base = m.base_snapshot.expect("a base");
        assert_eq!(base["external_id"], number.to_string());
        assert_eq!(base["title"], format!("Issue {}", number - 1));
    }
    let again = host.poll("poll").await;
    assert_eq!(
        (again.tally.synced, again.tally.failed),
        (0, 0),
        "a second run finds nothing new: {again:?}"
    );
    assert_eq!(host.elder_issues().await.len(), ISSUES);
}

async fn refused_item_fails_alone(db: TestEngine) {
    let host = host(db).await;
    // Issue #42 has a title Elder refuses (over 500 characters).
    seed(&host, 150, |i| {
        if i == 41 {
            "x".repeat(501)
        } else {
            format!("Issue {i}")
        }
    });
    let report = host.poll("backfill").await;
    assert_eq!(report.tally.failed, 1, "{report:?}");
    assert_eq!(report.tally.failures[0].external_id, "42", "{report:?}");
    assert_eq!(host.elder_issues().await.len(), 149, "the rest is imported");
    assert!(host.mapping_for(42).await.is_none());
    assert!(host.mapping_for(41).await.is_some());
    assert!(host.mapping_for(43).await.is_some());
}
