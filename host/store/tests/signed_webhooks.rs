//! Issue 11 in the store, on SQLite and PostgreSQL: a config with webhooks on always has a
//! webhook secret (refused without one, or generated when asked), blank and short `whsec_`
//! secrets are refused, migration 0003 turns webhooks off for old rows without a secret and
//! says why in the status, refused deliveries are counted per config, and completed work
//! older than the retention is pruned while failed and pending work is kept.

use elder_sync_store::both_engines;
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::*;
use serde_json::{Value, json};
use sqlx::{Executor, Row};

both_engines!(
    webhooks_on_without_a_secret_is_refused,
    a_secret_is_generated_when_asked_and_resolves,
    blank_and_short_whsec_secrets_are_refused,
    migration_0003_turns_off_webhooks_without_a_secret,
    refused_deliveries_are_counted_per_config,
    prune_keeps_failed_and_recent_work,
    stored_env_refs_to_service_settings_never_resolve,
);

async fn open(db: &TestDb) -> Store {
    Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .expect("open")
}

fn config(name: &str, extra: Value) -> NewSyncConfig {
    let mut v = json!({
        "name": name,
        "platform": "github",
        "config_json": {"api_token": "ghp_PLAINTEXT", "owner": "acme", "repo": "widgets"}
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).unwrap()
}

fn field_of(e: StoreError) -> String {
    match e {
        StoreError::Invalid { field, .. } => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn webhooks_on_without_a_secret_is_refused(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let err = store
        .create_config(&config("a", json!({})))
        .await
        .unwrap_err();
    assert_eq!(field_of(err), "webhook_secret");
    assert!(store.list_configs().await.unwrap().is_empty());

    // Webhooks off needs no secret; turning them on without one is refused.
    let off = store
        .create_config(&config("b", json!({"webhook_enabled": false})))
        .await
        .unwrap();
    let on: SyncConfigPatch = serde_json::from_value(json!({"webhook_enabled": true})).unwrap();
    let err = store.update_config(off.id, &on).await.unwrap_err();
    assert_eq!(field_of(err), "webhook_secret");
    // Removing the secret of a config with webhooks on is refused too.
    let with = store
        .create_config(&config("c", json!({"webhook_secret": "s3cret-value"})))
        .await
        .unwrap();
    let drop: SyncConfigPatch = serde_json::from_value(json!({"webhook_secret": null})).unwrap();
    let err = store.update_config(with.id, &drop).await.unwrap_err();
    assert_eq!(field_of(err), "webhook_secret");
}

async fn a_secret_is_generated_when_asked_and_resolves(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let written = store
        .create_config_generating(
            &config("a", json!({})),
            WebhookSecretForm::Plain,
            &ConfigRequirements::none(),
        )
        .await
        .unwrap();
    let secret = written
        .generated_webhook_secret
        .expect("a generated secret");
    assert!(secret.len() >= 43, "32 random bytes, base64: {secret}");
    assert!(written.config.webhook_secret.as_ref().unwrap().set);
    let rc = store.resolve_config(written.config.id).await.unwrap();
    assert_eq!(rc.webhook_secret.as_deref(), Some(secret.as_str()));
    // Stored encrypted: the plaintext is nowhere in the row.
    let row = sqlx::query("SELECT webhook_secret FROM sync_configs WHERE id = $1")
        .bind(written.config.id)
        .fetch_one(&raw_pool(&db).await)
        .await
        .unwrap();
    let stored: String = row.try_get("webhook_secret").unwrap();
    assert!(!stored.contains(&secret), "{stored}");

    let whsec = store
        .create_config_generating(
            &config("b", json!({})),
            WebhookSecretForm::StandardWebhooks,
            &ConfigRequirements::none(),
        )
        .await
        .unwrap()
        .generated_webhook_secret
        .unwrap();
    assert!(whsec.starts_with("whsec_"), "{whsec}");

    // A given secret is kept, nothing generated; webhooks off generates nothing.
    let given = store
        .create_config_generating(
            &config("c", json!({"webhook_secret": "operator-chosen"})),
            WebhookSecretForm::Plain,
            &ConfigRequirements::none(),
        )
        .await
        .unwrap();
    assert!(given.generated_webhook_secret.is_none());
    let off = store
        .create_config_generating(
            &config("d", json!({"webhook_enabled": false})),
            WebhookSecretForm::Plain,
            &ConfigRequirements::none(),
        )
        .await
        .unwrap();
    assert!(off.generated_webhook_secret.is_none());
    assert!(off.config.webhook_secret.is_none());

    // Turning webhooks on by PATCH generates one.
    let on: SyncConfigPatch = serde_json::from_value(json!({"webhook_enabled": true})).unwrap();
    let patched = store
        .update_config_generating(
            off.config.id,
            &on,
            WebhookSecretForm::Plain,
            &ConfigRequirements::none(),
        )
        .await
        .unwrap();
    let generated = patched
        .generated_webhook_secret
        .expect("generated on patch");
    let rc = store.resolve_config(off.config.id).await.unwrap();
    assert_eq!(rc.webhook_secret.as_deref(), Some(generated.as_str()));
    // A later patch does not generate another.
    let rename: SyncConfigPatch = serde_json::from_value(json!({"name": "d2"})).unwrap();
    let again = store
        .update_config_generating(
            off.config.id,
            &rename,
            WebhookSecretForm::Plain,
            &ConfigRequirements::none(),
        )
        .await
        .unwrap();
    assert!(again.generated_webhook_secret.is_none());
}

async fn blank_and_short_whsec_secrets_are_refused(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    for (i, bad) in ["", "   ", "whsec_", "whsec_AAAAAAAA", "whsec_%%%"]
        .into_iter()
        .enumerate()
    {
        let err = store
            .create_config(&config(&format!("c{i}"), json!({"webhook_secret": bad})))
            .await
            .unwrap_err();
        assert_eq!(field_of(err), "webhook_secret", "{bad:?}");
    }
    let good = store
        .create_config(&config(
            "ok",
            json!({"webhook_secret": "whsec_AAECAwQFBgcICQoLDA0ODw=="}),
        ))
        .await
        .unwrap();
    let short: SyncConfigPatch =
        serde_json::from_value(json!({"webhook_secret": "whsec_AAAA"})).unwrap();
    let err = store.update_config(good.id, &short).await.unwrap_err();
    assert_eq!(field_of(err), "webhook_secret");
}

async fn raw_pool(db: &TestDb) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap()
}

/// The migrations of `engine` up to and including 0002 (the schema before issue 11).
fn migrations_before_0003(engine: TestEngine) -> sqlx::migrate::Migrator {
    let all = match engine {
        TestEngine::Sqlite => sqlx::migrate!("../../migrations/sqlite"),
        TestEngine::Postgres => sqlx::migrate!("../../migrations/postgres"),
    };
    let old: Vec<_> = all
        .migrations
        .iter()
        .filter(|m| m.version <= 2)
        .cloned()
        .collect();
    assert_eq!(old.len(), 2);
    sqlx::migrate::Migrator {
        migrations: old.into(),
        ..all
    }
}

async fn migration_0003_turns_off_webhooks_without_a_secret(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let pool = raw_pool(&db).await;
    migrations_before_0003(engine).run(&pool).await.unwrap();
    let insert = |name: &str, enabled: bool, secret: Option<&str>| {
        let secret = secret.map_or("NULL".to_string(), |s| format!("'{s}'"));
        let flag = if enabled { "TRUE" } else { "FALSE" };
        format!(
            "INSERT INTO sync_configs (name, platform, webhook_enabled, webhook_secret, config_json, created_at, updated_at) \
             VALUES ('{name}', 'github', {flag}, {secret}, '{{\"owner\": \"acme\", \"repo\": \"w\", \"api_token\": {{\"env\": \"GH_TOKEN\"}}}}', 1, 1)"
        )
    };
    pool.execute(insert("open-door", true, None).as_str())
        .await
        .unwrap();
    pool.execute(insert("signed", true, Some(r#"{"env": "GH_HOOK"}"#)).as_str())
        .await
        .unwrap();
    pool.execute(insert("already-off", false, None).as_str())
        .await
        .unwrap();
    pool.close().await;

    let store = open(&db).await;
    let configs = store.list_configs().await.unwrap();
    let by_name = |n: &str| configs.iter().find(|c| c.name == n).unwrap().clone();
    assert!(!by_name("open-door").webhook_enabled, "turned off");
    assert!(
        by_name("signed").webhook_enabled,
        "a config with a secret keeps webhooks"
    );
    assert!(!by_name("already-off").webhook_enabled);
    assert_eq!(by_name("open-door").config_json["repo"], "w", "data kept");

    let overview = store.sync_overview().await.unwrap();
    let status = |n: &str| {
        overview
            .configs
            .iter()
            .find(|c| c.name == n)
            .unwrap()
            .clone()
    };
    let why = status("open-door")
        .webhooks_disabled_reason
        .expect("a reason");
    assert!(why.contains("no webhook_secret"), "{why}");
    assert_eq!(
        status("open-door").webhooks.reason.as_deref(),
        Some(why.as_str())
    );
    assert!(status("signed").webhooks_disabled_reason.is_none());
    assert!(status("already-off").webhooks_disabled_reason.is_none());

    // Turning webhooks on again with a secret clears the note.
    let on: SyncConfigPatch = serde_json::from_value(
        json!({"webhook_enabled": true, "webhook_secret": "now-a-real-secret"}),
    )
    .unwrap();
    store
        .update_config(by_name("open-door").id, &on)
        .await
        .unwrap();
    let overview = store.sync_overview().await.unwrap();
    let entry = overview
        .configs
        .iter()
        .find(|c| c.name == "open-door")
        .unwrap();
    assert!(entry.webhooks_disabled_reason.is_none());
    assert_eq!(entry.webhooks.health, "healthy");
}

async fn refused_deliveries_are_counted_per_config(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let a = store
        .create_config(&config("a", json!({"webhook_secret": "s3cret-value"})))
        .await
        .unwrap();
    let b = store
        .create_config(&config("b", json!({"webhook_secret": "s3cret-value"})))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .record_webhook_rejection(a.id, "bad_signature", 1_700_000_000_000 + i)
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let overview = store.sync_overview().await.unwrap();
    let get = |id: i64| overview.configs.iter().find(|c| c.id == id).unwrap();
    assert_eq!(get(a.id).webhooks.rejected_deliveries, 10);
    assert!(get(a.id).webhooks.last_rejected_at.is_some());
    assert_eq!(
        get(a.id).webhooks.health,
        "healthy",
        "refusals are not health"
    );
    assert_eq!(get(b.id).webhooks.rejected_deliveries, 0);
    assert!(get(b.id).webhooks.last_rejected_at.is_none());
}

async fn prune_keeps_failed_and_recent_work(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let c = store
        .create_config(&config("a", json!({"webhook_secret": "s3cret-value"})))
        .await
        .unwrap();
    let pool = raw_pool(&db).await;
    let day = 24 * 3600 * 1000_i64;
    let now = chrono::Utc::now().timestamp_millis();
    let old = now - 20 * day;
    let recent = now - day;
    // Inbox: (delivery id, status, processed_at)
    for (id, status, at) in [
        ("old-done", "done", Some(old)),
        ("recent-done", "done", Some(recent)),
        ("old-error", "error", None),
        ("old-pending", "pending", None),
    ] {
        sqlx::query(
            "INSERT INTO webhook_inbox (sync_config_id, delivery_id, headers, body, received_at, status, next_attempt_at, processed_at) \
             VALUES ($1, $2, '[]', $3, $4, $5, $4, $6)",
        )
        .bind(c.id)
        .bind(id)
        .bind(b"{}".to_vec())
        .bind(old)
        .bind(status)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    }
    // Outbox: a done row's next_attempt_at is when it was sent.
    for (status, at) in [
        ("done", old),
        ("done", recent),
        ("error", old),
        ("pending", old),
    ] {
        sqlx::query(
            "INSERT INTO outbox (resource_type, resource_id, operation, snapshot, version, created_at, status, next_attempt_at) \
             VALUES ('issue', 1, 'update', '{}', 1, $1, $2, $3)",
        )
        .bind(old)
        .bind(status)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    }
    // History: finished long ago, finished recently, still running (started long ago).
    for (corr, completed) in [
        ("old", Some(old)),
        ("recent", Some(recent)),
        ("running", None),
    ] {
        sqlx::query(
            "INSERT INTO sync_history (sync_config_id, correlation_id, sync_type, started_at, completed_at) \
             VALUES ($1, $2, 'poll', $3, $4)",
        )
        .bind(c.id)
        .bind(corr)
        .bind(old)
        .bind(completed)
        .execute(&pool)
        .await
        .unwrap();
    }

    let pruned = store.prune_completed(now - 14 * day).await.unwrap();
    assert_eq!(
        pruned,
        Pruned {
            inbox: 1,
            outbox: 1,
            history: 1
        }
    );
    let ids = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
            rows.iter()
                .map(|r| r.try_get::<String, _>(0).unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        ids("SELECT delivery_id FROM webhook_inbox ORDER BY id").await,
        ["recent-done", "old-error", "old-pending"]
    );
    assert_eq!(
        ids("SELECT status FROM outbox ORDER BY id").await,
        ["done", "error", "pending"]
    );
    assert_eq!(
        ids("SELECT correlation_id FROM sync_history ORDER BY id").await,
        ["recent", "running"]
    );
    // A second prune finds nothing more.
    assert_eq!(
        store.prune_completed(now - 14 * day).await.unwrap().total(),
        0
    );
}

/// A reference to the service's own settings stored before the prefix rule (or written
/// behind the API's back) is refused when the config is resolved for a run, not read.
async fn stored_env_refs_to_service_settings_never_resolve(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let cfg = store
        .create_config(&config(
            "old-row",
            json!({
                "webhook_enabled": false,
                "config_json": {"api_token": {"env": "ELDER_SECRET_OLD_ROW"}, "owner": "acme", "repo": "widgets"}
            }),
        ))
        .await
        .unwrap();
    for var in ["DATABASE_URL", "ELDER_SECRET_KEY", "HOME"] {
        let stored = json!({"api_token": {"env": var}, "owner": "acme", "repo": "widgets"});
        store
            .pool()
            .execute(
                sqlx::query("UPDATE sync_configs SET config_json = $1 WHERE id = $2")
                    .bind(stored.to_string())
                    .bind(cfg.id),
            )
            .await
            .unwrap();
        match store.resolve_config(cfg.id).await {
            Err(StoreError::ForbiddenSecretRef { key, var: named }) => {
                assert_eq!(key, "api_token");
                assert_eq!(named, var);
            }
            other => panic!(
                "{var}: expected a refusal, got {:?}",
                other.map(|r| r.secrets)
            ),
        }
    }
}
