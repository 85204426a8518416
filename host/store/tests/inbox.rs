//! The webhook inbox's per-config count of deliveries waiting (the console's dashboard shows
//! it), on SQLite and PostgreSQL.

use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{
    InboxInsert, claim_inbox, complete_inbox, insert_inbox, pending_inbox_by_config,
};
use elder_sync_store::{NewSyncConfig, Store, both_engines};
use serde_json::json;

both_engines!(pending_deliveries_are_counted_per_config);

async fn pending_deliveries_are_counted_per_config(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for name in ["a", "b"] {
        let new: NewSyncConfig = serde_json::from_value(json!({
            "name": name, "platform": "github", "webhook_enabled": false,
            "config_json": {"owner": "acme", "repo": name}
        }))
        .unwrap();
        ids.push(store.create_config(&new).await.unwrap().id);
    }
    let deliver = |config_id, delivery_id| InboxInsert {
        config_id,
        delivery_id,
        headers: &[],
        body: b"{}",
    };
    for (config, delivery) in [(ids[0], "1"), (ids[0], "2"), (ids[1], "3")] {
        assert!(
            insert_inbox(&store, &deliver(config, delivery))
                .await
                .unwrap()
        );
    }
    let pending = pending_inbox_by_config(&store).await.unwrap();
    assert_eq!((pending[&ids[0]], pending[&ids[1]]), (2, 1));
    let claimed = claim_inbox(
        &store,
        10,
        std::time::Duration::from_secs(60),
        "test-replica",
    )
    .await
    .unwrap();
    for entry in claimed.iter().filter(|e| e.config_id == ids[1]) {
        complete_inbox(&store, entry.id).await.unwrap();
    }
    let pending = pending_inbox_by_config(&store).await.unwrap();
    assert_eq!(pending.get(&ids[1]), None, "{pending:?}");
}
