//! Issue 17: several inbox workers never reorder one item's edits. Interleaved edits of
//! several GitHub issues are delivered in the order GitHub made them while the host's inbox
//! workers (several of them) are running; each Elder issue ends at its newest edit, every
//! edit was applied exactly once (one Elder write each: none lost, none applied twice or out
//! of order, which would leave a stale event that costs a read of GitHub and no write), and
//! nothing was written back to GitHub (no echo). On SQLite and PostgreSQL.

use std::time::Duration;

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost, WEBHOOK_SECRET};
use elder_sync_engine::poll::poll_config;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{HistoryFilter, PageRequest, SyncMethod};
use platform_simulators::github::{Delivery, HookConfig, IssueEdit, SeedIssue};

const ISSUES: u64 = 6;
const ROUNDS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interleaved_edits_through_concurrent_workers_end_at_the_newest_on_sqlite() {
    interleaved_edits(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interleaved_edits_through_concurrent_workers_end_at_the_newest_on_postgres() {
    interleaved_edits(TestEngine::Postgres).await;
}

fn title(number: u64, round: usize) -> String {
    format!("Issue {number}, edit {round}")
}

async fn interleaved_edits(db: TestEngine) {
    let host = SyncHost::start(HostOptions {
        db,
        ..HostOptions::default()
    })
    .await;
    assert!(
        host.engine.settings.inbox_workers > 1,
        "several inbox workers"
    );
    for i in 1..=ISSUES {
        host.github.seed_issue(SeedIssue {
            title: format!("Issue {i}"),
            body: Some(format!("Body of issue {i}")),
            ..SeedIssue::default()
        });
    }
    poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();
    let versions_before: Vec<i64> = {
        let mut v = Vec::new();
        for i in 1..=ISSUES {
            v.push(host.elder_issue_for(i).await.expect("backfilled").version);
        }
        v
    };
    // The deliveries are sent by the test, in the order GitHub made the edits.
    host.github.set_webhook(HookConfig {
        url: None,
        secret: WEBHOOK_SECRET.into(),
        hook_id: 1,
    });
    let mut deliveries: Vec<Delivery> = Vec::new();
    for round in 0..ROUNDS {
        for i in 1..=ISSUES {
            host.github.advance_clock(1);
            host.github
                .user_edit_issue(
                    i,
                    IssueEdit {
                        title: Some(title(i, round)),
                        body: Some(Some(format!("Body of issue {i} after edit {round}"))),
                        ..IssueEdit::default()
                    },
                )
                .unwrap();
            deliveries.push(host.github.build_delivery(
                WEBHOOK_SECRET,
                "issues",
                "edited",
                &i.to_string(),
            ));
        }
    }
    let requests_before = host.github.request_count();

    let url = format!(
        "{}/api/v1/webhooks/{}",
        host.host.base_url(),
        host.config_id
    );
    let client = reqwest::Client::new();
    for (n, d) in deliveries.iter().enumerate() {
        let mut req = client.post(&url).body(d.body.clone());
        for (k, v) in &d.headers {
            req = req.header(k, v);
        }
        let status = req.send().await.unwrap().status();
        assert_eq!(status, reqwest::StatusCode::ACCEPTED, "delivery {n}");
        if n % 7 == 6 {
            // Let the workers claim while later edits are still arriving.
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }

    let total = deliveries.len();
    host.eventually("every delivery is processed", || async {
        let history = webhook_history(&host).await;
        history.len() == total
            && history.iter().all(|h| h.completed_at.is_some())
            && elder_sync_store::inbox_depth(&host.store).await.unwrap() == 0
    })
    .await;
    for (i, before) in (1..=ISSUES).zip(versions_before) {
        let issue = host.elder_issue_for(i).await.unwrap();
        assert_eq!(
            issue.title,
            title(i, ROUNDS - 1),
            "issue {i} ends at its newest edit"
        );
        assert_eq!(
            issue.description,
            format!("Body of issue {i} after edit {}", ROUNDS - 1)
        );
        assert_eq!(
            issue.version - before,
            ROUNDS as i64,
            "issue {i}: one Elder write per edit, each applied once and in order"
        );
    }
    let history = webhook_history(&host).await;
    assert!(
        history.iter().all(|h| h.success && h.items_synced == 1),
        "every delivery applied one change: {history:?}"
    );
    assert_eq!(
        host.github.request_count(),
        requests_before,
        "no stale event had to read GitHub, and nothing was echoed back: {:?}",
        &host.github.requests()[requests_before..]
    );
    assert!(host.conflicts(None).await.is_empty(), "no conflicts");
}

async fn webhook_history(host: &SyncHost) -> Vec<elder_sync_store::HistoryEntry> {
    host.store
        .list_history(
            &HistoryFilter {
                sync_type: Some("webhook".into()),
                ..HistoryFilter::default()
            },
            PageRequest {
                page: 1,
                per_page: 100,
            },
        )
        .await
        .unwrap()
        .items
}

/// A config's gate kept in memory by one replica never outlives a change made by another:
/// after the secret is rotated through a second store handle (another replica), a delivery
/// signed with the old secret is refused by the first replica, and one signed with the new
/// secret is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_rotated_on_another_replica_is_honoured_at_the_next_delivery() {
    use elder_sync_engine::ingest::{IngestError, Ingested, ingest};
    const NEW_SECRET: &str = "a rotated webhook secret of reasonable length";
    let host = SyncHost::start(HostOptions {
        workers: false,
        ..HostOptions::default()
    })
    .await;
    let n = host.github.seed_issue(SeedIssue {
        title: "Rotate".into(),
        ..SeedIssue::default()
    });
    let first = host
        .github
        .build_delivery(WEBHOOK_SECRET, "issues", "opened", &n.to_string());
    let kept = ingest(&host.engine, host.config_id, &first.headers, &first.body).await;
    assert!(matches!(kept, Ok(Ingested::Accepted { .. })), "{kept:?}");

    let other = elder_sync_store::Store::open_with(
        &host.db.url,
        Some(elder_sync_store::testing::test_secret_key()),
    )
    .await
    .unwrap();
    other
        .update_config(
            host.config_id,
            &elder_sync_store::SyncConfigPatch {
                webhook_secret: Some(Some(serde_json::json!(NEW_SECRET))),
                ..elder_sync_store::SyncConfigPatch::default()
            },
        )
        .await
        .unwrap();

    host.github.advance_clock(1);
    let old = host
        .github
        .build_delivery(WEBHOOK_SECRET, "issues", "edited", &n.to_string());
    let refused = ingest(&host.engine, host.config_id, &old.headers, &old.body).await;
    assert!(
        matches!(refused, Err(IngestError::Unauthenticated(_))),
        "the old secret no longer verifies: {refused:?}"
    );
    let new = host
        .github
        .build_delivery(NEW_SECRET, "issues", "edited", &n.to_string());
    let accepted = ingest(&host.engine, host.config_id, &new.headers, &new.body).await;
    assert!(
        matches!(accepted, Ok(Ingested::Accepted { .. })),
        "{accepted:?}"
    );
    assert_eq!(elder_sync_store::inbox_depth(&host.store).await.unwrap(), 2);
}
