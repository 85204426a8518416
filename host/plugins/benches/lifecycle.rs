//! Lifecycle figures (run with `cargo bench -p elder-sync-plugins --bench lifecycle`):
//! host start time with the five connectors, cold (empty compiled-code cache) and warm;
//! swap latency of the GitHub connector from upload to serving, cold (a build never seen)
//! and warm (a build already in the cache). Prints medians and ranges.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use elder_sync_plugins::testing::with_build_tag;
use elder_sync_plugins::{Manifest, Origin, PluginHost, PluginSettings, PluginStats};
use elder_sync_runtime::ConnectorRegistry;
use elder_sync_runtime::{Runtime, RuntimeSettings};

const CONNECTORS: [&str; 5] = ["github", "gitlab", "jira", "openproject", "trello"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn host(plugin_dir: &Path, data_dir: &Path) -> (Arc<PluginHost>, Arc<ConnectorRegistry>) {
    let stats = PluginStats::wrapping(None);
    let runtime = Runtime::new(RuntimeSettings {
        observer: Some(stats.clone()),
        ..RuntimeSettings::default()
    })
    .expect("runtime");
    let registry = Arc::new(ConnectorRegistry::new());
    let settings = PluginSettings::new(plugin_dir, data_dir);
    (
        PluginHost::new(runtime, registry.clone(), stats, settings),
        registry,
    )
}

fn plugin_dir_with_five(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for name in CONNECTORS {
        let wasm = root().join(format!("target/connectors/{name}.wasm"));
        std::fs::copy(&wasm, dir.join(format!("{name}.wasm")))
            .unwrap_or_else(|e| panic!("{}: {e} (run scripts/build-wasm.sh)", wasm.display()));
        std::fs::copy(
            root().join(format!("connectors/{name}/plugin.toml")),
            dir.join(format!("{name}.toml")),
        )
        .unwrap();
    }
}

fn start_time(plugin_dir: &Path, data_dir: &Path) -> Duration {
    let started = Instant::now();
    let (host, registry) = host(plugin_dir, data_dir);
    let report = host.load_dir().expect("load dir");
    let took = started.elapsed();
    assert_eq!(report.installed.len(), 5, "{report:?}");
    assert_eq!(registry.len(), 5);
    took
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what:<44} median {:>9.1} ms   min {:>9.1} ms   max {:>9.1} ms   (n={})",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}

fn bench_start() {
    let plugins = tempfile::tempdir().unwrap();
    plugin_dir_with_five(plugins.path());
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..2 {
        let data = tempfile::tempdir().unwrap();
        cold.push(start_time(plugins.path(), data.path()));
        for _ in 0..3 {
            warm.push(start_time(plugins.path(), data.path()));
        }
    }
    report("host start, 5 connectors, cold cache", cold);
    report("host start, 5 connectors, warm cache", warm);
}

fn bench_swap() {
    let dirs = tempfile::tempdir().unwrap();
    let (host, registry) = host(&dirs.path().join("plugins"), dirs.path());
    let github = std::fs::read(root().join("target/connectors/github.wasm")).unwrap();
    let manifest = Manifest::parse(
        &std::fs::read_to_string(root().join("connectors/github/plugin.toml")).unwrap(),
    )
    .unwrap();
    let swap = |bytes: Vec<u8>| {
        let hash = elder_sync_plugins::cache::sha256_hex(&bytes);
        let started = Instant::now();
        host.install(bytes, manifest.clone(), Origin::Upload)
            .expect("swap");
        let took = started.elapsed();
        assert_eq!(registry.get("github").unwrap().source_hash(), hash);
        took
    };
    swap(with_build_tag(&github, "first"));
    let cold: Vec<Duration> = (0..5)
        .map(|i| swap(with_build_tag(&github, &format!("cold-{i}"))))
        .collect();
    let warm: Vec<Duration> = (0..10)
        .map(|i| swap(with_build_tag(&github, &format!("cold-{}", i % 2))))
        .collect();
    report("swap github (upload to serving), cold cache", cold);
    report("swap github (upload to serving), warm cache", warm);
    let stats = host.cache_stats();
    println!(
        "cache: {} compiles, {} hits, {} rejected",
        stats.compiles, stats.hits, stats.rejected
    );
}

fn main() {
    // `cargo test --benches` runs benches with `--bench`-less args; keep that quick.
    if !std::env::args().any(|a| a == "--bench") {
        println!("lifecycle bench: run with `cargo bench -p elder-sync-plugins --bench lifecycle`");
        return;
    }
    bench_start();
    bench_swap();
}
