//! Issue 15: two engines (two replicas) on one database never work on the same config at
//! once: the second waits while the first holds the config's lease, also past the lease's
//! expiry because the holder renews it, and gets it as soon as the first lets go. Outbox
//! claims likewise: a claim renewed while its batch runs holds; one nobody renews (its
//! replica died) comes back to another replica within the claim lease. Each
//! engine is a replica with its own id. Run on SQLite and PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use elder_sync_engine::engine::CLAIM_LEASE;
use elder_sync_engine::lease::{CONFIG_LEASE, renew_claims};
use elder_sync_engine::{ConnectorRegistry, EngineSettings, SyncEngine};
use elder_sync_model::Kind;
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{NewResource, Store, WorkQueue, both_engines};
use elder_sync_telemetry::Metrics;

async fn replica(db: &TestDb) -> SyncEngine {
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    SyncEngine::new(
        store,
        Arc::new(ConnectorRegistry::new()),
        Metrics::new().unwrap(),
        EngineSettings::default(),
    )
}

async fn one_replica_at_a_time_works_on_a_config(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let (a, b) = (replica(&db).await, replica(&db).await);
    assert_ne!(a.replica.id, b.replica.id);

    // Two outbox rows claimed by a: one in a batch it keeps working on (renewed), one it
    // claimed before dying (never renewed).
    for title in ["worked on", "abandoned"] {
        let new = NewResource {
            title: title.into(),
            ..Default::default()
        };
        a.store.create_resource(Kind::Label, &new).await.unwrap();
    }
    let mine = a.replica.id.as_str();
    let worked = a.store.claim_outbox(1, CLAIM_LEASE, mine).await.unwrap();
    let _renewal = renew_claims(&a, WorkQueue::Outbox, worked.iter().map(|e| e.id).collect());
    let abandoned = a.store.claim_outbox(1, CLAIM_LEASE, mine).await.unwrap();

    let held = a.lock_config(1).await;
    let waiting = tokio::spawn({
        let b = b.clone();
        async move {
            let _lease = b.lock_config(1).await;
            std::time::Instant::now()
        }
    });
    // Another config is free meanwhile.
    tokio::time::timeout(Duration::from_secs(2), b.lock_config(2))
        .await
        .expect("config 2 is not held by anyone");
    // Held past the lease's length: a renews, so b still waits.
    tokio::time::sleep(CONFIG_LEASE + Duration::from_secs(2)).await;
    assert!(!waiting.is_finished(), "b took a lease a still holds");
    let taken = b
        .store
        .claim_outbox(10, CLAIM_LEASE, &b.replica.id)
        .await
        .unwrap();
    let taken: Vec<i64> = taken.iter().map(|e| e.id).collect();
    assert_eq!(
        taken,
        [abandoned[0].id],
        "only the claim nobody renews comes back"
    );
    let released = std::time::Instant::now();
    drop(held);
    let got = tokio::time::timeout(Duration::from_secs(3), waiting)
        .await
        .expect("b gets the lease once a lets go")
        .unwrap();
    assert!(got >= released);
}

both_engines!(one_replica_at_a_time_works_on_a_config);
