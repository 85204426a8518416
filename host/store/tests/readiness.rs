//! `/readyz` depends on `Store::readiness`: ready after open, not ready when a migration is
//! missing or the database is gone. Run on SQLite and PostgreSQL.

use elder_sync_store::Store;
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};

async fn readiness_follows_the_database(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    store.readiness().await.expect("ready right after open");

    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let err = store.readiness().await.unwrap_err().to_string();
    assert!(err.contains("migrations not applied"), "{err}");

    store.close().await;
    let err = store.readiness().await.unwrap_err().to_string();
    assert!(
        !err.contains("migrations"),
        "a closed pool is a database error: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    readiness_follows_the_database(TestEngine::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    readiness_follows_the_database(TestEngine::Postgres).await
}
