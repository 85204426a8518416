//! Benchmark: mapping 1,000 real-size GitHub issue deliveries (the simulator's
//! GitHub-shaped `issues` payloads, ~3-4 KB each) to changes, inside wasm through
//! the connector's `parse-webhook` export in the host runtime, versus the same
//! mapping code (`elder_connector_github::webhook::parse`) compiled natively.
//! Prints both figures and their ratio. Run: `cargo bench -p elder-sync-e2e --bench github_mapping`
//! (build the component first with `scripts/build-wasm.sh`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use elder_sync_runtime::{ConnectorConfig, Runtime, RuntimeConfig};
use platform_simulators::github::{Delivery, GithubOptions, GithubSim, SeedIssue};

const ISSUES: usize = 1_000;
const ROUNDS: usize = 3;

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

    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let connector = runtime
        .load(&elder_sync_e2e::connector_component("github"))
        .unwrap();
    let mut values = BTreeMap::new();
    values.insert("api_token".to_string(), "unused".to_string());
    values.insert("owner".to_string(), "octocat".to_string());
    values.insert("repo".to_string(), "Hello-World".to_string());
    let config = ConnectorConfig::new(values);

    let native = best((0..ROUNDS).map(|_| time_native(&ds)));
    let mut wasm_rounds = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for d in &ds {
            let changes = connector
                .parse_webhook(&config, d.headers.clone(), d.body.clone())
                .await
                .unwrap();
            assert_eq!(changes.len(), 1);
        }
        wasm_rounds.push(start.elapsed());
    }
    let wasm = best(wasm_rounds.into_iter());

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
        "  ratio  : wasm/native = {:.2}x",
        wasm.as_secs_f64() / native.as_secs_f64().max(1e-9)
    );
}
