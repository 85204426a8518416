//! `Store::open_without_secrets`: what `elder-sync token create` uses. It must work on a
//! database that holds encrypted secrets without the key, and must not hand out secrets.
//! Run on SQLite and PostgreSQL.

use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{NewSyncConfig, Role, Store, StoreError};
use serde_json::json;

async fn tokens_work_without_the_key_and_secrets_stay_locked(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let keyed = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let config: NewSyncConfig = serde_json::from_value(json!({
        "name": "widgets",
        "platform": "github",
        "webhook_secret": "whsec-PLAIN",
        "config_json": {"api_token": "ghp_PLAINTEXT", "owner": "acme", "repo": "widgets"}
    }))
    .unwrap();
    let id = keyed.create_config(&config).await.unwrap().id;
    keyed.close().await;

    assert!(matches!(
        Store::open_with(&db.url, None).await,
        Err(StoreError::SecretsLocked)
    ));
    let keyless = Store::open_without_secrets(&db.url).await.unwrap();
    let (token, plain) = keyless.create_token(Role::Admin).await.unwrap();
    let found = keyless.authenticate(&plain).await.unwrap().unwrap();
    assert_eq!(found.id, token.id);
    let err = keyless.resolve_config(id).await.unwrap_err();
    assert!(
        !err.to_string().contains("PLAIN"),
        "no secret in the error: {err}"
    );
    keyless.close().await;

    // The token made without the key is honoured by the service's keyed store.
    let keyed = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    assert!(keyed.authenticate(&plain).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    tokens_work_without_the_key_and_secrets_stay_locked(TestEngine::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    tokens_work_without_the_key_and_secrets_stay_locked(TestEngine::Postgres).await
}
