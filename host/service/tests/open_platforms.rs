//! Issue 12, "the platform set is open", on the real `elder-sync serve` (SQLite and
//! PostgreSQL): a connector that is none of the five (the `chaos` test guest, platform
//! `chaos`) is uploaded through `POST /api/v1/plugins`; a config for its platform is accepted,
//! its required key is enforced from the schema it declares, its secret is withheld from
//! it, and `GET /api/v1/plugins/chaos` shows that schema. A platform nothing serves is 422
//! listing the installed ones, and the built-ins keep their messages.

use base64::Engine as _;
use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_e2e::test_guest_component;
use elder_sync_store::testing::TestEngine;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

const CHAOS_MANIFEST: &str = r#"
id = "chaos"
version = "0.1.0"
hosts = ["{base_url}", "api.chaos.example"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_platforms_on_sqlite() {
    open_platforms(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_platforms_on_postgres() {
    open_platforms(TestEngine::Postgres).await;
}

fn chaos_config(config_json: Value) -> Value {
    json!({"name": "chaos-1", "platform": "chaos", "webhook_enabled": false,
           "config_json": config_json})
}

async fn open_platforms(engine: TestEngine) {
    let service = Service::start(
        BIN,
        ServiceOptions::new(engine).connectors(&["github", "gitlab"]),
    )
    .await;

    // Before the upload, nothing serves `chaos`.
    let (status, body) = service
        .post("/sync/configs", &chaos_config(json!({"mode": "ok"})))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "platform");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("installed: github, gitlab"),
        "{body}"
    );

    let upload = json!({
        "manifest": CHAOS_MANIFEST,
        "component": base64::engine::general_purpose::STANDARD
            .encode(test_guest_component("chaos")),
    });
    let (status, body) = service.post("/plugins", &upload).await;
    assert_eq!(status, 201, "{body}");

    // Its schema is visible...
    let (status, detail) = service.get("/plugins/chaos").await;
    assert_eq!(status, 200, "{detail}");
    let schema = detail["connector"]["config_schema"].as_array().unwrap();
    let mode = schema.iter().find(|f| f["key"] == "mode").unwrap();
    assert_eq!(
        (&mode["required"], &mode["secret"]),
        (&json!(true), &json!(false))
    );
    let token = schema.iter().find(|f| f["key"] == "token").unwrap();
    assert_eq!(token["secret"], true);
    assert_eq!(detail["connector"]["kinds"], json!(["issue"]));

    // ... and enforced: `mode` is required.
    let (status, body) = service
        .post(
            "/sync/configs",
            &chaos_config(json!({"base_url": "https://x"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "config_json.mode");
    assert_eq!(body["error"]["message"], "chaos requires mode");

    // A complete config is accepted and reaches the connector, without its secret.
    let secret = "chaos-token-that-must-stay-in-the-host";
    let (status, created) = service
        .post(
            "/sync/configs",
            &chaos_config(json!({"mode": "echo-config", "token": secret})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["platform"], "chaos");
    assert_eq!(created["secrets"]["token"]["set"], true);
    assert!(!created.to_string().contains(secret), "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, tested) = service
        .post(&format!("/sync/configs/{id}/test"), &json!({}))
        .await;
    assert_eq!(status, 200, "{tested}");
    let reached = tested["reached"].as_str().unwrap_or_default();
    assert!(reached.contains("mode=echo-config"), "{tested}");
    assert!(
        !reached.contains(secret),
        "the connector saw the secret: {tested}"
    );

    // The list of installed platforms now names it; a disabled connector serves nothing.
    let (status, body) = service
        .post(
            "/sync/configs",
            &json!({"name": "x", "platform": "bitbucket"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("installed: chaos, github, gitlab"),
        "{body}"
    );
    let (status, body) = service.post("/plugins/chaos/disable", &json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = service
        .post(
            "/sync/configs",
            &json!({"name": "chaos-2", "platform": "chaos", "webhook_enabled": false,
                    "config_json": {"mode": "ok"}}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &body["error"]["field"]),
        (422, &json!("platform")),
        "{body}"
    );

    // The built-ins' messages come from their own schemas, unchanged.
    let (status, body) = service
        .post(
            "/sync/configs",
            &json!({"name": "gh", "platform": "github",
                    "config_json": {"api_token": "t", "repo": "r"}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "config_json.owner");
    assert_eq!(
        body["error"]["message"],
        "github requires owner or org or org_name"
    );
    let (status, body) = service
        .post(
            "/sync/configs",
            &json!({"name": "gl", "platform": "gitlab", "config_json": {"api_token": "t"}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["message"], "gitlab requires project_id");
    let (status, body) = service
        .post(
            "/sync/configs",
            &json!({"name": "gh", "platform": "github", "webhook_enabled": false,
                    "config_json": {"api_token": "t", "org": "o", "repo": "r"}}),
        )
        .await;
    assert_eq!(status, 201, "org stands in for owner: {body}");
}
