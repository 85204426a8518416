//! Migration 0004 (the platform set is open) on a database written by 0001–0003: every
//! config keeps its id and settings, the rows that reference configs survive, ids are not
//! reused, and a config for a platform outside the old closed list can be stored.

use std::borrow::Cow;

use elder_sync_store::both_engines;
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::*;
use serde_json::json;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor, Row};

both_engines!(existing_rows_survive_and_new_platforms_fit);

/// The engine's migrations up to and including `last`.
fn migrations_until(engine: TestEngine, last: i64) -> Migrator {
    let mut m = match engine {
        TestEngine::Sqlite => sqlx::migrate!("../../migrations/sqlite"),
        TestEngine::Postgres => sqlx::migrate!("../../migrations/postgres"),
    };
    let kept: Vec<_> = m
        .migrations
        .iter()
        .filter(|x| x.version <= last)
        .cloned()
        .collect();
    m.migrations = Cow::Owned(kept);
    m
}

async fn pool_before_0004(db: &TestDb) -> AnyPool {
    sqlx::any::install_default_drivers();
    let sqlite = db.engine == TestEngine::Sqlite;
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                }
                Ok(())
            })
        })
        .connect(&db.url)
        .await
        .unwrap();
    migrations_until(db.engine, 3).run(&pool).await.unwrap();
    pool
}

/// Writes configs (ids 1 to 3 in a fresh database; the last one deleted, so only the
/// AUTOINCREMENT high-water mark remembers id 3), a mapping and a history row the way
/// a 0003 database holds them.
async fn seed_0003(pool: &AnyPool) {
    let configs = [
        ("gh", "github", r#"{"owner":"o","repo":"r"}"#),
        (
            "op",
            "openproject",
            r#"{"project_id":7,"base_url":"https://op"}"#,
        ),
        ("gone", "gitlab", r#"{"project_id":1}"#),
    ];
    for (name, platform, json) in configs {
        sqlx::query(
            "INSERT INTO sync_configs (name, platform, webhook_enabled, config_json, \
             created_at, updated_at) VALUES ($1, $2, FALSE, $3, 1000, 2000)",
        )
        .bind(name)
        .bind(platform)
        .bind(json)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query("DELETE FROM sync_configs WHERE id = 3")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO sync_mappings (elder_type, elder_id, external_platform, external_id, \
         sync_config_id, created_at, updated_at) VALUES ('issue', 42, 'github', '7', 1, 1, 1)",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sync_history (sync_config_id, correlation_id, sync_type, started_at) \
         VALUES (2, 'c-1', 'poll', 1000)",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

async fn existing_rows_survive_and_new_platforms_fit(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let old = pool_before_0004(&db).await;
    seed_0003(&old).await;
    let refused = sqlx::query(
        "INSERT INTO sync_configs (name, platform, config_json, created_at, updated_at) \
         VALUES ('t', 'tracker', '{}', 1, 1)",
    )
    .execute(&old)
    .await;
    assert!(refused.is_err(), "0003 still has the closed platform list");
    old.close().await;

    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let configs = store.list_configs().await.unwrap();
    let kept: Vec<(i64, &str, &str)> = configs
        .iter()
        .map(|c| (c.id, c.name.as_str(), c.platform.as_str()))
        .collect();
    assert_eq!(kept, [(1, "gh", "github"), (2, "op", "openproject")]);
    assert_eq!(configs[0].config_json["repo"], json!("r"));
    assert_eq!(configs[1].created_at.timestamp_millis(), 1000);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM sync_mappings WHERE sync_config_id = 1"
        )
        .await,
        1,
        "the mapping of config 1 survived the rebuild"
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM sync_history WHERE sync_config_id = 2"
        )
        .await,
        1
    );

    let tracker = store
        .create_config(&NewSyncConfig {
            name: "tracker".into(),
            platform: "tracker".into(),
            enabled: true,
            sync_interval: 300,
            batch_fallback_enabled: true,
            batch_size: 100,
            two_way_create: false,
            webhook_enabled: false,
            webhook_secret: None,
            config_json: json!({"board": "b"}).as_object().unwrap().clone(),
            elder_project_id: None,
        })
        .await
        .unwrap();
    assert_eq!(tracker.platform.as_str(), "tracker");
    assert!(
        tracker.id > 3,
        "the id of the deleted config 3 is reused: {}",
        tracker.id
    );

    store.delete_config(1).await.unwrap();
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM sync_mappings").await,
        0,
        "deleting a config still cascades to its mappings"
    );
}
