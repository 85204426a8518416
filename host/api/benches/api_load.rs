//! API load benchmark: read and write throughput and latency percentiles of `/api/v1/issues`
//! on SQLite and PostgreSQL, under concurrent load from a loopback HTTP client.
//!
//! `cargo bench -p elder-sync-api --bench api_load`. Bounded: `ELDER_BENCH_REQUESTS` requests per
//! phase (default 2000) with `ELDER_BENCH_CONCURRENCY` clients (default 32). PostgreSQL is
//! `ELDER_TEST_POSTGRES_URL` (a fresh database, dropped afterwards); set
//! `ELDER_BENCH_SKIP_POSTGRES=1` to measure SQLite only.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use elder_sync_api::{ApiState, router};
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{Role, Store};
use serde_json::json;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Figures {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    failures: usize,
}

impl Figures {
    fn print(&mut self, engine: &str, phase: &str) {
        self.latencies.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
            self.latencies.get(i).copied().unwrap_or_default()
        };
        println!(
            "{engine:<10} {phase:<6} {:>6} req in {:>7.2?}  {:>8.0} req/s  p50 {:>8.2?}  p99 {:>8.2?}  failures {}",
            self.requests,
            self.elapsed,
            self.requests as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            self.failures
        );
    }
}

/// Runs `total` requests from `concurrency` workers; `make` builds request number `i`.
async fn load<F>(total: usize, concurrency: usize, make: F) -> Figures
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (make, next) = (make.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failures = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                match make(i).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                    }
                    _ => failures += 1,
                }
                lat.push(t.elapsed());
            }
            (lat, failures)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    let mut failures = 0;
    for w in workers {
        let (l, f) = w.await.expect("worker");
        latencies.extend(l);
        failures += f;
    }
    Figures {
        requests: total,
        elapsed: start.elapsed(),
        latencies,
        failures,
    }
}

async fn bench_engine(engine: TestEngine, name: &str, total: usize, concurrency: usize) {
    let db = TestDb::new(engine).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .expect("open");
    let (_, token) = store.create_token(Role::Admin).await.expect("token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(ApiState::new(store.clone()));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let base = format!("http://{addr}/api/v1/issues");

    let (c, b, t) = (client.clone(), base.clone(), token.clone());
    let mut writes = load(total, concurrency, move |i| {
        c.post(&b)
            .bearer_auth(&t)
            .json(&json!({"title": format!("bench issue {i}"), "labels": ["bench"]}))
    })
    .await;
    writes.print(name, "write");

    let (c, b, t) = (client.clone(), base.clone(), token.clone());
    let mut reads = load(total, concurrency, move |i| {
        if i % 4 == 0 {
            c.get(format!("{b}?per_page=20&page={}", i % 50 + 1))
                .bearer_auth(&t)
        } else {
            c.get(format!("{b}/{}", i % total + 1)).bearer_auth(&t)
        }
    })
    .await;
    reads.print(name, "read");

    server.abort();
    store.close().await;
}

fn main() {
    let total = env_usize("ELDER_BENCH_REQUESTS", 2000);
    let concurrency = env_usize("ELDER_BENCH_CONCURRENCY", 32);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!("API load: {total} requests per phase, {concurrency} concurrent loopback clients");
    rt.block_on(bench_engine(
        TestEngine::Sqlite,
        "sqlite",
        total,
        concurrency,
    ));
    if std::env::var("ELDER_BENCH_SKIP_POSTGRES").is_err() {
        rt.block_on(bench_engine(
            TestEngine::Postgres,
            "postgres",
            total,
            concurrency,
        ));
    }
}
