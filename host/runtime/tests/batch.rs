//! `parse_webhook_batch`: many deliveries of one config in one instance. What a caller
//! notices: the same results as one call per delivery, in order; a delivery that traps or
//! exhausts a limit fails alone; every delivery keeps its own deadline and the memory cap
//! of a fresh call; and nothing one config's batch leaves in the instance reaches another.

mod common;

use std::time::{Duration, Instant};

use common::{cfg, chaos, runtime};
use elder_sync_runtime::model::Change;
use elder_sync_runtime::{CallError, ConnectorSettings, LoadedConnector, TrapKind};

type Delivery = (Vec<(String, String)>, Vec<u8>);

fn deliveries(bodies: &[&str]) -> Vec<Delivery> {
    bodies
        .iter()
        .map(|b| {
            let headers = vec![("x-delivery".to_string(), b.to_string())];
            (headers, b.as_bytes().to_vec())
        })
        .collect()
}

/// The external id of the single change a delivery gave.
fn id(result: &Result<Vec<Change>, CallError>) -> String {
    match result {
        Ok(changes) if changes.len() == 1 => changes[0].external_id.clone(),
        other => panic!("expected one change, got {other:?}"),
    }
}

fn trap(result: &Result<Vec<Change>, CallError>) -> TrapKind {
    match result {
        Err(CallError::Trap { kind, .. }) => *kind,
        other => panic!("expected a trap, got {other:?}"),
    }
}

async fn singles(
    conn: &LoadedConnector,
    config: &ConnectorSettings,
    ds: &[Delivery],
) -> Vec<String> {
    let mut out = Vec::new();
    for (headers, body) in ds {
        let r = conn
            .parse_webhook(config, headers.clone(), body.clone())
            .await;
        out.push(format!("{r:?}"));
    }
    out
}

#[tokio::test]
async fn batch_gives_the_single_call_results_in_order() {
    let rt = runtime();
    let conn = chaos(&rt);
    let config = cfg(&[("mode", "a")]);
    let ds = deliveries(&["one", "two", "refuse", "three", "busy:5", "four"]);
    let batched = conn.parse_webhook_batch(&config, ds.clone()).await;
    assert_eq!(batched.len(), ds.len());
    let batched: Vec<String> = batched.iter().map(|r| format!("{r:?}")).collect();
    assert_eq!(batched, singles(&conn, &config, &ds).await);
    // A connector error is an answer, not a trap: the instance goes on serving.
    assert!(batched[2].contains("refused on purpose"), "{}", batched[2]);
    assert!(
        conn.parse_webhook_batch(&config, Vec::new())
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_batch_shares_one_instance() {
    let rt = runtime();
    let conn = chaos(&rt);
    let config = cfg(&[("mode", "a")]);
    let results = conn
        .parse_webhook_batch(&config, deliveries(&["state", "x", "state"]))
        .await;
    assert_eq!(id(&results[0]), "served=1 modes=a");
    assert_eq!(id(&results[2]), "served=3 modes=a,a,a");
}

#[tokio::test]
async fn a_trapping_delivery_fails_alone() {
    let rt = runtime();
    let conn = chaos(&rt);
    let config = cfg(&[("mode", "a")]);
    let results = conn
        .parse_webhook_batch(
            &config,
            deliveries(&["before", "panic", "after", "loop", "state", "last"]),
        )
        .await;
    assert_eq!(results.len(), 6);
    assert_eq!(id(&results[0]), "before");
    assert_eq!(trap(&results[1]), TrapKind::Panic);
    assert_eq!(id(&results[2]), "after");
    assert_eq!(trap(&results[3]), TrapKind::Deadline);
    // After a trap, each later delivery ran in a fresh instance of its own.
    assert_eq!(id(&results[4]), "served=1 modes=a");
    assert_eq!(id(&results[5]), "last");
}

#[tokio::test]
async fn every_delivery_has_a_whole_deadline() {
    // 4 x 200 ms is well past the 500 ms deadline of one call, but no delivery is.
    let rt = runtime();
    let conn = chaos(&rt);
    let config = cfg(&[("mode", "a")]);
    let started = Instant::now();
    let results = conn
        .parse_webhook_batch(&config, deliveries(&["busy:200"; 4]))
        .await;
    assert!(started.elapsed() >= Duration::from_millis(800));
    for r in &results {
        assert_eq!(id(r), "busy:200");
    }
}

#[tokio::test]
async fn every_delivery_has_the_memory_of_a_fresh_call() {
    // The cap is 32 MiB: each delivery keeps 12 MiB, so the third one would not fit in
    // the instance the first two filled, but fits in a fresh one.
    let rt = runtime();
    let conn = chaos(&rt);
    let config = cfg(&[("mode", "a")]);
    let results = conn
        .parse_webhook_batch(
            &config,
            deliveries(&["hoard:12", "hoard:12", "hoard:12", "state"]),
        )
        .await;
    for r in &results[..3] {
        assert_eq!(id(r), "hoard:12");
    }
    // A delivery over the cap on its own still fails, and alone.
    let results = conn
        .parse_webhook_batch(&config, deliveries(&["x", "bomb", "y"]))
        .await;
    assert_eq!(id(&results[0]), "x");
    assert_eq!(trap(&results[1]), TrapKind::Memory);
    assert_eq!(id(&results[2]), "y");
}

#[tokio::test]
async fn nothing_leaks_from_one_configs_batch_to_another() {
    let rt = runtime();
    let conn = chaos(&rt);
    let a = cfg(&[("mode", "a")]);
    let b = cfg(&[("mode", "b")]);
    let (first, second) = tokio::join!(
        conn.parse_webhook_batch(&a, deliveries(&["state", "hoard:1", "state"])),
        conn.parse_webhook_batch(&b, deliveries(&["state", "state"])),
    );
    assert_eq!(id(&first[2]), "served=3 modes=a,a,a");
    assert_eq!(id(&second[1]), "served=2 modes=b,b");
    let again = conn.parse_webhook_batch(&a, deliveries(&["state"])).await;
    assert_eq!(id(&again[0]), "served=1 modes=a");
}
