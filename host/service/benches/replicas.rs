//! Benchmark (issue 15): applied webhook events per second with 1, 2 and 3 `elder-sync
//! serve` replicas on one PostgreSQL database and one GitHub simulator, measured side by
//! side in one run.
//!
//! For each replica count: fresh database, the replicas started with the service harness
//! (release build of this crate's binary), three sync configs on the simulator's repository
//! (each config a project of its own, so three configs' work can spread over the replicas:
//! one replica works on a config at a time), their first runs done. Then signed
//! `issues/opened` deliveries of real size (~4 KB) are POSTed from `ELDER_BENCH_CONCURRENCY`
//! loopback clients, delivery `i` to replica `i mod n`, and timed from the first POST until
//! every delivery is an Elder issue: events/s end to end (signature check, durable inbox,
//! claim, wasm `parse-webhook`, three-way apply). Prints the figures and the ratios 2/1 and
//! 3/1.
//!
//! `cargo bench -p elder-sync --bench replicas` (components built first with
//! `scripts/build-wasm.sh`). `ELDER_BENCH_EVENTS` deliveries per run (default 600),
//! `ELDER_BENCH_CONCURRENCY` clients (default 24). PostgreSQL is `ELDER_TEST_POSTGRES_URL`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{Delivery, GithubOptions, GithubSim, SeedIssue};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");
const SECRET: &str = "a webhook secret of reasonable length";
const CONFIGS: usize = 3;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn body_text(i: usize) -> String {
    let para = "When saving a document with more than 2,000 rows the application freezes for several \
                seconds and then reports `ERR_SAVE_TIMEOUT`. Steps to reproduce: open a large sheet, \
                edit any cell, press Ctrl+S. Expected: saved within a second. ";
    format!(
        "### Issue {i}\n\n{}\n\n- [ ] investigate\n- [ ] fix\n",
        para.repeat(3)
    )
}

fn options(options: ServiceOptions) -> ServiceOptions {
    options
        .connectors(&["github"])
        .reaching_local_simulators()
        .env("LOG_LEVEL", "warn")
}

/// One delivery bound for one replica's webhook URL.
struct Job {
    url: String,
    delivery: Delivery,
}

/// `n` replicas on a fresh database with `CONFIGS` configs done with their first run; the
/// configs' ids and Elder project ids.
async fn fleet(github: &GithubSim, n: usize) -> (Vec<Service>, Vec<(i64, i64)>) {
    let engine = TestEngine::Postgres;
    let first = Service::start(BIN, options(ServiceOptions::new(engine))).await;
    let mut replicas = vec![];
    for _ in 1..n {
        replicas.push(Service::start(BIN, options(first.replica_options(engine))).await);
    }
    replicas.insert(0, first);
    let a = &replicas[0];
    let mut configs = Vec::new();
    for c in 0..CONFIGS {
        let (_, project) = a
            .post("/projects", &json!({"title": format!("P{c}")}))
            .await;
        let (status, config) = a
            .post(
                "/sync/configs",
                &json!({
                    "name": format!("widgets-{c}"), "platform": "github", "webhook_secret": SECRET,
                    "elder_project_id": project["id"], "sync_interval": 3600,
                    "config_json": {
                        "owner": "octocat", "repo": "Hello-World",
                        "base_url": github.base_url(), "api_token": github.token(),
                    },
                }),
            )
            .await;
        assert_eq!(status, 201, "{config}");
        configs.push((
            config["id"].as_i64().unwrap(),
            project["id"].as_i64().unwrap(),
        ));
    }
    a.eventually(Duration::from_secs(120), "the first runs", || async {
        let (_, page) = a.get("/sync/history?sync_type=backfill&per_page=100").await;
        let done = page["items"]
            .as_array()?
            .iter()
            .filter(|h| h["success"] == true)
            .count();
        (done >= CONFIGS).then_some(())
    })
    .await;
    (replicas, configs)
}

/// Elder issues in the configs' projects.
async fn applied(a: &Service, configs: &[(i64, i64)]) -> usize {
    let mut total = 0;
    for (_, project) in configs {
        let (_, page) = a
            .get(&format!("/issues?project_id={project}&per_page=1"))
            .await;
        total += page["total"].as_u64().unwrap_or(0) as usize;
    }
    total
}

/// POSTs every job from `concurrency` tasks; the number refused.
async fn post_all(jobs: Vec<Job>, concurrency: usize) -> usize {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, jobs, next) = (client.clone(), jobs.clone(), next.clone());
            tokio::spawn(async move {
                let mut refused = 0;
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let mut req = client.post(&job.url).body(job.delivery.body.clone());
                    for (k, v) in &job.delivery.headers {
                        req = req.header(k, v);
                    }
                    let ok = req
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == reqwest::StatusCode::ACCEPTED);
                    refused += usize::from(!ok);
                }
                refused
            })
        })
        .collect();
    let mut refused = 0;
    for t in tasks {
        refused += t.await.expect("load task");
    }
    refused
}

/// Events/s end to end with `n` replicas.
async fn run(n: usize, events: usize, concurrency: usize) -> f64 {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    let (replicas, configs) = fleet(&github, n).await;
    let jobs: Vec<Job> = (0..events)
        .map(|i| {
            let number = github.seed_issue(SeedIssue {
                title: format!("Saving large sheets freezes the app ({i})"),
                body: Some(body_text(i)),
                labels: vec!["bug".into(), format!("area-{}", i % 7)],
                ..Default::default()
            });
            let (config_id, _) = configs[i % CONFIGS];
            let delivery = github.build_delivery(SECRET, "issues", "opened", &number.to_string());
            let url = replicas[i % n].api(&format!("/webhooks/{config_id}"));
            Job { url, delivery }
        })
        .collect();
    let a = &replicas[0];
    let start = Instant::now();
    let refused = post_all(jobs, concurrency).await;
    assert_eq!(refused, 0, "every delivery is accepted");
    let give_up = start + Duration::from_secs(600);
    while applied(a, &configs).await < events {
        assert!(
            Instant::now() < give_up,
            "{n} replicas: not applied within 600 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = start.elapsed();
    assert_eq!(
        applied(a, &configs).await,
        events,
        "{n} replicas: each delivery applied exactly once"
    );
    let rate = events as f64 / elapsed.as_secs_f64();
    println!(
        "{n} replica(s): {events} deliveries applied {:>7.2?} after the first POST  {rate:>7.0} events/s",
        elapsed
    );
    rate
}

fn main() {
    let events = env_usize("ELDER_BENCH_EVENTS", 600);
    let concurrency = env_usize("ELDER_BENCH_CONCURRENCY", 24);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "replicas: {events} signed GitHub issue deliveries spread over the replicas ({CONFIGS} configs), {concurrency} concurrent loopback clients, one PostgreSQL"
    );
    let rates: Vec<f64> = [1, 2, 3]
        .into_iter()
        .map(|n| rt.block_on(run(n, events, concurrency)))
        .collect();
    println!(
        "events/s  1: {:.0}  2: {:.0}  3: {:.0}   ratio 2/1: {:.2}   ratio 3/1: {:.2}",
        rates[0],
        rates[1],
        rates[2],
        rates[1] / rates[0],
        rates[2] / rates[0]
    );
}
