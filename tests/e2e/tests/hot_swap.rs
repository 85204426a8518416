//! Hot swap under load: the GitHub connector is swapped while the engine keeps syncing
//! both ways (webhooks in, outbox out, polls), then refused builds, then a disable/enable
//! round trip. The plugin host installs into the engine's own registry.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use elder_sync_e2e::connector_component;
use elder_sync_e2e::sync_harness::{HostOptions, SyncHost, WEBHOOK_SECRET};
use elder_sync_engine::poll::poll_config;
use elder_sync_model::Kind;
use elder_sync_plugins::testing::with_build_tag;
use elder_sync_plugins::{
    InstallOutcome, Manifest, Origin, PluginHost, PluginSettings, PluginStats,
};
use elder_sync_runtime::{Runtime, RuntimeSettings};
use elder_sync_store::{HistoryFilter, OutboxStatus, PageRequest, ResourcePatch, SyncMethod};
use platform_simulators::github::{IssueEdit, SeedIssue};

fn manifest() -> Manifest {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../connectors/github/plugin.toml"
    );
    Manifest::parse(&std::fs::read_to_string(path).expect("github plugin.toml")).unwrap()
}

/// A plugin host over the sync host's registry, with GitHub installed through it.
/// `shared_cache`: use the test binary's shared compiled-code cache (tests that do not
/// count compiles), instead of one of its own.
async fn plugins(host: &SyncHost, dirs: &tempfile::TempDir, shared_cache: bool) -> Arc<PluginHost> {
    let stats = PluginStats::wrapping(None);
    let runtime = Runtime::new(RuntimeSettings {
        allow_plain_http: true,
        allow_private_networks: true,
        observer: Some(stats.clone()),
        ..RuntimeSettings::default()
    })
    .expect("runtime");
    let mut settings = PluginSettings::new(dirs.path().join("plugins"), dirs.path());
    if shared_cache {
        settings.cache_dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache");
    }
    let plugins = PluginHost::new(runtime, host.engine.registry.clone(), stats, settings);
    install(
        &plugins,
        with_build_tag(&connector_component("github"), "base"),
    )
    .await
    .expect("install github");
    plugins
}

async fn install(
    plugins: &Arc<PluginHost>,
    bytes: Vec<u8>,
) -> Result<InstallOutcome, elder_sync_plugins::PluginError> {
    let p = plugins.clone();
    tokio::task::spawn_blocking(move || p.install(bytes, manifest(), Origin::Upload))
        .await
        .expect("install task")
}

fn seed(host: &SyncHost, n: usize) {
    for i in 0..n {
        host.github.seed_issue(SeedIssue {
            title: format!("Issue {i}"),
            body: Some(format!("Body {i}")),
            updated_at: Some(1_700_000_000 + i as i64),
            ..SeedIssue::default()
        });
    }
}

async fn backfill(host: &SyncHost) {
    let report = poll_config(&host.engine, host.config_id, "backfill", SyncMethod::Poll)
        .await
        .expect("backfill");
    assert_eq!(report.error, None, "{report:?}");
}

fn serving_hash(host: &SyncHost) -> String {
    host.engine
        .registry
        .slot("github")
        .unwrap()
        .current
        .source_hash()
        .to_string()
}

/// Renames on GitHub (issues 1-5) and in Elder (issues 6-10) and polls, round after
/// round, until told to stop; returns the last round.
async fn workload(host: &SyncHost, stop: &AtomicBool, rounds: &AtomicUsize) {
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) || round < 10 {
        let gh = (round % 5) as u64 + 1;
        host.github
            .user_edit_issue(
                gh,
                IssueEdit {
                    title: Some(format!("github round {round}")),
                    ..IssueEdit::default()
                },
            )
            .unwrap();
        let elder = host
            .elder_issue_for((round % 5) as u64 + 6)
            .await
            .expect("mapped");
        host.store
            .update_resource(
                Kind::Issue,
                elder.id,
                &ResourcePatch {
                    title: Some(format!("elder round {round}")),
                    ..ResourcePatch::default()
                },
            )
            .await
            .expect("elder edit");
        host.engine.outbox_notify.notify_one();
        if round % 3 == 0 {
            let report = poll_config(&host.engine, host.config_id, "poll", SyncMethod::Poll)
                .await
                .expect("poll during swaps");
            assert_eq!(report.error, None, "{report:?}");
            assert_eq!(report.tally.failed, 0, "{report:?}");
        }
        round += 1;
        rounds.store(round, Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn history(host: &SyncHost) -> Vec<elder_sync_store::HistoryEntry> {
    host.store
        .list_history(
            &HistoryFilter {
                config_id: Some(host.config_id),
                sync_type: None,
                ..HistoryFilter::default()
            },
            PageRequest {
                page: 1,
                per_page: 1000,
            },
        )
        .await
        .unwrap()
        .items
}

/// Both sides agree on every issue's title and no run is in flight.
async fn converged(host: &SyncHost) -> bool {
    if history(host).await.iter().any(|h| h.completed_at.is_none()) {
        return false;
    }
    let pending = host
        .store
        .list_outbox(Some(OutboxStatus::Pending), 10)
        .await
        .unwrap();
    if !pending.is_empty() {
        return false;
    }
    for issue in host.github.issues() {
        match host.elder_issue_for(issue.number).await {
            Some(e) if e.title == issue.title => {}
            _ => return false,
        }
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_swaps_under_load_lose_and_duplicate_nothing() {
    let host = SyncHost::start(HostOptions::default()).await;
    let dirs = tempfile::tempdir().unwrap();
    seed(&host, 10);
    backfill(&host).await;
    let plugins = plugins(&host, &dirs, false).await;
    // Two builds swapped in turn: the first two swaps compile, the rest come from the cache.
    let builds = [
        with_build_tag(&connector_component("github"), "a"),
        with_build_tag(&connector_component("github"), "b"),
    ];

    let stop = AtomicBool::new(false);
    let rounds = AtomicUsize::new(0);
    let swaps = async {
        let mut hashes = Vec::new();
        for i in 0..10 {
            // Swap only while work is flowing.
            while rounds.load(Ordering::Relaxed) <= i {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            match install(&plugins, builds[i % 2].clone())
                .await
                .expect("swap")
            {
                InstallOutcome::Installed(view) => hashes.push(view.source_hash),
                other => panic!("swap {i} did not install: {other:?}"),
            }
        }
        stop.store(true, Ordering::Relaxed);
        hashes
    };
    let (hashes, ()) = tokio::join!(swaps, workload(&host, &stop, &rounds));
    assert_eq!(hashes.len(), 10);
    assert_eq!(serving_hash(&host), hashes[9]);

    host.eventually("both sides converge", || converged(&host))
        .await;
    let last = rounds.load(Ordering::Relaxed) - 1;

    // No lost change: the last rename of each side is on both sides.
    for round in last.saturating_sub(4)..=last {
        let expected_gh = format!("github round {round}");
        let expected_elder = format!("elder round {round}");
        let n = (round % 5) as u64;
        assert_eq!(host.github.issue(n + 1).unwrap().title, expected_gh);
        assert_eq!(host.github.issue(n + 6).unwrap().title, expected_elder);
        assert_eq!(
            host.elder_issue_for(n + 1).await.unwrap().title,
            expected_gh
        );
        assert_eq!(
            host.elder_issue_for(n + 6).await.unwrap().title,
            expected_elder
        );
    }
    // No duplicate: one Elder issue per GitHub issue.
    assert_eq!(host.github.issues().len(), 10);
    assert_eq!(host.elder_issues().await.len(), 10);

    // Zero failed operations.
    host.eventually("every run has finished", || async {
        history(&host)
            .await
            .iter()
            .all(|h| h.completed_at.is_some())
    })
    .await;
    // (A late echo delivery may start a run right now; every finished run is judged.)
    let history: Vec<_> = history(&host)
        .await
        .into_iter()
        .filter(|h| h.completed_at.is_some())
        .collect();
    assert!(history.len() > 10, "webhook and poll runs were recorded");
    for h in &history {
        assert!(
            h.success && h.items_failed == 0,
            "failed run during swaps: {h:?}"
        );
    }
    assert!(
        host.store
            .list_outbox(Some(OutboxStatus::Error), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let view = plugins.view("github").unwrap();
    assert!(view.calls > 0, "{view:?}");
    assert_eq!(view.errors, 0, "{view:?}");
    let cache = plugins.cache_stats();
    assert_eq!(
        cache.compiles, 3,
        "base, a and b compile once each: {cache:?}"
    );
    assert!(cache.hits >= 8, "{cache:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_build_is_refused_and_syncing_goes_on() {
    let host = SyncHost::start(HostOptions::default()).await;
    let dirs = tempfile::tempdir().unwrap();
    seed(&host, 2);
    backfill(&host).await;
    let plugins = plugins(&host, &dirs, true).await;
    let before = serving_hash(&host);

    let mut truncated = connector_component("github");
    truncated.truncate(truncated.len() * 2 / 3);
    assert!(install(&plugins, truncated).await.is_err());
    let err = install(&plugins, b"\0asm\x01\0\0\0".to_vec())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("core WebAssembly module"), "{err}");
    let trello = connector_component("trello");
    let err = install(&plugins, trello).await.unwrap_err();
    assert!(
        err.to_string().contains("describe says \"trello\""),
        "{err}"
    );
    assert_eq!(serving_hash(&host), before);

    host.github
        .user_edit_issue(
            1,
            IssueEdit {
                title: Some("after the refused swaps".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    host.eventually("the edit still reaches Elder", || async {
        host.elder_issue_for(1)
            .await
            .is_some_and(|i| i.title == "after the refused swaps")
    })
    .await;
}

async fn post_delivery(host: &SyncHost, number: u64) -> (u16, serde_json::Value) {
    let delivery =
        host.github
            .build_delivery(WEBHOOK_SECRET, "issues", "edited", &number.to_string());
    let mut req = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/webhooks/{}",
            host.host.base_url(),
            host.config_id
        ))
        .body(delivery.body.clone());
    for (k, v) in &delivery.headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_connector_holds_its_work_keeps_mappings_and_resumes_when_enabled() {
    let host = SyncHost::start(HostOptions::default()).await;
    let dirs = tempfile::tempdir().unwrap();
    seed(&host, 3);
    backfill(&host).await;
    // The backfill's own outbox rows are handled first: under load they could still wait
    // when the connector is disabled, and be held with the edit below.
    host.outbox_drained().await;
    let plugins = plugins(&host, &dirs, true).await;
    let mapped_before: Vec<i64> = mapped_ids(&host).await;

    let p = plugins.clone();
    let view = tokio::task::spawn_blocking(move || p.set_enabled("github", false))
        .await
        .unwrap()
        .unwrap();
    assert!(!view.enabled);
    // Issue 13: a verified delivery is accepted and held (a 4xx makes GitLab drop the hook).
    let (status, body) = post_delivery(&host, 1).await;
    assert_eq!(status, 202, "{body}");
    host.github
        .user_edit_issue(
            2,
            IssueEdit {
                title: Some("back on".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    host.edit_elder(
        3,
        ResourcePatch {
            title: Some("edited in Elder while disabled".into()),
            ..ResourcePatch::default()
        },
    )
    .await;
    assert!(
        poll_config(&host.engine, host.config_id, "poll", SyncMethod::Poll)
            .await
            .is_err()
    );
    // Nothing is attempted while it is disabled, so nothing is parked because time passed.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_ne!(host.elder_issue_for(2).await.unwrap().title, "back on");
    assert_ne!(
        host.github.issue(3).unwrap().title,
        "edited in Elder while disabled"
    );
    // A dispatcher tick may hold the row right now: a claim counts an attempt and the hold
    // gives it back (`hold_work`), so read it between ticks. After 3 s of ticks an attempt
    // that was used up would show.
    let edited = host.elder_issue_for(3).await.unwrap().id;
    host.eventually(
        "the Elder edit waits, having used up no attempts",
        || async {
            let pending = host
                .store
                .list_outbox(Some(OutboxStatus::Pending), 10)
                .await
                .unwrap();
            pending.len() == 1 && pending[0].resource_id == edited && pending[0].attempts == 0
        },
    )
    .await;
    assert!(
        host.store
            .list_outbox(Some(OutboxStatus::Error), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        elder_sync_store::inbox_depth(&host.store).await.unwrap(),
        2,
        "both deliveries wait"
    );
    assert_eq!(mapped_ids(&host).await, mapped_before, "mappings untouched");

    let p = plugins.clone();
    tokio::task::spawn_blocking(move || p.set_enabled("github", true))
        .await
        .unwrap()
        .unwrap();
    host.eventually("the held edit reaches Elder once enabled", || async {
        host.elder_issue_for(2)
            .await
            .is_some_and(|i| i.title == "back on")
    })
    .await;
    host.eventually(
        "the held Elder edit reaches GitHub once enabled",
        || async {
            host.github
                .issue(3)
                .is_some_and(|i| i.title == "edited in Elder while disabled")
        },
    )
    .await;
    assert_eq!(mapped_ids(&host).await, mapped_before);
}

/// Elder ids mapped to GitHub issues 1..=3.
async fn mapped_ids(host: &SyncHost) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(host.elder_issue_for(n).await.expect("mapped").id);
    }
    ids
}
