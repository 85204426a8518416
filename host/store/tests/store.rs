//! The store's behaviour, run identically on SQLite and PostgreSQL.

use std::time::Duration;

use chrono::Utc;
use elder_sync_model::Kind;
use elder_sync_store::both_engines;
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::*;
use serde_json::{Value, json};
use sqlx::Row;

both_engines!(
    reopen_keeps_everything,
    config_secrets_are_encrypted_and_resolvable,
    config_validation,
    config_patch_changes_only_given_fields,
    secrets_need_a_key,
    open_refuses_without_the_key,
    resources_crud_with_outbox,
    resource_filters_and_pagination,
    mappings_lookup_both_sides,
    history_and_conflicts,
    outbox_claim_complete_fail,
    tokens_verify_by_role,
    concurrent_writes_keep_every_version,
    overview_counts,
);

async fn open(db: &TestDb) -> Store {
    Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .expect("open")
}

fn github(name: &str) -> NewSyncConfig {
    serde_json::from_value(json!({
        "name": name,
        "platform": "github",
        "webhook_secret": "whsec-PLAIN",
        "config_json": {"api_token": "ghp_PLAINTEXT", "owner": "acme", "repo": "widgets"}
    }))
    .unwrap()
}

fn issue(title: &str) -> NewResource {
    NewResource {
        title: title.into(),
        ..Default::default()
    }
}

async fn reopen_keeps_everything(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let cfg = store.create_config(&github("gh")).await.unwrap();
    let iss = store
        .create_resource(Kind::Issue, &issue("persist me"))
        .await
        .unwrap();
    let (_, token) = store.create_token(Role::Admin).await.unwrap();
    store.close().await;

    let store = open(&db).await; // migrations run again: idempotent
    assert_eq!(store.get_config(cfg.id).await.unwrap().name, "gh");
    assert_eq!(
        store.get_resource(Kind::Issue, iss.id).await.unwrap().title,
        "persist me"
    );
    assert_eq!(store.verify_token(&token).await.unwrap(), Some(Role::Admin));
    let resolved = store.resolve_config(cfg.id).await.unwrap();
    assert_eq!(resolved.secrets["api_token"], "ghp_PLAINTEXT");
}

async fn config_secrets_are_encrypted_and_resolvable(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    // PATH is always set: a custom reference prefix lets the test name it.
    let store = open(&db).await.with_secret_env_prefix("PAT");
    let mut new = github("gh");
    new.config_json
        .insert("password".into(), json!({"env": "PATH"}));
    let cfg = store.create_config(&new).await.unwrap();

    let shown = serde_json::to_string(&cfg).unwrap();
    assert!(
        !shown.contains("PLAIN"),
        "secret leaked into the view: {shown}"
    );
    assert!(cfg.secrets["api_token"].set);
    assert_eq!(cfg.secrets["password"].source, SecretSource::Env);
    assert!(cfg.webhook_secret.as_ref().unwrap().set);
    assert_eq!(cfg.config_json.get("repo"), Some(&json!("widgets")));
    assert!(cfg.config_json.get("api_token").is_none());

    let row = sqlx::query("SELECT config_json, webhook_secret FROM sync_configs")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let raw: String = row.get("config_json");
    let hook: String = row.get("webhook_secret");
    assert!(
        !raw.contains("PLAIN") && !hook.contains("PLAIN"),
        "stored in clear: {raw} {hook}"
    );

    let resolved = store.resolve_config(cfg.id).await.unwrap();
    assert_eq!(resolved.secrets["api_token"], "ghp_PLAINTEXT");
    assert_eq!(resolved.secrets["password"], std::env::var("PATH").unwrap());
    assert_eq!(resolved.webhook_secret.as_deref(), Some("whsec-PLAIN"));
    assert!(!format!("{resolved:?}").contains("PLAIN"));
}

async fn config_validation(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    store.create_config(&github("gh")).await.unwrap();
    assert!(matches!(
        store.create_config(&github("gh")).await,
        Err(StoreError::Conflict(_))
    ));
    let field_of = |e: StoreError| match e {
        StoreError::Invalid { field, .. } => field,
        e => panic!("expected Invalid, got {e}"),
    };
    let mut bad = github("x");
    bad.platform = "Bit Bucket".into();
    assert_eq!(
        field_of(store.create_config(&bad).await.unwrap_err()),
        "platform"
    );
    let mut bad = github("x");
    bad.config_json.remove("repo");
    let needs_repo = ConfigRequirements {
        required: vec![RequiredKey {
            key: "repo".into(),
            alternatives: vec![],
        }],
        ..ConfigRequirements::none()
    };
    let refused = store
        .create_config_generating(&bad, WebhookSecretForm::Plain, &needs_repo)
        .await
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "invalid config_json.repo: github requires repo"
    );
    assert!(
        store
            .list_configs()
            .await
            .unwrap()
            .iter()
            .all(|c| c.name != "x")
    );
    let mut bad = github("x");
    bad.sync_interval = 5;
    assert_eq!(
        field_of(store.create_config(&bad).await.unwrap_err()),
        "sync_interval"
    );
    let mut bad = github("x");
    bad.batch_size = 0;
    assert_eq!(
        field_of(store.create_config(&bad).await.unwrap_err()),
        "batch_size"
    );
    let mut bad = github("x");
    bad.elder_project_id = Some(999);
    assert_eq!(
        field_of(store.create_config(&bad).await.unwrap_err()),
        "elder_project_id"
    );
    assert_eq!(store.list_configs().await.unwrap().len(), 1);
}

async fn config_patch_changes_only_given_fields(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let cfg = store.create_config(&github("gh")).await.unwrap();
    let patch: SyncConfigPatch = serde_json::from_value(json!({
        "sync_interval": 600,
        "config_json": {"repo": "gadgets", "owner": null, "org": "acme-org"}
    }))
    .unwrap();
    let out = store.update_config(cfg.id, &patch).await.unwrap();
    assert_eq!(out.sync_interval, 600);
    assert_eq!(out.name, "gh");
    assert_eq!(out.config_json.get("repo"), Some(&json!("gadgets")));
    assert!(out.config_json.get("owner").is_none());
    assert!(out.secrets["api_token"].set, "untouched secret stays");
    assert!(out.updated_at >= cfg.updated_at);

    let drop_repo: SyncConfigPatch =
        serde_json::from_value(json!({"config_json": {"repo": null}})).unwrap();
    let needs_repo = ConfigRequirements {
        required: vec![RequiredKey {
            key: "repo".into(),
            alternatives: vec![],
        }],
        ..ConfigRequirements::none()
    };
    let refused = store
        .update_config_generating(cfg.id, &drop_repo, WebhookSecretForm::Plain, &needs_repo)
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::Invalid { field, .. } if field == "config_json.repo"));
    let kept = store.get_config(cfg.id).await.unwrap();
    assert_eq!(kept.config_json.get("repo"), Some(&json!("gadgets")));
    // Webhooks on need a secret: clearing it alone is refused, clearing it while turning
    // webhooks off works.
    let clear_hook: SyncConfigPatch =
        serde_json::from_value(json!({"webhook_secret": null})).unwrap();
    assert!(matches!(
        store.update_config(cfg.id, &clear_hook).await,
        Err(StoreError::Invalid { field, .. }) if field == "webhook_secret"
    ));
    let clear_and_off: SyncConfigPatch =
        serde_json::from_value(json!({"webhook_secret": null, "webhook_enabled": false})).unwrap();
    assert!(
        store
            .update_config(cfg.id, &clear_and_off)
            .await
            .unwrap()
            .webhook_secret
            .is_none()
    );
    assert!(matches!(
        store.update_config(9999, &SyncConfigPatch::default()).await,
        Err(StoreError::NotFound(_))
    ));
    store.delete_config(cfg.id).await.unwrap();
    assert!(matches!(
        store.get_config(cfg.id).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn secrets_need_a_key(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = Store::open_with(&db.url, None).await.unwrap();
    assert!(matches!(
        store.create_config(&github("gh")).await,
        Err(StoreError::MissingSecretKey)
    ));
    let by_ref: NewSyncConfig = serde_json::from_value(json!({
        "name": "env", "platform": "gitlab", "webhook_enabled": false,
        "config_json": {"api_token": {"env": "ELDER_SECRET_TEST_DEFINITELY_UNSET"}, "project_id": 42}
    }))
    .unwrap();
    let cfg = store.create_config(&by_ref).await.unwrap();
    assert_eq!(cfg.unresolved_secret_refs(), vec!["api_token".to_string()]);
    assert!(matches!(
        store.resolve_config(cfg.id).await,
        Err(StoreError::UnresolvedSecret { .. })
    ));
    let overview = store.sync_overview().await.unwrap();
    assert_eq!(
        overview.configs[0].unresolved_secret_refs,
        vec!["api_token".to_string()]
    );
}

async fn open_refuses_without_the_key(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    store.create_config(&github("gh")).await.unwrap();
    store.close().await;
    assert!(matches!(
        Store::open_with(&db.url, None).await,
        Err(StoreError::SecretsLocked)
    ));
    let other = SecretBox::from_base64("Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=").unwrap();
    assert!(matches!(
        Store::open_with(&db.url, Some(other)).await,
        Err(StoreError::WrongSecretKey)
    ));
}

async fn outbox_ops(store: &Store) -> Vec<(OutboxOperation, i64)> {
    let mut rows = store.list_outbox(None, 100).await.unwrap();
    rows.reverse();
    rows.iter().map(|e| (e.operation, e.version)).collect()
}

async fn resources_crud_with_outbox(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let project = store
        .create_resource(Kind::Project, &issue("Apollo"))
        .await
        .unwrap();
    let new = NewResource {
        title: "Crash on save".into(),
        description: "**boom**".into(),
        labels: vec!["bug".into()],
        assignees: vec!["ann".into()],
        project_id: Some(project.id),
        ..Default::default()
    };
    let iss = store.create_resource(Kind::Issue, &new).await.unwrap();
    assert_eq!((iss.version, iss.status), (1, ResourceStatus::Open));
    assert_eq!(iss.kind, Kind::Issue);

    let close = ResourcePatch {
        status: Some(ResourceStatus::Closed),
        expected_version: Some(1),
        ..Default::default()
    };
    let closed = store
        .update_resource(Kind::Issue, iss.id, &close)
        .await
        .unwrap();
    assert_eq!((closed.version, closed.status), (2, ResourceStatus::Closed));
    assert!(closed.closed_at.is_some());
    assert_eq!(closed.title, "Crash on save", "unpatched fields stay");
    assert!(matches!(
        store.update_resource(Kind::Issue, iss.id, &close).await,
        Err(StoreError::Conflict(_))
    ));
    let retitle = ResourcePatch {
        title: Some("Crash on save (v2)".into()),
        project_id: Some(None),
        ..Default::default()
    };
    let r = store
        .update_resource(Kind::Issue, iss.id, &retitle)
        .await
        .unwrap();
    assert_eq!((r.version, r.project_id), (3, None));
    let bad_ref = ResourcePatch {
        milestone_id: Some(Some(12345)),
        ..Default::default()
    };
    match store.update_resource(Kind::Issue, iss.id, &bad_ref).await {
        Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "milestone_id"),
        other => panic!("{other:?}"),
    }
    let empty_title = ResourcePatch {
        title: Some("  ".into()),
        ..Default::default()
    };
    assert!(matches!(
        store
            .update_resource(Kind::Issue, iss.id, &empty_title)
            .await,
        Err(StoreError::Invalid { .. })
    ));

    let deleted = store.delete_resource(Kind::Issue, iss.id).await.unwrap();
    assert_eq!(deleted.version, 4);
    assert!(matches!(
        store.get_resource(Kind::Issue, iss.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.delete_resource(Kind::Issue, iss.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.get_resource(Kind::Label, iss.id).await,
        Err(StoreError::NotFound(_))
    ));

    assert_eq!(
        outbox_ops(&store).await,
        vec![
            (OutboxOperation::Create, 1), // the project
            (OutboxOperation::Create, 1),
            (OutboxOperation::Close, 2),
            (OutboxOperation::Update, 3),
            (OutboxOperation::Delete, 4),
        ]
    );
    let last = &store.list_outbox(None, 1).await.unwrap()[0];
    assert_eq!(last.snapshot["title"], json!("Crash on save (v2)"));
    assert_eq!(last.resource_type, Kind::Issue);
}

async fn resource_filters_and_pagination(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    for i in 0..25 {
        let new = NewResource {
            title: format!("Issue {i:02}"),
            labels: if i % 5 == 0 {
                vec!["bug".into()]
            } else {
                vec!["bugfix".into()]
            },
            status: Some(if i % 2 == 0 {
                ResourceStatus::Open
            } else {
                ResourceStatus::Closed
            }),
            ..Default::default()
        };
        store.create_resource(Kind::Issue, &new).await.unwrap();
    }
    let all = ResourceFilter::default();
    let p = store
        .list_resources(
            Kind::Issue,
            &all,
            PageRequest::new(Some(3), Some(10)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!((p.total, p.pages, p.items.len()), (25, 3, 5));
    assert_eq!(p.items[0].title, "Issue 20");
    let beyond = store
        .list_resources(
            Kind::Issue,
            &all,
            PageRequest::new(Some(4), Some(10)).unwrap(),
        )
        .await
        .unwrap();
    assert!(beyond.items.is_empty() && beyond.total == 25);

    let bug = ResourceFilter {
        label: Some("bug".into()),
        ..Default::default()
    };
    let p = store
        .list_resources(Kind::Issue, &bug, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(p.total, 5, "exact label match, not a prefix");
    let open = ResourceFilter {
        status: Some(ResourceStatus::Open),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_resources(Kind::Issue, &open, PageRequest::default())
            .await
            .unwrap()
            .total,
        13
    );
    let q = ResourceFilter {
        q: Some("issue 1".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_resources(Kind::Issue, &q, PageRequest::default())
            .await
            .unwrap()
            .total,
        10
    );
    let pct = ResourceFilter {
        q: Some("%".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_resources(Kind::Issue, &pct, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        store
            .list_resources(Kind::Label, &all, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
}

fn mapping(config: i64, elder_id: i64, ext: &str) -> MappingUpsert {
    MappingUpsert {
        sync_config_id: config,
        elder_type: Kind::Issue,
        elder_id,
        external_platform: "github".into(),
        external_id: ext.into(),
        sync_status: SyncStatus::Synced,
        sync_method: SyncMethod::Webhook,
        last_synced_at: Some(Utc::now()),
        elder_updated_at: None,
        external_updated_at: None,
        base_snapshot: Some(json!({"title": "t"})),
        last_write_fingerprint: Some("fp1".into()),
    }
}

async fn mappings_lookup_both_sides(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let cfg = store.create_config(&github("gh")).await.unwrap();
    let m = store
        .upsert_mapping(&mapping(cfg.id, 1, "101"))
        .await
        .unwrap();
    let by_ext = store
        .find_mapping_by_external(cfg.id, Kind::Issue, "101")
        .await
        .unwrap()
        .unwrap();
    let by_elder = store
        .find_mapping_by_elder(cfg.id, Kind::Issue, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((by_ext.id, by_elder.id), (m.id, m.id));
    assert_eq!(by_ext.base_snapshot, Some(json!({"title": "t"})));
    assert!(
        store
            .find_mapping_by_external(cfg.id, Kind::Label, "101")
            .await
            .unwrap()
            .is_none()
    );

    let mut again = mapping(cfg.id, 1, "101");
    again.last_write_fingerprint = Some("fp2".into());
    let updated = store.upsert_mapping(&again).await.unwrap();
    assert_eq!(
        (updated.id, updated.last_write_fingerprint.as_deref()),
        (m.id, Some("fp2"))
    );

    assert!(matches!(
        store.upsert_mapping(&mapping(cfg.id, 2, "101")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.upsert_mapping(&mapping(777, 2, "102")).await,
        Err(StoreError::Invalid { .. })
    ));
    store
        .upsert_mapping(&mapping(cfg.id, 2, "102"))
        .await
        .unwrap();
    let filter = MappingFilter {
        config_id: Some(cfg.id),
        elder_type: Some(Kind::Issue),
    };
    let page = store
        .list_mappings(&filter, PageRequest::new(Some(1), Some(1)).unwrap())
        .await
        .unwrap();
    assert_eq!((page.total, page.pages, page.items.len()), (2, 2, 1));
    let labels = MappingFilter {
        config_id: None,
        elder_type: Some(Kind::Label),
    };
    assert_eq!(
        store
            .list_mappings(&labels, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
}

async fn history_and_conflicts(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let cfg = store.create_config(&github("gh")).await.unwrap();
    for (i, ty) in ["poll", "webhook", "poll"].iter().enumerate() {
        store
            .insert_history(&NewHistory {
                sync_config_id: cfg.id,
                correlation_id: uuid::Uuid::new_v4(),
                sync_type: ty.to_string(),
                items_synced: i as i64,
                items_failed: 0,
                started_at: Utc::now() + chrono::Duration::seconds(i as i64),
                completed_at: None,
                success: true,
                error_message: None,
                sync_metadata: json!({"n": i}),
            })
            .await
            .unwrap();
    }
    let all = store
        .list_history(&HistoryFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        all.items.iter().map(|h| h.items_synced).collect::<Vec<_>>(),
        vec![2, 1, 0]
    );
    let polls = HistoryFilter {
        config_id: Some(cfg.id),
        sync_type: Some("poll".into()),
        ..HistoryFilter::default()
    };
    assert_eq!(
        store
            .list_history(&polls, PageRequest::default())
            .await
            .unwrap()
            .total,
        2
    );
    let done = store
        .finish_history(
            all.items[0].id,
            Utc::now(),
            5,
            1,
            Some("rate limited"),
            &json!({"by_kind": {"issue": {"updated": 5, "failed": 1}}}),
        )
        .await
        .unwrap();
    assert!(!done.success && done.completed_at.is_some());
    assert_eq!(done.sync_metadata["by_kind"]["issue"]["updated"], 5);
    let outcome = |success| HistoryFilter {
        success: Some(success),
        ..HistoryFilter::default()
    };
    let failed = store
        .list_history(&outcome(false), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        failed.items.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![done.id]
    );
    let succeeded = store
        .list_history(&outcome(true), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(succeeded.total, 2);

    let m = store
        .upsert_mapping(&mapping(cfg.id, 1, "101"))
        .await
        .unwrap();
    let c = store
        .insert_conflict(&NewConflict {
            mapping_id: m.id,
            conflict_type: ConflictType::FieldMismatch,
            elder_data: json!({"title": "a"}),
            external_data: json!({"title": "b"}),
        })
        .await
        .unwrap();
    assert_eq!(
        store.get_mapping(m.id).await.unwrap().sync_status,
        SyncStatus::Conflict
    );
    assert_eq!(
        store
            .list_conflicts(Some(false), PageRequest::default())
            .await
            .unwrap()
            .total,
        1
    );
    let r = store
        .resolve_conflict(
            c.id,
            ResolutionStrategy::Merge,
            Some(json!({"title": "ab"})),
            "admin",
        )
        .await
        .unwrap();
    assert!(r.resolved && r.resolved_at.is_some());
    assert_eq!(r.resolution_strategy, Some(ResolutionStrategy::Merge));
    assert!(matches!(
        store
            .resolve_conflict(c.id, ResolutionStrategy::Manual, None, "admin")
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .resolve_conflict(999, ResolutionStrategy::Manual, None, "admin")
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .list_conflicts(Some(false), PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        store
            .list_conflicts(Some(true), PageRequest::default())
            .await
            .unwrap()
            .total,
        1
    );
}

async fn outbox_claim_complete_fail(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    for i in 0..3 {
        store
            .create_resource(Kind::Label, &issue(&format!("l{i}")))
            .await
            .unwrap();
    }
    let lease = Duration::from_secs(60);
    let first = store.claim_outbox(2, lease, "r1").await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|e| e.attempts == 1));
    let second = store.claim_outbox(10, lease, "r1").await.unwrap();
    assert_eq!(second.len(), 1, "claimed rows are leased away");
    assert!(
        store
            .claim_outbox(10, lease, "r1")
            .await
            .unwrap()
            .is_empty()
    );

    store.complete_outbox(first[0].id).await.unwrap();
    store
        .fail_outbox(
            first[1].id,
            "HTTP 500",
            Some(Utc::now() - chrono::Duration::seconds(1)),
            None,
        )
        .await
        .unwrap();
    store
        .fail_outbox(second[0].id, "HTTP 422: poison", None, None)
        .await
        .unwrap();
    let retry = store.claim_outbox(10, lease, "r1").await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!((retry[0].id, retry[0].attempts), (first[1].id, 2));
    assert_eq!(retry[0].last_error.as_deref(), Some("HTTP 500"));
    let errors = store
        .list_outbox(Some(OutboxStatus::Error), 10)
        .await
        .unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        store
            .list_outbox(Some(OutboxStatus::Done), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        store.complete_outbox(999).await,
        Err(StoreError::NotFound(_))
    ));

    let expired = store.claim_outbox(10, Duration::ZERO, "r1").await.unwrap();
    assert!(expired.is_empty(), "the retried row is still leased");
}

async fn tokens_verify_by_role(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let (admin, plain) = store.create_token(Role::Admin).await.unwrap();
    let (_, ro) = store.create_token(Role::ReadOnly).await.unwrap();
    assert_eq!(store.verify_token(&plain).await.unwrap(), Some(Role::Admin));
    assert_eq!(store.verify_token(&ro).await.unwrap(), Some(Role::ReadOnly));
    assert_eq!(store.verify_token("est_nope").await.unwrap(), None);
    assert_eq!(store.verify_token("").await.unwrap(), None);
    let hashes: Vec<String> = sqlx::query("SELECT token_hash FROM api_tokens")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("token_hash"))
        .collect();
    assert!(
        hashes
            .iter()
            .all(|h| h != &plain && !h.contains(&plain[4..]))
    );
    assert_eq!(
        store.active_token(admin.id).await.unwrap().map(|t| t.role),
        Some(Role::Admin)
    );
    store.revoke_token(admin.id).await.unwrap();
    assert_eq!(store.verify_token(&plain).await.unwrap(), None);
    assert_eq!(store.active_token(admin.id).await.unwrap(), None);
    assert_eq!(store.list_tokens().await.unwrap().len(), 2);
}

async fn concurrent_writes_keep_every_version(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let iss = store
        .create_resource(Kind::Issue, &issue("hot"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let patch = ResourcePatch {
                description: Some(format!("writer {i}")),
                ..Default::default()
            };
            store
                .update_resource(Kind::Issue, iss.id, &patch)
                .await
                .unwrap();
            store
                .create_resource(Kind::Issue, &issue(&format!("new {i}")))
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let after = store.get_resource(Kind::Issue, iss.id).await.unwrap();
    assert_eq!(after.version, 17, "every update applied exactly once");
    let all = store
        .list_resources(
            Kind::Issue,
            &ResourceFilter::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(all.total, 17);
    let versions: Vec<i64> = store
        .list_outbox(None, 100)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.resource_id == iss.id && e.operation == OutboxOperation::Update)
        .map(|e| e.version)
        .collect();
    let mut sorted = versions.clone();
    sorted.sort();
    assert_eq!(sorted, (2..=17).collect::<Vec<_>>());
}

async fn overview_counts(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let store = open(&db).await;
    let cfg = store.create_config(&github("gh")).await.unwrap();
    let mut off = github("off");
    off.enabled = false;
    store.create_config(&off).await.unwrap();
    store
        .mark_config_synced(cfg.id, Utc::now(), false)
        .await
        .unwrap();
    store
        .insert_history(&NewHistory {
            sync_config_id: cfg.id,
            correlation_id: uuid::Uuid::new_v4(),
            sync_type: "poll".into(),
            items_synced: 1,
            items_failed: 1,
            started_at: Utc::now(),
            completed_at: Some(Utc::now()),
            success: false,
            error_message: Some("boom".into()),
            sync_metadata: Value::Null,
        })
        .await
        .unwrap();
    store
        .upsert_mapping(&mapping(cfg.id, 1, "1"))
        .await
        .unwrap();
    let o = store.sync_overview().await.unwrap();
    assert_eq!((o.configs_total, o.configs_enabled), (2, 1));
    assert_eq!(
        (o.syncs_last_24h, o.failures_last_24h, o.mappings_total),
        (1, 1, 1)
    );
    assert_eq!(o.unresolved_conflicts, 0);
    assert!(
        o.configs
            .iter()
            .find(|c| c.id == cfg.id)
            .unwrap()
            .last_sync_at
            .is_some()
    );
}
