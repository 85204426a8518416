//! Benchmark (issue 17): the scheduler with 100, 500 and 1,000 sync configs, on SQLite and
//! PostgreSQL, each size in a fresh child process (this binary, re-executed) so that its
//! resident memory is its own.
//!
//! Per size: a host with the GitHub component loaded (`engine_over`) and N GitHub configs
//! that have all synced just now (webhooks on and healthy: nothing is due, the steady state
//! of a fleet), then `ELDER_BENCH_TICKS` (default 50) scheduler ticks (`run_due`: list the
//! configs, read each one's webhook health, decide what is due). Prints the process's RSS
//! before the configs exist and with them, the median tick, and both per config, side by side
//! for the three sizes so that linearity shows.
//!
//! `cargo bench -p elder-sync-e2e --bench scheduler` (components built first with
//! `scripts/build-wasm.sh`). `ELDER_BENCH_SKIP_POSTGRES=1` measures SQLite only.

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use elder_sync_e2e::sync_harness::engine_over;
use elder_sync_engine::scheduler::{BatchSettings, run_due};
use elder_sync_model::Kind;
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{NewResource, NewSyncConfig, Store};
use serde_json::json;

/// Set in a child: the engine (`Sqlite` or `Postgres`) and number of configs it measures.
const CHILD: &str = "ELDER_BENCH_SCHEDULER_CHILD";

const SIZES: [usize; 3] = [100, 500, 1_000];

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        let (engine, n) = spec.split_once(':').expect("engine:n");
        let engine = match engine {
            "Postgres" => TestEngine::Postgres,
            _ => TestEngine::Sqlite,
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(child(engine, n.parse().expect("config count")));
        return;
    }
    let mut engines = vec!["Sqlite"];
    if std::env::var_os("ELDER_BENCH_SKIP_POSTGRES").is_none() {
        engines.push("Postgres");
    }
    for engine in engines {
        for n in SIZES {
            let status = Command::new(std::env::current_exe().expect("own path"))
                .env(CHILD, format!("{engine}:{n}"))
                .status()
                .expect("bench child");
            assert!(status.success(), "{engine} with {n} configs failed");
        }
    }
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

async fn child(db: TestEngine, n: usize) {
    let name = format!("{db:?}");
    let db = TestDb::new(db).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .expect("open store");
    let engine = engine_over(store.clone());
    let batch = BatchSettings {
        enabled: true,
        interval: Duration::from_secs(3600),
    };
    let running: Arc<Mutex<HashSet<i64>>> = Arc::default();
    // One tick with no configs: everything the process needs is loaded and warm.
    run_due(&engine, batch, &running).await;
    let before = rss_mib();
    let project = store
        .create_resource(
            Kind::Project,
            &NewResource {
                title: "Fleet".into(),
                ..NewResource::default()
            },
        )
        .await
        .expect("project");
    for i in 0..n {
        let c = store
            .create_config(&config_body(i, project.id))
            .await
            .expect("sync config");
        store
            .mark_config_synced(c.id, chrono::Utc::now(), false)
            .await
            .expect("synced");
    }
    let ticks = std::env::var("ELDER_BENCH_TICKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50usize);
    let mut times = Vec::with_capacity(ticks);
    for _ in 0..ticks {
        let start = Instant::now();
        run_due(&engine, batch, &running).await;
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let with = rss_mib();
    assert!(
        running.lock().expect("set").is_empty(),
        "nothing was due: no poll started"
    );
    println!(
        "{name:<9} {n:>5} configs  RSS {before:>6.1} MiB without, {with:>6.1} MiB with ({:>6.1} KiB per config)  tick median {:>8.2?} p90 {:>8.2?} ({:>6.1} µs per config)",
        (with - before) * 1024.0 / n as f64,
        median,
        times[times.len() * 9 / 10],
        median.as_secs_f64() * 1e6 / n as f64,
    );
}

fn config_body(i: usize, project_id: i64) -> NewSyncConfig {
    serde_json::from_value(json!({
        "name": format!("repo-{i}"),
        "platform": "github",
        "webhook_secret": "It's a Secret to Everybody",
        "elder_project_id": project_id,
        "config_json": {
            "owner": "octocat",
            "repo": format!("repo-{i}"),
            "base_url": "http://127.0.0.1:9",
            "api_token": format!("token-{i}"),
        },
    }))
    .expect("config body")
}
