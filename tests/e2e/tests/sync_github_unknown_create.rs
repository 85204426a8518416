//! Issue 11: an Elder -> GitHub create whose answer never came (GitHub committed the issue
//! but answered after the call's deadline) is not sent again on retry: the retry looks the
//! issue up by the fingerprint the create carried and adopts it. Exactly one GitHub issue,
//! mapped to the Elder issue, on SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost, engine_with};
use elder_sync_engine::dispatch::dispatch_batch;
use elder_sync_model::Kind;
use elder_sync_runtime::RuntimeSettings;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{NewResource, SyncStatus};

/// The connector call deadline of the pushing engine.
const DEADLINE: Duration = Duration::from_secs(1);

/// How late GitHub answers a create: well past the deadline, so every create call times
/// out after GitHub has committed the issue (a blind retry would make a second one).
const LATE_ANSWER: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answered_after_the_deadline_is_adopted_not_repeated_on_sqlite() {
    unknown_outcome_create(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answered_after_the_deadline_is_adopted_not_repeated_on_postgres() {
    unknown_outcome_create(TestEngine::Postgres).await;
}

async fn unknown_outcome_create(db: TestEngine) {
    let host = SyncHost::start(HostOptions {
        workers: false,
        db,
        ..HostOptions::default()
    })
    .await;
    // A first poll stores the config's cursor, as on a host that has been running.
    host.poll("manual").await;
    let engine = engine_with(
        host.store.clone(),
        RuntimeSettings {
            allow_plain_http: true,
            allow_private_networks: true,
            call_deadline: DEADLINE,
            ..RuntimeSettings::default()
        },
    );
    // The Elder project's own outbox row (made when the harness created it) is pushed
    // first, so the batch below holds only the create under test.
    dispatch_batch(&engine, 10).await.unwrap();
    host.github.delay_create_answers(LATE_ANSWER);

    let ours = host
        .store
        .create_resource(
            Kind::Issue,
            &NewResource {
                title: "Made in Elder".into(),
                description: "its create times out after GitHub committed it".into(),
                project_id: Some(host.project_id),
                ..NewResource::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(dispatch_batch(&engine, 10).await.unwrap(), 1);
    assert_eq!(host.github.issues().len(), 1, "GitHub committed the create");
    let reserved = host
        .store
        .find_mapping_by_elder(host.config_id, Kind::Issue, ours.id)
        .await
        .unwrap()
        .expect("the attempt with an unknown outcome stays recorded");
    assert_eq!(reserved.sync_status, SyncStatus::Pending);

    // Retries run as the outbox backoff allows; GitHub still answers creates late.
    let until = Instant::now() + Duration::from_secs(60);
    let mapping = loop {
        dispatch_batch(&engine, 10).await.unwrap();
        let m = host
            .store
            .find_mapping_by_elder(host.config_id, Kind::Issue, ours.id)
            .await
            .unwrap();
        if let Some(m) = m.filter(|m| m.sync_status == SyncStatus::Synced) {
            break m;
        }
        assert!(
            Instant::now() < until,
            "the retry never settled the create; GitHub has {} issues",
            host.github.issues().len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let issues = host.github.issues();
    assert_eq!(
        issues.len(),
        1,
        "the retry created a second issue: {issues:?}"
    );
    assert_eq!(mapping.external_id, issues[0].number.to_string());
    let m = host.mapping_for(issues[0].number).await.expect("mapped");
    assert_eq!(m.elder_id, ours.id);
    assert_eq!(
        host.elder_issues().await.len(),
        1,
        "no twin in Elder either"
    );
}
