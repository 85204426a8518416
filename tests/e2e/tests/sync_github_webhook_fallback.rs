//! Webhook health end to end: failing deliveries (authenticated but unprocessable; or
//! silence: changes only polling finds) switch a config to polling at its `sync_interval`, `/api/v1/sync/status` says so, and
//! once webhooks are healthy again (good deliveries and a poll that finds nothing they did
//! not announce) the config goes back to webhooks. Deliveries refused for a bad signature
//! are not a health signal (anyone can send them): they are counted and change nothing.

use std::time::Duration;

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost, WEBHOOK_SECRET};
use elder_sync_engine::scheduler::{BatchSettings, start_scheduler};
use elder_sync_store::{HistoryFilter, PageRequest, WebhookStatus};
use platform_simulators::github::{HookConfig, IssueEdit, sign};

async fn webhooks(host: &SyncHost) -> WebhookStatus {
    let overview = host.store.sync_overview().await.expect("sync overview");
    overview
        .configs
        .into_iter()
        .find(|c| c.id == host.config_id)
        .expect("config in the status")
        .webhooks
}

fn hook(host: &SyncHost, url: bool, secret: &str) -> HookConfig {
    HookConfig {
        url: url.then(|| {
            format!(
                "{}/api/v1/webhooks/{}",
                host.host.base_url(),
                host.config_id
            )
        }),
        secret: secret.into(),
        hook_id: 1,
    }
}

fn retitle(host: &SyncHost, number: u64, title: &str) {
    host.edit_github(
        number,
        IssueEdit {
            title: Some(title.into()),
            ..IssueEdit::default()
        },
    );
}

/// Posts a correctly signed delivery whose body the connector cannot parse.
async fn post_signed_garbage(host: &SyncHost, n: u32) {
    let body = format!("not a GitHub payload {n}").into_bytes();
    let url = format!(
        "{}/api/v1/webhooks/{}",
        host.host.base_url(),
        host.config_id
    );
    let resp = reqwest::Client::new()
        .post(url)
        .header("X-GitHub-Event", "issues")
        .header("X-GitHub-Delivery", format!("garbage-{n}"))
        .header("X-Hub-Signature-256", sign(WEBHOOK_SECRET, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202, "a signed delivery is accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_webhooks_switch_to_polling_and_healthy_ones_switch_back() {
    let host = SyncHost::start(HostOptions::default()).await;
    host.seed_issues(2);
    host.poll("backfill").await;
    let start = webhooks(&host).await;
    assert_eq!(
        (start.mode.as_str(), start.health.as_str()),
        ("webhook", "healthy")
    );

    // GitHub signs with a secret the host does not know: every delivery is refused, and
    // counted, but refusals do not make webhooks unhealthy.
    host.github
        .set_webhook(hook(&host, true, "rotated on GitHub only"));
    for i in 0..3 {
        retitle(&host, 1, &format!("Edit {i}"));
    }
    host.eventually("the forged deliveries are refused", || async {
        host.github
            .deliveries()
            .iter()
            .filter(|d| d.status == Some(401))
            .count()
            >= 3
    })
    .await;
    let refused = webhooks(&host).await;
    assert_eq!(
        (refused.mode.as_str(), refused.health.as_str()),
        ("webhook", "healthy"),
        "{refused:?}"
    );
    assert!(refused.rejected_deliveries >= 3, "{refused:?}");

    // Authenticated deliveries that cannot be processed are a health signal.
    for i in 0..3 {
        post_signed_garbage(&host, i).await;
    }
    host.eventually("webhooks are reported unhealthy", || async {
        webhooks(&host).await.health == "unhealthy"
    })
    .await;
    let sick = webhooks(&host).await;
    assert_eq!(sick.mode, "polling");
    assert!(sick.failed_deliveries >= 3, "{sick:?}");
    assert!(
        sick.reason
            .as_deref()
            .is_some_and(|r| r.contains("failed webhook deliveries")),
        "{sick:?}"
    );
    assert_eq!(
        host.elder_issue_for(1).await.unwrap().title,
        "Issue 0",
        "refused deliveries change nothing"
    );

    // The scheduler now polls the config at its sync_interval (its last sync is one
    // interval ago) and the edit arrives that way.
    let config = host.store.get_config(host.config_id).await.unwrap();
    let interval = Duration::from_secs(u64::try_from(config.sync_interval).unwrap() + 1);
    let due_at = config.last_sync_at.expect("backfilled") - interval;
    host.store
        .mark_config_synced(host.config_id, due_at, false)
        .await
        .unwrap();
    let batch = BatchSettings {
        enabled: false,
        interval: Duration::from_secs(3600),
    };
    let mut scheduler = start_scheduler(host.engine.clone(), batch, Duration::from_millis(200))
        .await
        .unwrap();
    host.eventually("the scheduled poll brings the edit", || async {
        host.elder_issue_for(1)
            .await
            .is_some_and(|i| i.title == "Edit 2")
    })
    .await;
    scheduler.shutdown().await.unwrap();
    let polls = host
        .store
        .list_history(
            &HistoryFilter {
                config_id: Some(host.config_id),
                sync_type: Some("poll".into()),
                ..HistoryFilter::default()
            },
            PageRequest {
                page: 1,
                per_page: 10,
            },
        )
        .await
        .unwrap();
    assert!(polls.total >= 1, "the scheduler ran a poll");

    // Webhooks are fixed: good deliveries arrive, then a poll finds nothing they missed.
    host.github.set_webhook(hook(&host, true, WEBHOOK_SECRET));
    retitle(&host, 2, "After the fix 1");
    retitle(&host, 2, "After the fix 2");
    host.eventually("fixed webhooks are applied", || async {
        host.elder_issue_for(2)
            .await
            .is_some_and(|i| i.title == "After the fix 2")
    })
    .await;
    host.eventually("both good deliveries are counted", || async {
        host.github
            .deliveries()
            .iter()
            .filter(|d| d.status == Some(202))
            .count()
            >= 2
    })
    .await;
    assert_eq!(
        webhooks(&host).await.mode,
        "polling",
        "webhooks are trusted again only after a poll confirms them"
    );
    host.eventually("the inbox is drained", || async {
        elder_sync_store::inbox_depth(&host.store).await.unwrap() == 0
    })
    .await;
    let confirm = host.poll("poll").await;
    assert_eq!(confirm.tally.synced, 0, "{confirm:?}");
    let healthy = webhooks(&host).await;
    assert_eq!(
        (healthy.mode.as_str(), healthy.health.as_str()),
        ("webhook", "healthy"),
        "{healthy:?}"
    );
    assert_eq!(healthy.consecutive_failures, 0);
    assert!(healthy.failed_deliveries >= 3, "the total is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_webhooks_switch_to_polling() {
    let host = SyncHost::start(HostOptions::default()).await;
    host.seed_issues(3);
    host.poll("backfill").await;
    // The platform stops calling: changes are only found by polling.
    host.github.set_webhook(hook(&host, false, WEBHOOK_SECRET));
    for n in 1..=3 {
        retitle(&host, n, &format!("Unannounced {n}"));
    }
    let report = host.poll("poll").await;
    assert_eq!(report.tally.synced, 3, "{report:?}");
    let status = webhooks(&host).await;
    assert_eq!(
        (status.mode.as_str(), status.health.as_str()),
        ("polling", "unhealthy")
    );
    assert!(
        status
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("no webhook announced")),
        "{status:?}"
    );
    assert_eq!(status.unannounced_changes, 3);
}
