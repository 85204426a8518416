//! Benchmarks: instantiating a connector from its `InstancePre` (a `validate-config`
//! call, which does nothing but instantiate and return), and one guest call that makes
//! one host call (chaos `mode=clock`). Needs `bash scripts/build-wasm.sh` first.

// `criterion_group!` emits `pub fn benches` and passes no doc comment on to it.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use elder_sync_runtime::{ConnectorSettings, Runtime, RuntimeSettings};

fn chaos_bytes() -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-guests/chaos.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} missing ({e}): run bash scripts/build-wasm.sh",
            path.display()
        )
    })
}

fn config(mode: &str) -> ConnectorSettings {
    ConnectorSettings::new(BTreeMap::from([("mode".to_string(), mode.to_string())]))
}

fn bench(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rt = Runtime::new(RuntimeSettings::default()).unwrap();
    let bytes = chaos_bytes();
    c.bench_function("load (compile + link + describe)", |b| {
        b.iter(|| rt.load(&bytes).unwrap())
    });
    let conn = rt.load(&bytes).unwrap();
    let ok = config("ok");
    c.bench_function(
        "call: instantiate from InstancePre + validate-config",
        |b| {
            b.to_async(&tokio)
                .iter(|| async { conn.validate_config(&ok).await.unwrap() })
        },
    );
    let clock = config("clock");
    c.bench_function(
        "call: instantiate + test-connection with one host call",
        |b| {
            b.to_async(&tokio)
                .iter(|| async { conn.test_connection(&clock).await.unwrap() })
        },
    );
}

/// Few samples over short windows keep the whole run well under a minute on 2 cores.
fn short() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = short();
    targets = bench
}
criterion_main!(benches);
