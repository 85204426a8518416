//! Benchmark: mapping 1,000 real-size GitHub issue deliveries (the simulator's
//! GitHub-shaped `issues` payloads, ~3-4 KB each) to changes, inside wasm through
//! the connector's `parse-webhook` export in the host runtime, versus the same
//! mapping code (`elder_connector_github::webhook::parse`) compiled natively.
//! Each wasm call instantiates the component afresh from its `InstancePre` (as the host
//! does for every call), so the bench also times 1,000 `validate-config` calls (an
//! instantiation plus a call that maps nothing) and reports the wasm figure with and without that fixed cost.
//! It also maps the same deliveries with `parse_webhook_batch` in batches of
//! [`BATCH`] (the inbox worker's claim size; one instantiation per batch) and checks that
//! every batched result equals the single-call one, and one call per delivery again on a
//! pool that keeps 256 KiB of each freed memory resident. The variants alternate round by
//! round, so that load on a shared machine hits them alike.
//! Prints the figures and their ratios. Run: `cargo bench -p elder-sync-e2e --bench github_mapping`
//! (build the component first with `scripts/build-wasm.sh`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use elder_sync_runtime::{
    ConnectorSettings, LoadedConnector, PoolSettings, Runtime, RuntimeSettings,
};
use platform_simulators::github::{Delivery, GithubOptions, GithubSim, SeedIssue};

const ISSUES: usize = 1_000;
const ROUNDS: usize = 3;
/// Deliveries per `parse_webhook_batch` call (the inbox worker claims 50 at a time).
const BATCH: usize = 50;

fn body_text(i: usize) -> String {
    let para = "When saving a document with more than 2,000 rows the application freezes for several \
                seconds and then reports `ERR_SAVE_TIMEOUT`. Steps to reproduce: open a large sheet, \
                edit any cell, press Ctrl+S. Expected: saved within a second. ";
    format!(
        "### Issue {i}\n\n{}\n\n- [ ] investigate\n- [ ] fix\n",
        para.repeat(3)
    )
}

async fn deliveries(sim: &GithubSim) -> Vec<Delivery> {
    let milestone = sim.seed_milestone("v1.0");
    let numbers: Vec<u64> = (0..ISSUES)
        .map(|i| {
            sim.seed_issue(SeedIssue {
                title: format!("Saving large sheets freezes the app ({i})"),
                body: Some(body_text(i)),
                labels: vec![
                    "bug".into(),
                    "performance".into(),
                    format!("area-{}", i % 7),
                ],
                assignees: vec!["octocat".into(), "hubot".into()],
                milestone: Some(milestone),
                ..Default::default()
            })
        })
        .collect();
    numbers
        .iter()
        .map(|n| sim.build_delivery("secret", "issues", "edited", &n.to_string()))
        .collect()
}

fn time_native(ds: &[Delivery]) -> Duration {
    let start = Instant::now();
    for d in ds {
        let changes = elder_connector_github::webhook::parse(&d.headers, &d.body, 0).unwrap();
        assert_eq!(changes.len(), 1);
    }
    start.elapsed()
}

fn best(times: impl Iterator<Item = Duration>) -> Duration {
    times.min().unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let sim = GithubSim::start(GithubOptions::default()).await.unwrap();
    let ds = deliveries(&sim).await;
    let avg_bytes = ds.iter().map(|d| d.body.len()).sum::<usize>() / ds.len();
    let issue_bytes = ds
        .iter()
        .map(|d| {
            let v: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
            serde_json::to_vec(&v["issue"]).unwrap().len()
        })
        .sum::<usize>()
        / ds.len();

    let mut values = BTreeMap::new();
    values.insert("api_token".to_string(), "unused".to_string());
    values.insert("owner".to_string(), "octocat".to_string());
    values.insert("repo".to_string(), "Hello-World".to_string());
    let config = ConnectorSettings::new(values);
    let component = elder_sync_e2e::connector_component("github");
    let runtime = Runtime::new(RuntimeSettings::default()).unwrap();
    let connector = runtime.load(&component).unwrap();
    // The same with the pool keeping 256 KiB of each freed memory and 64 KiB of each
    // freed table resident (ELDER_CONNECTOR_KEEP_RESIDENT_KB / _TABLE_KEEP_RESIDENT_KB).
    let resident_runtime = Runtime::new(RuntimeSettings {
        pool: PoolSettings {
            memory_keep_resident_bytes: 256 << 10,
            table_keep_resident_bytes: 64 << 10,
            ..PoolSettings::default()
        },
        ..RuntimeSettings::default()
    })
    .unwrap();
    let resident = resident_runtime.load(&component).unwrap();

    let singles = parse_singly(&connector, &config, &ds).await.1;
    // Rounds alternate the variants, so that load on this shared machine hits them alike.
    let mut rounds: [Vec<Duration>; 5] = Default::default();
    for _ in 0..ROUNDS {
        rounds[0].push(time_native(&ds));
        let (took, single) = parse_singly(&connector, &config, &ds).await;
        assert_eq!(single, singles);
        rounds[1].push(took);
        let (took, batched) = parse_batched(&connector, &config, &ds).await;
        assert_eq!(batched, singles, "batched results differ from single calls");
        rounds[2].push(took);
        let (took, single) = parse_singly(&resident, &config, &ds).await;
        assert_eq!(single, singles);
        rounds[3].push(took);
        let start = Instant::now();
        for _ in 0..ISSUES {
            connector.validate_config(&config).await.unwrap();
        }
        rounds[4].push(start.elapsed());
    }
    let [native, wasm, batched, kept, base] = rounds.map(|r| best(r.into_iter()));
    let net = wasm.saturating_sub(base);

    let per = |d: Duration| d.as_secs_f64() * 1e6 / ISSUES as f64;
    println!(
        "github_mapping: {ISSUES} issue deliveries, payload avg {avg_bytes} B (issue object avg {issue_bytes} B), best of {ROUNDS}"
    );
    println!(
        "  native : {:>9.2} ms total, {:>8.2} us/issue",
        native.as_secs_f64() * 1e3,
        per(native)
    );
    println!(
        "  wasm   : {:>9.2} ms total, {:>8.2} us/issue (parse-webhook export, one call per delivery)",
        wasm.as_secs_f64() * 1e3,
        per(wasm)
    );
    println!(
        "  kept   : {:>9.2} ms total, {:>8.2} us/issue (one call per delivery, 256 KiB of memory kept resident)",
        kept.as_secs_f64() * 1e3,
        per(kept)
    );
    println!(
        "  batched: {:>9.2} ms total, {:>8.2} us/issue (parse_webhook_batch, {BATCH} deliveries per instance)",
        batched.as_secs_f64() * 1e3,
        per(batched)
    );
    println!(
        "  base   : {:>9.2} ms total, {:>8.2} us/call  (instantiate + validate-config, maps nothing)",
        base.as_secs_f64() * 1e3,
        per(base)
    );
    println!(
        "  net    : {:>9.2} ms total, {:>8.2} us/issue (wasm minus base: the mapping itself)",
        net.as_secs_f64() * 1e3,
        per(net)
    );
    let ratio = |w: Duration| w.as_secs_f64() / native.as_secs_f64().max(1e-9);
    println!(
        "  ratio  : time wasm/native = {:.2}x per call, {:.2}x batched, {:.2}x net",
        ratio(wasm),
        ratio(batched),
        ratio(net),
    );
    println!(
        "  speed  : wasm/native = {:.2}x per call, {:.2}x batched, {:.2}x net (issue 17 target: >= 0.5x per delivery)",
        1.0 / ratio(wasm).max(1e-9),
        1.0 / ratio(batched).max(1e-9),
        1.0 / ratio(net).max(1e-9)
    );
}

type Parsed = Vec<Result<Vec<elder_sync_runtime::model::Change>, String>>;

/// Maps every delivery with one `parse_webhook` call each (one instance each).
async fn parse_singly(
    connector: &LoadedConnector,
    config: &ConnectorSettings,
    ds: &[Delivery],
) -> (Duration, Parsed) {
    let mut out = Vec::with_capacity(ds.len());
    let start = Instant::now();
    for d in ds {
        let r = connector
            .parse_webhook(config, d.headers.clone(), d.body.clone())
            .await;
        out.push(r.map_err(|e| e.to_string()));
    }
    (start.elapsed(), out)
}

/// Maps every delivery with `parse_webhook_batch`, [`BATCH`] at a time (timing the copies
/// of the deliveries too, as the per-call loop does).
async fn parse_batched(
    connector: &LoadedConnector,
    config: &ConnectorSettings,
    ds: &[Delivery],
) -> (Duration, Parsed) {
    let start = Instant::now();
    let batches: Vec<Vec<elder_sync_runtime::WebhookDelivery>> = ds
        .chunks(BATCH)
        .map(|c| {
            c.iter()
                .map(|d| (d.headers.clone(), d.body.clone()))
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(ds.len());
    for batch in batches {
        let results = connector.parse_webhook_batch(config, batch).await;
        for r in results {
            let changes = r.map_err(|e| e.to_string());
            assert_eq!(changes.as_ref().map(Vec::len), Ok(1));
            out.push(changes);
        }
    }
    (start.elapsed(), out)
}
