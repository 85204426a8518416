//! Benchmark (issue 17): the first import (backfill) of a large GitHub repository, on SQLite
//! and PostgreSQL.
//!
//! The GitHub simulator runs in a child process (this same binary, re-executed), seeded with
//! `ELDER_BENCH_ISSUES` issues (default 100,000; ~700 B bodies, two labels, an assignee, a
//! milestone, change times one second apart up to now). It pages like GitHub: at most 100 per
//! page, `Link` headers, `x-ratelimit-*` headers. The host side (store, wasm runtime with the
//! GitHub component, engine) is this process, so its resident memory is the host's own.
//!
//! Per engine, side by side in the same run:
//! 1. list only: every page read through the connector (wasm `list-changes`, real HTTP),
//!    nothing applied: the ceiling the platform and the connector set;
//! 2. backfill: `poll_config` as the scheduler runs it (`backfill`): every issue imported
//!    with its mapping, base and outbox row, cursor saved per page.
//!
//! Prints items/s of both, their ratio, and the peak resident memory of the process during
//! the backfill (sampled every 10 ms, and the kernel's high-water mark), then checks every
//! issue was imported exactly once.
//!
//! `cargo bench -p elder-sync-e2e --bench backfill` (components built first with
//! `scripts/build-wasm.sh`). `ELDER_BENCH_SKIP_POSTGRES=1` measures SQLite only.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use elder_sync_e2e::sync_harness::engine_over;
use elder_sync_engine::engine::connector_settings;
use elder_sync_engine::poll::poll_config;
use elder_sync_model::Kind;
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{
    NewResource, NewSyncConfig, PageRequest, ResourceFilter, Store, SyncMethod,
};
use platform_simulators::github::{GithubOptions, GithubSim, SeedIssue};
use serde_json::json;

/// Set in the child process: it runs the simulator instead of the benchmark.
const CHILD: &str = "ELDER_BENCH_GITHUB_SIM_CHILD";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if std::env::var_os(CHILD).is_some() {
        rt.block_on(sim_child(env_usize("ELDER_BENCH_ISSUES", 100_000)));
        return;
    }
    rt.block_on(bench());
}

/// The child: seeds the simulator, prints its URL and token, serves until stdin closes.
async fn sim_child(n: usize) {
    let sim = GithubSim::start(GithubOptions::default())
        .await
        .expect("github sim");
    let milestone = sim.seed_milestone("v1.0");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let para = "When saving a document with more than 2,000 rows the application freezes for \
                several seconds and then reports `ERR_SAVE_TIMEOUT`. Steps to reproduce: open \
                a large sheet, edit any cell, press Ctrl+S. Expected: saved within a second. ";
    for i in 0..n {
        sim.seed_issue(SeedIssue {
            title: format!("Saving large sheets freezes the app ({i})"),
            body: Some(format!(
                "### Issue {i}\n\n{}\n\n- [ ] fix\n",
                para.repeat(3)
            )),
            labels: vec!["bug".into(), format!("area-{}", i % 7)],
            assignees: vec!["octocat".into()],
            milestone: (i % 3 == 0).then_some(milestone),
            updated_at: Some(now - (n - i) as i64),
            ..SeedIssue::default()
        });
    }
    println!(
        "{}",
        json!({"base_url": sim.base_url(), "token": sim.token()})
    );
    std::io::stdout().flush().ok();
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        std::io::stdin().read_to_end(&mut sink).ok();
    })
    .await
    .ok();
}

/// The simulator child and where it listens.
struct Sim {
    child: Child,
    base_url: String,
    token: String,
}

impl Sim {
    fn spawn(n: usize) -> Sim {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .env(CHILD, "1")
            .env("ELDER_BENCH_ISSUES", n.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("simulator child");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("child stdout"))
            .read_line(&mut line)
            .expect("simulator address");
        let v: serde_json::Value = serde_json::from_str(&line).expect("simulator address JSON");
        Sim {
            child,
            base_url: v["base_url"].as_str().expect("base_url").into(),
            token: v["token"].as_str().expect("token").into(),
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Resident memory of this process in KiB (`VmRSS`, or `VmHWM` for the high-water mark).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Samples `VmRSS` every 10 ms and keeps the largest value since the last reset.
struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl RssSampler {
    fn start() -> RssSampler {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(status_kib("VmRSS:"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        RssSampler { peak, stop }
    }

    fn reset(&self) {
        self.peak.store(status_kib("VmRSS:"), Ordering::Relaxed);
    }

    fn peak_mib(&self) -> f64 {
        self.peak.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

async fn bench() {
    let n = env_usize("ELDER_BENCH_ISSUES", 100_000);
    let seeding = Instant::now();
    let sim = Sim::spawn(n);
    println!(
        "simulator: {n} issues seeded in a child process in {:.1?} ({})",
        seeding.elapsed(),
        sim.base_url
    );
    let rss = RssSampler::start();
    let mut engines = vec![TestEngine::Sqlite];
    if std::env::var_os("ELDER_BENCH_SKIP_POSTGRES").is_none() {
        engines.push(TestEngine::Postgres);
    }
    for db in engines {
        bench_engine(db, &sim, n, &rss).await;
    }
}

async fn bench_engine(db: TestEngine, sim: &Sim, n: usize, rss: &RssSampler) {
    let name = format!("{db:?}");
    let db = TestDb::new(db).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .expect("open store");
    let engine = engine_over(store.clone());
    let project = store
        .create_resource(
            Kind::Project,
            &NewResource {
                title: "Hello-World".into(),
                ..NewResource::default()
            },
        )
        .await
        .expect("project");
    let config = store
        .create_config(&config_body(sim, project.id))
        .await
        .expect("sync config");

    let listed = list_only(&engine, config.id).await;
    rss.reset();
    let before = status_kib("VmRSS:") as f64 / 1024.0;
    let start = Instant::now();
    let report = poll_config(&engine, config.id, "backfill", SyncMethod::Poll)
        .await
        .expect("backfill");
    let elapsed = start.elapsed();
    let peak = rss.peak_mib();
    let imported = elder_issue_count(&store, project.id).await;
    let rate = imported as f64 / elapsed.as_secs_f64();
    println!(
        "{name:<9} list only {n:>6} issues in {:>7.2?}  {:>7.0} items/s (wasm list-changes + HTTP, nothing applied)",
        listed,
        n as f64 / listed.as_secs_f64()
    );
    println!(
        "{name:<9} backfill  {imported:>6} issues in {:>7.2?}  {:>7.0} items/s  = {:.2} of list-only  RSS {before:.0} MiB before, peak {peak:.0} MiB (high-water mark of the process {:.0} MiB)",
        elapsed,
        rate,
        listed.as_secs_f64() / elapsed.as_secs_f64(),
        status_kib("VmHWM:") as f64 / 1024.0,
    );
    assert!(
        report.error.is_none(),
        "backfill failed: {:?}",
        report.error
    );
    assert_eq!(imported, n, "every issue is imported exactly once");
}

/// Walks every page of issues through the connector, applying nothing; the wall time.
async fn list_only(engine: &elder_sync_engine::SyncEngine, config_id: i64) -> Duration {
    let rc = engine
        .store
        .resolve_config(config_id)
        .await
        .expect("config");
    let connector = engine.connector_for(&rc).expect("connector");
    let cfg = connector_settings(&rc);
    let start = Instant::now();
    let mut cursor = None;
    loop {
        let page = connector
            .list_changes(&cfg, Kind::Issue, cursor, 100)
            .await
            .expect("list-changes");
        if !page.has_more {
            return start.elapsed();
        }
        cursor = page.next_cursor;
    }
}

async fn elder_issue_count(store: &Store, project_id: i64) -> usize {
    let filter = ResourceFilter {
        project_id: Some(project_id),
        ..ResourceFilter::default()
    };
    let page = PageRequest {
        page: 1,
        per_page: 1,
    };
    let total = store
        .list_resources(Kind::Issue, &filter, page)
        .await
        .expect("count Elder issues")
        .total;
    usize::try_from(total).unwrap_or_default()
}

fn config_body(sim: &Sim, project_id: i64) -> NewSyncConfig {
    serde_json::from_value(json!({
        "name": "hello-world",
        "platform": "github",
        "webhook_enabled": false,
        "elder_project_id": project_id,
        "config_json": {
            "owner": "octocat",
            "repo": "Hello-World",
            "base_url": sim.base_url,
            "api_token": sim.token,
        },
    }))
    .expect("config body")
}
