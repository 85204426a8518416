//! Issue 15, coordination between replicas on one database: a config lease has one holder at
//! a time until it expires or is released; a scheduled run is claimed once per interval
//! whoever asks; inbox and outbox claims hold while their holder renews them and come back
//! one short lease after it stops; heartbeats list the replicas seen recently. Run on SQLite and PostgreSQL.

use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use std::time::Duration;

use elder_sync_model::Kind;
use elder_sync_store::{
    InboxInsert, NewResource, NewSyncConfig, Store, WorkQueue, both_engines, claim_inbox,
    complete_inbox, insert_inbox,
};
use serde_json::json;

async fn open(engine: TestEngine) -> (TestDb, Store) {
    let db = TestDb::new(engine).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    (db, store)
}

fn config() -> NewSyncConfig {
    serde_json::from_value(json!({
        "name": "widgets", "platform": "github", "webhook_enabled": false,
        "config_json": {"owner": "acme", "repo": "widgets"}
    }))
    .unwrap()
}

async fn config_lease_has_one_holder_until_it_expires(engine: TestEngine) {
    let (_db, store) = open(engine).await;
    let (now, ttl) = (1_000_000, 15_000);
    assert!(
        store
            .try_acquire_config_lease(7, "a", now, ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_acquire_config_lease(7, "b", now + 1, ttl)
            .await
            .unwrap(),
        "b must wait while a holds the lease"
    );
    assert!(
        store
            .try_acquire_config_lease(8, "b", now, ttl)
            .await
            .unwrap(),
        "another config is free"
    );
    // a renews: still held past the first expiry.
    assert!(
        store
            .renew_config_lease(7, "a", now + 10_000, ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_acquire_config_lease(7, "b", now + ttl + 1, ttl)
            .await
            .unwrap()
    );
    // a dies: once the renewed lease expires, b takes it, and a's renewal fails.
    assert!(
        store
            .try_acquire_config_lease(7, "b", now + 10_000 + ttl, ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .renew_config_lease(7, "a", now + 30_000, ttl)
            .await
            .unwrap()
    );
    // a release by a non-holder does nothing; by the holder it frees the config at once.
    store.release_config_lease(7, "a").await.unwrap();
    assert!(
        !store
            .try_acquire_config_lease(7, "c", now + 30_000, ttl)
            .await
            .unwrap()
    );
    store.release_config_lease(7, "b").await.unwrap();
    assert!(
        store
            .try_acquire_config_lease(7, "c", now + 30_000, ttl)
            .await
            .unwrap()
    );
}

async fn scheduled_run_is_claimed_once_per_interval(engine: TestEngine) {
    let (_db, store) = open(engine).await;
    let id = store.create_config(&config()).await.unwrap().id;
    let (now, gap) = (5_000_000, 60_000);
    let mut wins = 0;
    for _replica in 0..3 {
        wins += store.claim_scheduled_run(id, now, gap).await.unwrap() as u32;
    }
    assert_eq!(wins, 1, "three replicas asking at once: one run");
    assert!(
        !store
            .claim_scheduled_run(id, now + gap - 1, gap)
            .await
            .unwrap()
    );
    assert!(store.claim_scheduled_run(id, now + gap, gap).await.unwrap());
}

async fn heartbeats_list_recent_replicas(engine: TestEngine) {
    let (_db, store) = open(engine).await;
    store.heartbeat("r1", "1.0", 100, 1_000).await.unwrap();
    store.heartbeat("r2", "1.0", 100, 50_000).await.unwrap();
    store.heartbeat("r1", "1.1", 100, 61_000).await.unwrap();
    let seen = store.replicas_seen_since(60_000).await.unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].id.as_str(), seen[0].version.as_str()),
        ("r1", "1.1")
    );
    assert_eq!(store.replicas_seen_since(0).await.unwrap().len(), 2);

    // The status overview lists the replicas seen in the last minute.
    let now = elder_sync_model::now_ms();
    store
        .heartbeat("live", "2.0", now - 5_000, now)
        .await
        .unwrap();
    store
        .heartbeat("gone", "2.0", now - 200_000, now - 61_000)
        .await
        .unwrap();
    let listed: Vec<String> = store
        .sync_overview()
        .await
        .unwrap()
        .replicas
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, ["live"]);
}

async fn claims_renewed_while_worked_on_and_free_once_not(engine: TestEngine) {
    let (_db, store) = open(engine).await;
    let id = store.create_config(&config()).await.unwrap().id;
    for d in ["d1", "d2"] {
        let new = InboxInsert {
            config_id: id,
            delivery_id: d,
            headers: &[],
            body: b"{}",
        };
        assert!(insert_inbox(&store, &new).await.unwrap());
    }
    let short = Duration::from_millis(300);
    let claimed = claim_inbox(&store, 10, short, "a").await.unwrap();
    let ids: Vec<i64> = claimed.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 2);
    // a finishes one and keeps working on the other: only that one is renewed.
    complete_inbox(&store, ids[0]).await.unwrap();
    let until = elder_sync_model::now_ms() + 60_000;
    assert_eq!(
        store
            .renew_claims(WorkQueue::Inbox, &ids, "a", until)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .renew_claims(WorkQueue::Inbox, &ids, "b", until)
            .await
            .unwrap(),
        0,
        "b holds nothing"
    );
    tokio::time::sleep(short * 2).await;
    assert!(
        claim_inbox(&store, 10, short, "b")
            .await
            .unwrap()
            .is_empty(),
        "a's renewed claim holds"
    );

    // Outbox: a claims and dies (no renewal): b gets the row once the short lease ends.
    store
        .create_resource(
            Kind::Label,
            &NewResource {
                title: "l".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(store.claim_outbox(10, short, "a").await.unwrap().len(), 1);
    assert!(store.claim_outbox(10, short, "b").await.unwrap().is_empty());
    tokio::time::sleep(short * 2).await;
    let taken = store.claim_outbox(10, short, "b").await.unwrap();
    assert_eq!((taken.len(), taken[0].attempts), (1, 2));
    let ids: Vec<i64> = taken.iter().map(|e| e.id).collect();
    assert_eq!(
        store
            .renew_claims(WorkQueue::Outbox, &ids, "a", until)
            .await
            .unwrap(),
        0,
        "a's claim was taken over"
    );
}

async fn a_restarted_replica_takes_back_its_work_at_once(engine: TestEngine) {
    let (_db, store) = open(engine).await;
    let id = store.create_config(&config()).await.unwrap().id;
    let new = InboxInsert {
        config_id: id,
        delivery_id: "d1",
        headers: &[],
        body: b"{}",
    };
    insert_inbox(&store, &new).await.unwrap();
    let lease = Duration::from_secs(60);
    assert_eq!(claim_inbox(&store, 10, lease, "a").await.unwrap().len(), 1);
    let now = elder_sync_model::now_ms();
    assert!(
        store
            .try_acquire_config_lease(id, "a", now, 60_000)
            .await
            .unwrap()
    );
    // Another replica's claims are left alone.
    assert_eq!(store.free_work_of("b").await.unwrap(), 0);
    assert!(
        claim_inbox(&store, 10, lease, "a")
            .await
            .unwrap()
            .is_empty()
    );
    // a restarts: its claim and lease are free at once, long before they would expire.
    assert_eq!(store.free_work_of("a").await.unwrap(), 1);
    let again = claim_inbox(&store, 10, lease, "a").await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 2));
    assert!(
        store
            .try_acquire_config_lease(id, "b", now, 60_000)
            .await
            .unwrap()
    );
}

both_engines!(
    a_restarted_replica_takes_back_its_work_at_once,
    claims_renewed_while_worked_on_and_free_once_not,
    config_lease_has_one_holder_until_it_expires,
    scheduled_run_is_claimed_once_per_interval,
    heartbeats_list_recent_replicas
);
