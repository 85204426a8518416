//! Every endpoint of /api/v1 on SQLite and PostgreSQL: happy paths, validation errors, auth,
//! pagination edges, secret redaction, concurrent writes and a restart.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Utc;
use common::{Api, SECRET_MARKER, both_engines, err};
use elder_sync_model::Kind;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::*;
use serde_json::{Value, json};

both_engines!(
    configs_crud,
    config_validation_errors,
    malformed_requests,
    auth_failures,
    history_status_and_mappings,
    conflicts_list_and_resolve,
    resources_crud_for_every_kind,
    resource_filters_and_pagination_edges,
    concurrent_writes,
    restart_keeps_everything,
);

fn github_body(name: &str) -> Value {
    json!({
        "name": name,
        "platform": "github",
        "sync_interval": 120,
        "webhook_secret": format!("whsec_{SECRET_MARKER}AAAAAAAAAAAAA"),
        "config_json": {
            "api_token": format!("ghp_{SECRET_MARKER}"),
            "owner": "acme",
            "repo": "widgets"
        }
    })
}

async fn configs_crud(engine: TestEngine) {
    let api = Api::new(engine).await;
    let (st, created) = api.post("/api/v1/sync/configs", github_body("gh")).await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["platform"], "github");
    assert_eq!(created["sync_interval"], 120);
    assert_eq!(created["batch_size"], 100, "default applied");
    assert_eq!(created["two_way_create"], false);
    assert_eq!(created["secrets"]["api_token"]["set"], true);
    assert_eq!(created["webhook_secret"]["set"], true);
    assert!(created["config_json"].get("api_token").is_none());

    let (st, list) = api.get("/api/v1/sync/configs").await;
    assert_eq!((st, list.as_array().unwrap().len()), (StatusCode::OK, 1));
    let (st, one) = api.get(&format!("/api/v1/sync/configs/{id}")).await;
    assert_eq!((st, one["name"].as_str()), (StatusCode::OK, Some("gh")));

    let (st, patched) = api
        .patch(
            &format!("/api/v1/sync/configs/{id}"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{patched}");
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["sync_interval"], 120, "other fields unchanged");
    assert_eq!(patched["secrets"]["api_token"]["set"], true);

    let (st, env_ref) = api
        .post(
            "/api/v1/sync/configs",
            json!({"name": "jira", "platform": "jira", "config_json": {
                "api_token": {"env": "ELDER_SECRET_TEST_UNSET_JIRA_TOKEN"}, "email": "a@b.c",
                "jira_url": "https://x.atlassian.net", "project_key": "PRJ"}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{env_ref}");
    assert_eq!(env_ref["secrets"]["api_token"]["source"], "env");
    assert_eq!(env_ref["secrets"]["api_token"]["resolved"], false);
    let (_, status) = api.get("/api/v1/sync/status").await;
    let jira = status["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "jira")
        .unwrap();
    assert_eq!(jira["unresolved_secret_refs"], json!(["api_token"]));

    let (st, _) = api.delete(&format!("/api/v1/sync/configs/{id}")).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, body) = api.get(&format!("/api/v1/sync/configs/{id}")).await;
    assert_eq!(
        (st, err(&body).0.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (st, _) = api.delete(&format!("/api/v1/sync/configs/{id}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    api.assert_no_secret_leaked();
}

async fn config_validation_errors(engine: TestEngine) {
    let api = Api::new(engine).await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"name": "x", "platform": "bitbucket", "config_json": {}}),
            "platform",
        ),
        (
            json!({"name": "x", "platform": "github", "config_json": {"api_token": "t", "repo": "r"}}),
            "config_json.owner",
        ),
        (
            json!({"name": "x", "platform": "github", "config_json": {"owner": "o", "repo": "r"}}),
            "config_json.api_token",
        ),
        (
            json!({"name": "x", "platform": "gitlab", "config_json": {"api_token": "t"}}),
            "config_json.project_id",
        ),
        (
            json!({"name": "x", "platform": "jira", "config_json": {"api_token": "t", "email": "e", "jira_url": "u"}}),
            "config_json.project_key",
        ),
        (
            json!({"name": "x", "platform": "trello", "config_json": {"api_key": "k", "api_token": "t"}}),
            "config_json.board_id",
        ),
        (
            json!({"name": "x", "platform": "openproject", "config_json": {"api_key": "k", "project_id": 1}}),
            "config_json.base_url",
        ),
        (
            json!({"name": "x", "platform": "gitlab", "sync_interval": 1, "config_json": {"api_token": "t", "project_id": 1}}),
            "sync_interval",
        ),
        (
            json!({"name": "x", "platform": "gitlab", "sync_interval": 100000, "config_json": {"api_token": "t", "project_id": 1}}),
            "sync_interval",
        ),
        (
            json!({"name": "x", "platform": "gitlab", "batch_size": 0, "config_json": {"api_token": "t", "project_id": 1}}),
            "batch_size",
        ),
        (
            json!({"name": "x", "platform": "gitlab", "batch_size": 5000, "config_json": {"api_token": "t", "project_id": 1}}),
            "batch_size",
        ),
        (
            json!({"name": " ", "platform": "gitlab", "config_json": {"api_token": "t", "project_id": 1}}),
            "name",
        ),
        (
            json!({"name": "x", "platform": "gitlab", "config_json": {"api_token": {"env": "bad name!"}, "project_id": 1}}),
            "config_json.api_token",
        ),
        (
            json!({"name": "x", "platform": "gitlab", "config_json": {"api_token": "t", "project_id": 1, "conflict_strategy": "newest"}}),
            "config_json.conflict_strategy",
        ),
        (
            json!({"name": "x", "platform": "gitlab", "config_json": {"api_token": "t", "project_id": 1, "conflict_strategy": 3}}),
            "config_json.conflict_strategy",
        ),
    ];
    for (body, field) in cases {
        let (st, resp) = api.post("/api/v1/sync/configs", body.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {resp}");
        assert_eq!(
            err(&resp),
            ("validation_failed".into(), Some(field.into())),
            "{body}"
        );
    }
    let (st, _) = api.post("/api/v1/sync/configs", github_body("gh")).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, resp) = api.post("/api/v1/sync/configs", github_body("gh")).await;
    assert_eq!(
        (st, err(&resp).0.as_str()),
        (StatusCode::CONFLICT, "conflict")
    );
    let (st, resp) = api
        .patch(
            "/api/v1/sync/configs/1",
            json!({"config_json": {"repo": null}}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    let (st, resp) = api
        .patch(
            "/api/v1/sync/configs/1",
            json!({"config_json": {"conflict_strategy": "whoever"}}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert!(
        resp["error"]["message"]
            .as_str()
            .is_some_and(|m| m
                .contains("last_modified_wins, elder_wins, external_wins, field_merge, manual")),
        "the allowed values are named: {resp}"
    );
    let (st, resp) = api
        .patch("/api/v1/sync/configs/1", json!({"platform": "gitlab"}))
        .await;
    assert_eq!(
        (st, err(&resp).1.as_deref()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("config_json.project_id")
        )
    );
    let (st, _) = api.get("/api/v1/sync/configs").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        api.store.list_configs().await.unwrap().len(),
        1,
        "nothing invalid was stored"
    );
    api.assert_no_secret_leaked();
}

async fn malformed_requests(engine: TestEngine) {
    let api = Api::new(engine).await;
    let req = |body: &str, ct: Option<&str>| {
        let mut r = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/sync/configs")
            .header(header::AUTHORIZATION, format!("Bearer {}", api.admin));
        if let Some(ct) = ct {
            r = r.header(header::CONTENT_TYPE, ct);
        }
        r.body(Body::from(body.to_string())).unwrap()
    };
    let (st, b) = api.raw(req("{not json", Some("application/json"))).await;
    assert_eq!(
        (st, err(&b).0.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_body")
    );
    let (st, b) = api.raw(req(r#"{"name": "x"}"#, None)).await;
    assert_eq!(
        (st, err(&b).0.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let (st, b) = api
        .raw(req(
            r#"{"name": "x", "platform": "github", "sync_interval": "often"}"#,
            Some("application/json"),
        ))
        .await;
    assert_eq!(
        (st, err(&b).1.as_deref()),
        (StatusCode::BAD_REQUEST, Some("sync_interval"))
    );
    let (st, b) = api
        .raw(req(r#"{"platform": "github"}"#, Some("application/json")))
        .await;
    assert_eq!(
        (st, err(&b).1.as_deref()),
        (StatusCode::BAD_REQUEST, Some("name"))
    );
    let (st, b) = api
        .raw(req(
            r#"{"name": "x", "platform": "github", "colour": 1}"#,
            Some("application/json"),
        ))
        .await;
    assert_eq!(
        (st, err(&b).1.as_deref()),
        (StatusCode::BAD_REQUEST, Some("colour"))
    );
    let (st, b) = api.raw(req("[]", Some("application/json"))).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");

    for path in [
        "/api/v1/sync/history?page=abc",
        "/api/v1/sync/history?per_page=-1",
        "/api/v1/sync/conflicts?resolved=maybe",
        "/api/v1/sync/mappings?elder_type=epic",
        "/api/v1/issues?status=pending",
        "/api/v1/issues?bogus=1",
        "/api/v1/issues/abc",
        "/api/v1/issues/0",
    ] {
        let (st, b) = api.get(path).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {b}");
        assert!(err(&b).1.is_some(), "{path}: field named in {b}");
    }
    let (st, b) = api.get("/api/v1/nope").await;
    assert_eq!(
        (st, err(&b).0.as_str()),
        (StatusCode::NOT_FOUND, "route_not_found")
    );
    let (st, b) = api
        .call(
            Method::PUT,
            "/api/v1/issues",
            Some(&api.admin.clone()),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (st, err(&b).0.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

async fn auth_failures(engine: TestEngine) {
    let api = Api::new(engine).await;
    let (st, b) = api.call(Method::GET, "/api/v1/issues", None, None).await;
    assert_eq!(
        (st, err(&b).0.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("Bearer"));
    let (st, _) = api
        .call(Method::GET, "/api/v1/issues", Some("est_0000"), None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let basic = Request::builder()
        .uri("/api/v1/issues")
        .header(header::AUTHORIZATION, format!("Basic {}", api.admin))
        .body(Body::empty())
        .unwrap();
    assert_eq!(api.raw(basic).await.0, StatusCode::UNAUTHORIZED);
    let unauth = Request::builder()
        .uri("/api/v1/sync/status")
        .body(Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(api.router.clone(), unauth)
        .await
        .unwrap();
    assert_eq!(
        resp.headers().get(header::WWW_AUTHENTICATE).unwrap(),
        "Bearer"
    );

    let reader = api.reader.clone();
    let (st, _) = api
        .call(Method::GET, "/api/v1/sync/configs", Some(&reader), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    for (m, path) in [
        (Method::POST, "/api/v1/issues"),
        (Method::PATCH, "/api/v1/issues/1"),
        (Method::DELETE, "/api/v1/issues/1"),
        (Method::POST, "/api/v1/sync/configs"),
    ] {
        let (st, b) = api
            .call(m.clone(), path, Some(&reader), Some(json!({"title": "x"})))
            .await;
        assert_eq!(
            (st, err(&b).0.as_str()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{m} {path}"
        );
    }
    let (_, list) = api.get("/api/v1/issues").await;
    assert_eq!(list["total"], 0, "forbidden writes did nothing");
    let revoked = api.store.list_tokens().await.unwrap()[0].id;
    api.store.revoke_token(revoked).await.unwrap();
    let (st, _) = api.get("/api/v1/issues").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "revoked admin token");
    let (st, doc) = api
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "the OpenAPI document is open");
    assert!(doc["paths"].is_object());
}

async fn seed_config(api: &Api) -> i64 {
    let (st, c) = api.post("/api/v1/sync/configs", github_body("gh")).await;
    assert_eq!(st, StatusCode::CREATED);
    c["id"].as_i64().unwrap()
}

fn new_history(config: i64, ty: &str, success: bool) -> NewHistory {
    NewHistory {
        sync_config_id: config,
        correlation_id: uuid::Uuid::new_v4(),
        sync_type: ty.into(),
        items_synced: 3,
        items_failed: if success { 0 } else { 1 },
        started_at: Utc::now(),
        completed_at: Some(Utc::now()),
        success,
        error_message: (!success).then(|| "HTTP 502".to_string()),
        sync_metadata: json!({}),
    }
}

fn new_mapping(config: i64, kind: Kind, elder_id: i64) -> MappingUpsert {
    MappingUpsert {
        sync_config_id: config,
        elder_type: kind,
        elder_id,
        external_platform: "github".into(),
        external_id: format!("ext-{elder_id}"),
        sync_status: SyncStatus::Synced,
        sync_method: SyncMethod::Poll,
        last_synced_at: Some(Utc::now()),
        elder_updated_at: None,
        external_updated_at: None,
        base_snapshot: None,
        last_write_fingerprint: None,
    }
}

async fn history_status_and_mappings(engine: TestEngine) {
    let api = Api::new(engine).await;
    let cfg = seed_config(&api).await;
    for i in 0..5 {
        let ty = if i % 2 == 0 { "poll" } else { "webhook" };
        api.store
            .insert_history(&new_history(cfg, ty, i != 4))
            .await
            .unwrap();
    }
    let (st, h) = api.get("/api/v1/sync/history?per_page=2").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (h["total"].as_i64(), h["pages"].as_i64()),
        (Some(5), Some(3))
    );
    assert_eq!(h["items"][0]["success"], false, "newest first");
    let (_, h) = api.get("/api/v1/sync/history?page=3&per_page=2").await;
    assert_eq!(h["items"].as_array().unwrap().len(), 1);
    let (_, h) = api.get("/api/v1/sync/history?page=9&per_page=2").await;
    assert!(h["items"].as_array().unwrap().is_empty());
    let (_, h) = api
        .get(&format!(
            "/api/v1/sync/history?config_id={cfg}&sync_type=poll"
        ))
        .await;
    assert_eq!(h["total"], 3);
    let (_, h) = api.get("/api/v1/sync/history?config_id=999").await;
    assert_eq!(h["total"], 0);
    for bad in ["page=0", "per_page=0", "per_page=101"] {
        let (st, b) = api.get(&format!("/api/v1/sync/history?{bad}")).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
    }

    for i in 1..=3 {
        api.store
            .upsert_mapping(&new_mapping(cfg, Kind::Issue, i))
            .await
            .unwrap();
    }
    api.store
        .upsert_mapping(&new_mapping(cfg, Kind::Label, 1))
        .await
        .unwrap();
    let (st, m) = api
        .get(&format!(
            "/api/v1/sync/mappings?config_id={cfg}&elder_type=issue&per_page=2"
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (m["total"].as_i64(), m["items"].as_array().unwrap().len()),
        (Some(3), 2)
    );
    assert_eq!(m["items"][0]["external_id"], "ext-1");
    let (_, m) = api.get("/api/v1/sync/mappings?elder_type=label").await;
    assert_eq!(m["total"], 1);

    let (st, s) = api.get("/api/v1/sync/status").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(s["configs_total"], 1);
    assert_eq!(s["configs_enabled"], 1);
    assert_eq!(s["syncs_last_24h"], 5);
    assert_eq!(s["failures_last_24h"], 1);
    assert_eq!(s["mappings_total"], 4);
    assert_eq!(s["unresolved_conflicts"], 0);
    assert_eq!(s["configs"][0]["id"], cfg);
    api.assert_no_secret_leaked();
}

async fn conflicts_list_and_resolve(engine: TestEngine) {
    let api = Api::new(engine).await;
    let cfg = seed_config(&api).await;
    let m = api
        .store
        .upsert_mapping(&new_mapping(cfg, Kind::Issue, 1))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let c = api
            .store
            .insert_conflict(&NewConflict {
                mapping_id: m.id,
                conflict_type: ConflictType::FieldMismatch,
                elder_data: json!({"title": "mine"}),
                external_data: json!({"title": "theirs"}),
            })
            .await
            .unwrap();
        ids.push(c.id);
    }
    let (_, l) = api.get("/api/v1/sync/conflicts?resolved=false").await;
    assert_eq!(l["total"], 2);
    assert_eq!(l["items"][0]["conflict_type"], "field_mismatch");
    // Resolving is the sync engine's route (it applies the resolution to both sides; see
    // tests/e2e/tests/sync_github_conflicts.rs); here the store marks one resolved.
    api.store
        .resolve_conflict(ids[0], ResolutionStrategy::Merge, None, "test")
        .await
        .unwrap();
    let (_, l) = api.get("/api/v1/sync/conflicts?resolved=true").await;
    assert_eq!(l["total"], 1);
    let (_, l) = api.get("/api/v1/sync/conflicts").await;
    assert_eq!(l["total"], 2);
    let (_, s) = api.get("/api/v1/sync/status").await;
    assert_eq!(s["unresolved_conflicts"], 1);
}

async fn resources_crud_for_every_kind(engine: TestEngine) {
    let api = Api::new(engine).await;
    for kind in ["issues", "projects", "milestones", "labels"] {
        let base = format!("/api/v1/{kind}");
        let (st, c) = api
            .post(&base, json!({"title": "First", "description": "body", "labels": ["a"], "extras": {"color": "#ff0000"}}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{kind}: {c}");
        let id = c["id"].as_i64().unwrap();
        assert_eq!(
            (c["version"].as_i64(), c["status"].as_str()),
            (Some(1), Some("open"))
        );
        let one = format!("{base}/{id}");
        let (st, g) = api.get(&one).await;
        assert_eq!((st, g["title"].as_str()), (StatusCode::OK, Some("First")));
        let (st, p) = api
            .patch(&one, json!({"status": "closed", "expected_version": 1}))
            .await;
        assert_eq!(st, StatusCode::OK, "{kind}: {p}");
        assert_eq!(
            (p["version"].as_i64(), p["status"].as_str()),
            (Some(2), Some("closed"))
        );
        assert_eq!(p["description"], "body", "unpatched fields unchanged");
        let (st, b) = api
            .patch(&one, json!({"title": "stale", "expected_version": 1}))
            .await;
        assert_eq!((st, err(&b).0.as_str()), (StatusCode::CONFLICT, "conflict"));
        let (st, b) = api.patch(&one, json!({"title": ""})).await;
        assert_eq!(
            (st, err(&b).1.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("title"))
        );
        let (st, b) = api.post(&base, json!({"title": "x", "extras": [1]})).await;
        assert_eq!(
            (st, err(&b).1.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("extras"))
        );
        let (st, b) = api
            .post(&base, json!({"title": "x", "extras": {"due_date": "soon"}}))
            .await;
        assert_eq!(
            (st, err(&b).1.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("extras.due_date"))
        );
        let backwards = json!({"start_date": "2027-02-01", "due_date": "2027-01-31"});
        let (st, b) = api
            .post(&base, json!({"title": "x", "extras": backwards}))
            .await;
        assert_eq!(
            (st, err(&b).1.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("extras.start_date")),
            "{kind}: {b}"
        );
        let (st, b) = api.patch(&one, json!({"extras": backwards})).await;
        assert_eq!(
            (st, err(&b).1.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("extras.start_date")),
            "{kind}: {b}"
        );
        let (st, b) = api
            .post(&base, json!({"title": "x", "project_id": 4242}))
            .await;
        assert_eq!(
            (st, err(&b).1.as_deref()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("project_id"))
        );
        let (st, _) = api.delete(&one).await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        let (st, _) = api.get(&one).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = api.patch(&one, json!({"title": "ghost"})).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (_, l) = api.get(&base).await;
        assert_eq!(l["total"], 0, "{kind}: deleted rows are hidden");
    }
    let outbox = api.store.list_outbox(None, 100).await.unwrap();
    assert_eq!(
        outbox.len(),
        12,
        "create, close, delete for each of four kinds"
    );
}

async fn resource_filters_and_pagination_edges(engine: TestEngine) {
    let api = Api::new(engine).await;
    let (_, project) = api
        .post("/api/v1/projects", json!({"title": "Apollo"}))
        .await;
    let pid = project["id"].as_i64().unwrap();
    for i in 0..12 {
        let mut body = json!({"title": format!("Task {i}"), "assignees": if i < 3 { json!(["ann"]) } else { json!([]) }});
        if i % 2 == 0 {
            body["project_id"] = json!(pid);
        }
        let (st, b) = api.post("/api/v1/issues", body).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
    }
    let (_, l) = api.get(&format!("/api/v1/issues?project_id={pid}")).await;
    assert_eq!(l["total"], 6);
    let (_, l) = api.get("/api/v1/issues?assignee=ann").await;
    assert_eq!(l["total"], 3);
    let (_, l) = api.get("/api/v1/issues?q=task%201").await;
    assert_eq!(l["total"], 3, "Task 1, 10, 11");
    let (_, l) = api.get("/api/v1/issues?per_page=5&page=3").await;
    assert_eq!(
        (l["items"].as_array().unwrap().len(), l["pages"].as_i64()),
        (2, Some(3))
    );
    let (_, l) = api.get("/api/v1/issues?per_page=100").await;
    assert_eq!(l["items"].as_array().unwrap().len(), 12);
    let (_, l) = api.get("/api/v1/issues?page=100").await;
    assert!(l["items"].as_array().unwrap().is_empty());
    assert_eq!(l["total"], 12);
    let (st, _) = api.get("/api/v1/issues?per_page=101").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn concurrent_writes(engine: TestEngine) {
    let api = std::sync::Arc::new(Api::new(engine).await);
    let (_, c) = api.post("/api/v1/issues", json!({"title": "shared"})).await;
    let id = c["id"].as_i64().unwrap();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let (a, _) = api
                .post("/api/v1/issues", json!({"title": format!("parallel {i}")}))
                .await;
            let (b, _) = api
                .patch(
                    &format!("/api/v1/issues/{id}"),
                    json!({"description": format!("edit {i}")}),
                )
                .await;
            (a, b)
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), (StatusCode::CREATED, StatusCode::OK));
    }
    let (_, l) = api.get("/api/v1/issues?per_page=100").await;
    assert_eq!(l["total"], 13);
    let (_, one) = api.get(&format!("/api/v1/issues/{id}")).await;
    assert_eq!(one["version"], 13, "no lost update");
}

async fn restart_keeps_everything(engine: TestEngine) {
    let mut api = Api::new(engine).await;
    let cfg = seed_config(&api).await;
    let (_, issue) = api
        .post("/api/v1/issues", json!({"title": "survivor"}))
        .await;
    api.restart().await;
    let (st, c) = api.get(&format!("/api/v1/sync/configs/{cfg}")).await;
    assert_eq!(
        st,
        StatusCode::OK,
        "the old token still works after restart"
    );
    assert_eq!(c["secrets"]["api_token"]["set"], true);
    let (_, i) = api.get(&format!("/api/v1/issues/{}", issue["id"])).await;
    assert_eq!(i["title"], "survivor");
    let resolved = api.store.resolve_config(cfg).await.unwrap();
    assert_eq!(
        resolved.secrets["api_token"],
        format!("ghp_{SECRET_MARKER}")
    );
    api.assert_no_secret_leaked();
}
