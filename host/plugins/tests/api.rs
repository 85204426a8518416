//! `/api/v1/plugins` over HTTP semantics (tower `oneshot`), on SQLite and PostgreSQL
//! token stores: who may do what, JSON errors, upload -> serving, actions.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use elder_sync_plugins::{PluginHost, PluginSettings, PluginStats};
use elder_sync_runtime::ConnectorRegistry;
use elder_sync_runtime::{Runtime, RuntimeSettings};
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{Role, Store};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn built(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/build-wasm.sh)", path.display()))
}

struct Api {
    app: Router,
    registry: Arc<ConnectorRegistry>,
    admin: String,
    reader: String,
    _db: TestDb,
    _dirs: tempfile::TempDir,
}

async fn api(engine: TestEngine) -> Api {
    let db = TestDb::new(engine).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let (_, admin) = store.create_token(Role::Admin).await.unwrap();
    let (_, reader) = store.create_token(Role::ReadOnly).await.unwrap();
    let dirs = tempfile::tempdir().unwrap();
    let stats = PluginStats::wrapping(None);
    let runtime = Runtime::new(RuntimeSettings {
        observer: Some(stats.clone()),
        ..RuntimeSettings::default()
    })
    .unwrap();
    let registry = Arc::new(ConnectorRegistry::new());
    let settings = PluginSettings::new(dirs.path().join("plugins"), dirs.path());
    let host = PluginHost::new(runtime, registry.clone(), stats, settings);
    Api {
        app: elder_sync_plugins::api::router(host, store),
        registry,
        admin,
        reader,
        _db: db,
        _dirs: dirs,
    }
}

impl Api {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"));
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let resp = self
            .app
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn upload_body(component: &[u8], manifest: &str) -> Value {
    json!({
        "manifest": manifest,
        "component": base64::engine::general_purpose::STANDARD.encode(component),
    })
}

async fn lifecycle_over_http(engine: TestEngine) {
    let api = api(engine).await;
    let manifest = String::from_utf8(built("connectors/github/plugin.toml")).unwrap();
    let github = built("target/connectors/github.wasm");

    let (status, body) = api.call("GET", "/api/v1/plugins", &api.reader, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["plugins"], json!([]));

    // Uploads and actions need an admin token.
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/plugins",
            &api.reader,
            Some(upload_body(&github, &manifest)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let (status, _) = api.call("GET", "/api/v1/plugins", "wrong", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Bad input answers 4xx with the offending field.
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/plugins",
            &api.admin,
            Some(json!({"manifest": manifest, "component": "***"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("component")),
        "{body}"
    );
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/plugins",
            &api.admin,
            Some(upload_body(&github, "id = \"Bad Id\"\nversion = \"1\"")),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("id")),
        "{body}"
    );
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/plugins",
            &api.admin,
            Some(upload_body(b"hello", &manifest)),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_component")),
        "{body}"
    );
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/plugins",
            &api.admin,
            Some(json!({"manifest": manifest})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A real upload serves at once.
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/plugins",
            &api.admin,
            Some(upload_body(&github, &manifest)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["plugin"]["id"], "github");
    assert_eq!(body["plugin"]["enabled"], true);
    assert!(api.registry.get("github").is_ok());
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/plugins",
            &api.admin,
            Some(upload_body(&github, &manifest)),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("unchanged")),
        "{body}"
    );

    let (status, body) = api
        .call("POST", "/api/v1/plugins/github/disable", &api.admin, None)
        .await;
    assert_eq!(
        (status, body["plugin"]["enabled"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{body}"
    );
    assert!(api.registry.get("github").is_err());
    let (status, body) = api
        .call("POST", "/api/v1/plugins/github/enable", &api.admin, None)
        .await;
    assert_eq!(
        (status, body["plugin"]["enabled"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{body}"
    );
    let (status, body) = api
        .call("POST", "/api/v1/plugins/github/rollback", &api.admin, None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("no_previous_version")),
        "{body}"
    );
    let (status, body) = api
        .call("POST", "/api/v1/plugins/nope/enable", &api.admin, None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{body}"
    );
    let (status, body) = api
        .call("POST", "/api/v1/plugins/github/explode", &api.admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = api
        .call("POST", "/api/v1/plugins/github/disable", &api.reader, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, body) = api.call("GET", "/api/v1/plugins", &api.reader, None).await;
    let listed = &body["plugins"][0];
    assert_eq!(listed["id"], "github");
    assert_eq!(listed["version"], "1.0.0");
    assert_eq!(listed["source_hash"].as_str().unwrap().len(), 64);
    assert!(listed["loaded_at"].as_str().unwrap().starts_with("20"));
    assert!(listed["calls"].is_u64() && listed["errors"].is_u64());
}

/// Every plugin route of the plugin host's OpenAPI document is served (neither 405 nor "no such
/// route"), and the list answers the documented fields.
#[tokio::test]
async fn documented_plugin_routes_are_served() {
    let api = api(TestEngine::Sqlite).await;
    for (method, path) in elder_sync_plugins::api::ROUTES {
        let path = path.replace("{id}", "nope");
        let upload = method == "post" && path == "/api/v1/plugins";
        let (status, body) = api
            .call(
                &method.to_uppercase(),
                &path,
                &api.admin,
                upload.then(|| json!({})),
            )
            .await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(
            body["error"]["code"], "route_not_found",
            "{method} {path}: {body}"
        );
    }
    // The check tells served from unserved: an undocumented action is not served.
    let (status, body) = api
        .call("POST", "/api/v1/plugins/nope/explode", &api.admin, None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("route_not_found"))
    );
    let doc = serde_json::to_value(elder_sync_plugins::api::openapi()).unwrap();
    let keys = |v: &Value| -> std::collections::BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    };
    let documented = keys(&doc["components"]["schemas"]["PluginList"]["properties"]);
    let (status, body) = api.call("GET", "/api/v1/plugins", &api.reader, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys(&body), documented, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_api_on_sqlite() {
    lifecycle_over_http(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_api_on_postgres() {
    lifecycle_over_http(TestEngine::Postgres).await;
}

/// `GET /api/v1/plugins/{id}` (any token) shows what a config for the plugin's platform
/// needs, from the connector's `describe`: keys, descriptions, required and secret flags,
/// plus its kinds, webhook schemes and hosts; an unknown id is 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_shows_the_connector_config_schema() {
    let api = api(TestEngine::Sqlite).await;
    let manifest = String::from_utf8(built("connectors/github/plugin.toml")).unwrap();
    let github = built("target/connectors/github.wasm");
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/plugins",
            &api.admin,
            Some(upload_body(&github, &manifest)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, body) = api
        .call("GET", "/api/v1/plugins/github", &api.reader, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["plugin"]["platform"], "github");
    let connector = &body["connector"];
    let field = |key: &str| {
        connector["config_schema"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("no {key} in {connector}"))
    };
    assert_eq!(field("api_token")["required"], true);
    assert_eq!(field("api_token")["secret"], true);
    assert_eq!(field("repo")["required"], true);
    assert_eq!(field("repo")["secret"], false);
    assert_eq!(field("org")["required"], false);
    assert!(
        field("owner")["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(connector["kinds"], json!(["issue", "milestone", "label"]));
    assert_eq!(
        connector["webhooks"]["schemes"],
        json!([{"scheme": "hmac", "header": "X-Hub-Signature-256", "algorithm": "sha256"}])
    );
    assert!(
        connector["hosts"]
            .as_array()
            .unwrap()
            .contains(&json!("api.github.com")),
        "{connector}"
    );

    let (status, body) = api
        .call("GET", "/api/v1/plugins/gitlab", &api.reader, None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{body}"
    );
}
