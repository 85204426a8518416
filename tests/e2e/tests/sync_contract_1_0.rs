//! A connector built against contract 1.0 (`tests/guests/frozen-v1-0`, written against the
//! frozen WIT files, not the SDK) through the whole engine, on SQLite and PostgreSQL: its
//! issues are imported as before, and the comments Elder holds on them are never asked of it
//! (1.0 has no comment functions): no failed work, no `comment_failed` note, no dead letter,
//! and a second sync changes nothing.

use std::sync::Arc;

use elder_sync_engine::dispatch::dispatch_batch;
use elder_sync_engine::poll::poll_config;
use elder_sync_engine::{ConnectorRegistry, EngineSettings, SyncEngine};
use elder_sync_model::Kind;
use elder_sync_runtime::{Runtime, RuntimeSettings};
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{
    HistoryFilter, NewComment, NewResource, NewSyncConfig, OutboxStatus, PageRequest, Store,
    SyncMethod,
};
use elder_sync_telemetry::Metrics;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_0_connector_syncs_its_issues_and_is_never_asked_for_comments() {
    frozen_through_the_engine(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_0_connector_syncs_its_issues_and_is_never_asked_for_comments_on_postgresql() {
    frozen_through_the_engine(TestEngine::Postgres).await;
}

async fn frozen_through_the_engine(db: TestEngine) {
    let tdb = TestDb::new(db).await;
    let store = Store::open_with(&tdb.url, Some(test_secret_key()))
        .await
        .expect("open store");
    let runtime = Runtime::new(RuntimeSettings::default()).expect("runtime");
    let frozen = runtime
        .load(&elder_sync_e2e::test_guest_component("frozen-v1-0"))
        .expect("load the 1.0 component");
    assert!(
        frozen.comment_kinds().is_empty(),
        "1.0 declares no comments"
    );
    let registry = Arc::new(ConnectorRegistry::new());
    registry.install(frozen, 0);
    let engine = SyncEngine::new(
        store.clone(),
        registry,
        Metrics::new().expect("metrics"),
        EngineSettings::default(),
    );
    let project = store
        .create_resource(
            Kind::Project,
            &NewResource {
                title: "Frozen".into(),
                ..NewResource::default()
            },
        )
        .await
        .unwrap();
    let body: NewSyncConfig = serde_json::from_value(json!({
        "name": "frozen",
        "platform": "frozen",
        "elder_project_id": project.id,
        "webhook_secret": "frozen-secret-0123456789",
        "config_json": {"project": "ACME"},
    }))
    .unwrap();
    let config = store.create_config(&body).await.expect("sync config");

    let report = poll_config(&engine, config.id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();
    assert_eq!((report.error, report.tally.failed), (None, 0));
    let issues = elder_sync_e2e::project_issues(&store, project.id).await;
    assert_eq!(issues.len(), 7, "seven issues over three pages");

    // A comment in Elder on an imported issue: the issue's outbox work is handled without
    // asking the 1.0 component anything about comments.
    store
        .create_comment(
            issues[0].id,
            &NewComment {
                body: "Only in Elder".into(),
                author: "Grace".into(),
            },
        )
        .await
        .unwrap();
    for _ in 0..5 {
        dispatch_batch(&engine, 50).await.unwrap();
    }
    let report = poll_config(&engine, config.id, "poll", SyncMethod::Poll)
        .await
        .unwrap();
    assert_eq!((report.error, report.tally.failed), (None, 0));

    let waiting = store
        .list_outbox(Some(OutboxStatus::Pending), 100)
        .await
        .unwrap();
    assert!(waiting.is_empty(), "{waiting:#?}");
    let parked = store
        .list_outbox(Some(OutboxStatus::Error), 100)
        .await
        .unwrap();
    assert!(parked.is_empty(), "{parked:#?}");
    let notes = store
        .list_history(
            &HistoryFilter {
                config_id: Some(config.id),
                sync_type: Some("note".into()),
                success: None,
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items;
    assert!(notes.is_empty(), "{notes:#?}");
    let comments = store
        .list_comments(issues[0].id, PageRequest::default())
        .await
        .unwrap()
        .items;
    assert_eq!(comments.len(), 1);
    let after = store.get_resource(Kind::Issue, issues[0].id).await.unwrap();
    assert_eq!(after.title, issues[0].title);
}
