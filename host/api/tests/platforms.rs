//! The platform set is open (issue 12): a config targets any platform an installed connector
//! serves, its required keys come from that connector's schema, the five built-ins keep
//! their messages, and an unknown platform is refused naming the installed ones.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::builtins::builtin_catalog;
use common::{Api, SECRET_MARKER, both_engines, err};
use elder_sync_api::{ApiState, StaticCatalog, router};
use elder_sync_model::ConfigField;
use elder_sync_store::WebhookSecretForm;
use elder_sync_store::testing::TestEngine;
use serde_json::{Value, json};

both_engines!(
    unknown_platforms_are_refused_listing_the_installed,
    builtin_messages_are_unchanged,
    a_new_platform_is_accepted_and_its_schema_enforced,
    a_config_outlives_its_connector,
    a_secret_the_store_cannot_seal_is_refused,
);

fn field(key: &str, required: bool, secret: bool) -> ConfigField {
    ConfigField {
        key: key.into(),
        description: format!("the {key}"),
        required,
        secret,
    }
}

/// The built-ins plus `tracker`, a connector none of them is.
fn with_tracker() -> StaticCatalog {
    builtin_catalog().with(
        "tracker",
        vec![
            field("api_token", true, true),
            field("board", true, false),
            field("site", false, false),
        ],
        WebhookSecretForm::Plain,
    )
}

async fn api_with(engine: TestEngine, catalog: StaticCatalog) -> Api {
    let mut api = Api::new(engine).await;
    api.router = router(ApiState::new(api.store.clone()).with_catalog(Arc::new(catalog)));
    api
}

fn message(resp: &Value) -> &str {
    resp["error"]["message"].as_str().unwrap_or_default()
}

fn tracker_body(config: Value) -> Value {
    json!({"name": "t", "platform": "tracker", "webhook_enabled": false, "config_json": config})
}

async fn unknown_platforms_are_refused_listing_the_installed(engine: TestEngine) {
    let api = api_with(engine, with_tracker()).await;
    let (st, resp) = api
        .post(
            "/api/v1/sync/configs",
            json!({"name": "x", "platform": "bitbucket", "config_json": {}}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(err(&resp).1.as_deref(), Some("platform"));
    assert!(
        message(&resp).ends_with("installed: github, gitlab, jira, openproject, tracker, trello"),
        "{resp}"
    );
    let (st, resp) = api
        .post(
            "/api/v1/sync/configs",
            json!({"name": "x", "platform": "Not A Slug!", "config_json": {}}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(err(&resp).1.as_deref(), Some("platform"));

    let (st, resp) = api
        .post(
            "/api/v1/sync/configs",
            tracker_body(json!({"api_token": "t", "board": "b"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{resp}");
    let path = format!("/api/v1/sync/configs/{}", resp["id"]);
    let (st, resp) = api.patch(&path, json!({"platform": "bitbucket"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(err(&resp).1.as_deref(), Some("platform"));
    assert!(message(&resp).contains("installed: github"), "{resp}");
    let (_, kept) = api.get(&path).await;
    assert_eq!(kept["platform"], "tracker");
}

async fn builtin_messages_are_unchanged(engine: TestEngine) {
    let api = api_with(engine, builtin_catalog()).await;
    let cases = [
        (
            "github",
            json!({"api_token": "t", "repo": "r"}),
            "config_json.owner",
            "github requires owner or org",
        ),
        (
            "github",
            json!({"owner": "o", "repo": "r"}),
            "config_json.api_token",
            "github requires api_token",
        ),
        (
            "gitlab",
            json!({"api_token": "t"}),
            "config_json.project_id",
            "gitlab requires project_id",
        ),
        (
            "jira",
            json!({"api_token": "t", "email": "e", "jira_url": "u"}),
            "config_json.project_key",
            "jira requires project_key",
        ),
        (
            "trello",
            json!({"api_key": "k", "api_token": "t"}),
            "config_json.board_id",
            "trello requires board_id",
        ),
        (
            "openproject",
            json!({"api_key": "k", "project_id": 1}),
            "config_json.base_url",
            "openproject requires base_url",
        ),
    ];
    for (platform, config, field, text) in cases {
        let body = json!({"name": "x", "platform": platform, "config_json": config});
        let (st, resp) = api.post("/api/v1/sync/configs", body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
        assert_eq!(err(&resp).1.as_deref(), Some(field), "{resp}");
        assert_eq!(message(&resp), text, "{resp}");
    }
    let by_org = json!({"name": "x", "platform": "github",
        "config_json": {"api_token": "t", "org": "o", "repo": "r"}});
    let (st, resp) = api.post("/api/v1/sync/configs", by_org).await;
    assert_eq!(st, StatusCode::CREATED, "org stands in for owner: {resp}");
}

async fn a_new_platform_is_accepted_and_its_schema_enforced(engine: TestEngine) {
    let api = api_with(engine, with_tracker()).await;
    let (st, resp) = api
        .post(
            "/api/v1/sync/configs",
            tracker_body(json!({"api_token": "t"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(err(&resp).1.as_deref(), Some("config_json.board"));
    assert_eq!(message(&resp), "tracker requires board");

    let secret = format!("{SECRET_MARKER}-tracker");
    let (st, resp) = api
        .post(
            "/api/v1/sync/configs",
            tracker_body(json!({"api_token": secret, "board": "b1", "site": "s"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{resp}");
    assert_eq!(resp["platform"], "tracker");
    assert_eq!(resp["config_json"], json!({"board": "b1", "site": "s"}));
    assert_eq!(resp["secrets"]["api_token"]["set"], true);
    let path = format!("/api/v1/sync/configs/{}", resp["id"]);
    let (st, resp) = api
        .patch(&path, json!({"config_json": {"board": null}}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(err(&resp).1.as_deref(), Some("config_json.board"));
    let (st, resp) = api
        .patch(&path, json!({"config_json": {"board": "b2"}}))
        .await;
    assert_eq!(
        (st, &resp["config_json"]["board"]),
        (StatusCode::OK, &json!("b2"))
    );
    api.assert_no_secret_leaked();
}

async fn a_config_outlives_its_connector(engine: TestEngine) {
    let mut api = api_with(engine, with_tracker()).await;
    let (st, resp) = api
        .post(
            "/api/v1/sync/configs",
            tracker_body(json!({"api_token": "t", "board": "b"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{resp}");
    let path = format!("/api/v1/sync/configs/{}", resp["id"]);
    api.router = router(ApiState::new(api.store.clone()).with_catalog(Arc::new(builtin_catalog())));
    let (st, resp) = api.get(&path).await;
    assert_eq!((st, &resp["platform"]), (StatusCode::OK, &json!("tracker")));
    let (st, resp) = api.patch(&path, json!({"enabled": false})).await;
    assert_eq!(
        st,
        StatusCode::OK,
        "a config can be disabled after its connector went: {resp}"
    );
    assert_eq!(resp["enabled"], false);
}

/// A connector may declare a secret whose name the store does not seal (`passphrase`):
/// setting it is refused rather than stored and shown in plain text.
async fn a_secret_the_store_cannot_seal_is_refused(engine: TestEngine) {
    let catalog = builtin_catalog().with(
        "vault",
        vec![
            field("passphrase", false, true),
            field("api_token", true, true),
        ],
        WebhookSecretForm::Plain,
    );
    let api = api_with(engine, catalog).await;
    let body = json!({"name": "v", "platform": "vault", "webhook_enabled": false,
        "config_json": {"api_token": "t", "passphrase": format!("{SECRET_MARKER}-pass")}});
    let (st, resp) = api.post("/api/v1/sync/configs", body).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(err(&resp).1.as_deref(), Some("config_json.passphrase"));
    let (_, list) = api.get("/api/v1/sync/configs").await;
    assert_eq!(list, json!([]));
    let body = json!({"name": "v", "platform": "vault", "webhook_enabled": false,
        "config_json": {"api_token": "t"}});
    let (st, resp) = api.post("/api/v1/sync/configs", body).await;
    assert_eq!(st, StatusCode::CREATED, "{resp}");
    api.assert_no_secret_leaked();
}

/// In the OpenAPI document a config's `platform` is a plain string (any installed
/// connector's platform id), not an enumeration.
#[test]
fn the_documented_platform_is_a_string() {
    let doc = serde_json::to_value(elder_sync_api::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let mut platform = schemas["SyncConfig"]["properties"]["platform"].clone();
    if let Some(target) = platform["$ref"].as_str() {
        let name = target.rsplit('/').next().unwrap();
        platform = schemas[name].clone();
    }
    assert_eq!(platform["type"], "string", "{platform}");
    assert!(platform.get("enum").is_none(), "{platform}");
}
