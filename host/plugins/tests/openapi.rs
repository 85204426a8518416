//! The plugin routes' entries in the API's OpenAPI document (host/api `plugin_routes.rs`)
//! stay true to this crate: every documented plugin route is served by the plugin router,
//! and the documented bodies have exactly the fields the handlers answer.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use elder_sync_api::{ApiState, PLUGIN_ROUTES};
use elder_sync_engine::ConnectorRegistry;
use elder_sync_plugins::host::VersionView;
use elder_sync_plugins::{
    CacheStats, Limits, ManifestDiff, PendingView, PluginHost, PluginSettings, PluginStats,
    PluginView,
};
use elder_sync_runtime::{Runtime, RuntimeConfig};
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{Role, Store};
use http_body_util::BodyExt;
use serde::Serialize;
use serde_json::{Value, json};
use tower::ServiceExt;

fn document() -> Value {
    serde_json::to_value(elder_sync_api::openapi()).unwrap()
}

/// The property names of a component schema of the document.
fn schema_fields(doc: &Value, name: &str) -> BTreeSet<String> {
    let props = doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {name} with properties in the document"));
    props.keys().cloned().collect()
}

/// The field names `value` serializes to.
fn fields(value: &impl Serialize) -> BTreeSet<String> {
    let value = serde_json::to_value(value).unwrap();
    value.as_object().unwrap().keys().cloned().collect()
}

fn plugin_view() -> PluginView {
    PluginView {
        id: "github".into(),
        version: "1.0.0".into(),
        platform: "github".into(),
        enabled: true,
        source_hash: "ab".repeat(32),
        loaded_at: "2026-01-01T00:00:00Z".into(),
        calls: 3,
        errors: 1,
        hosts: vec!["api.github.com".into()],
        limits: Limits::default(),
        previous: None,
        draining: 0,
    }
}

#[test]
fn documented_plugin_routes_are_exactly_the_served_ones() {
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/api/v1/plugins") {
            for method in item.as_object().unwrap().keys() {
                documented.insert((method.clone(), path.clone()));
            }
        }
    }
    let listed: BTreeSet<(String, String)> = PLUGIN_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, listed);
}

#[test]
fn documented_bodies_have_the_fields_the_handlers_answer() {
    let doc = document();
    let view = plugin_view();
    assert_eq!(schema_fields(&doc, "Plugin"), fields(&view));
    assert_eq!(schema_fields(&doc, "PluginLimits"), fields(&view.limits));
    let previous = VersionView {
        version: "0.9.0".into(),
        source_hash: "cd".repeat(32),
    };
    assert_eq!(schema_fields(&doc, "PluginVersion"), fields(&previous));
    let diff = ManifestDiff {
        added_hosts: vec!["evil.example".into()],
        removed_hosts: vec![],
        lines: vec!["+hosts = [\"evil.example\"]".into()],
    };
    assert_eq!(schema_fields(&doc, "PluginManifestDiff"), fields(&diff));
    let pending = PendingView {
        id: "github".into(),
        version: "1.1.0".into(),
        source_hash: "ef".repeat(32),
        diff,
    };
    assert_eq!(schema_fields(&doc, "PendingPlugin"), fields(&pending));
    assert_eq!(
        schema_fields(&doc, "PluginCacheStats"),
        fields(&CacheStats::default())
    );
}

struct Api {
    app: Router,
    admin: String,
    _db: TestDb,
    _dirs: tempfile::TempDir,
}

async fn api() -> Api {
    let db = TestDb::new(TestEngine::Sqlite).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let (_, admin) = store.create_token(Role::Admin).await.unwrap();
    let dirs = tempfile::tempdir().unwrap();
    let stats = PluginStats::wrapping(None);
    let runtime = Runtime::new(RuntimeConfig {
        observer: Some(stats.clone()),
        ..RuntimeConfig::default()
    })
    .unwrap();
    let settings = PluginSettings::new(dirs.path().join("plugins"), dirs.path());
    let host = PluginHost::new(runtime, Arc::new(ConnectorRegistry::new()), stats, settings);
    Api {
        app: elder_sync_plugins::api::router(host, ApiState::new(store)),
        admin,
        _db: db,
        _dirs: dirs,
    }
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(path)
            .header("authorization", format!("Bearer {}", self.admin))
            .header("content-type", "application/json");
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
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

#[tokio::test]
async fn every_documented_plugin_route_is_served() {
    let api = api().await;
    for (method, path) in PLUGIN_ROUTES {
        let path = path.replace("{id}", "nope");
        let body = (path == "/api/v1/plugins" && method == "post").then(|| json!({}));
        let (status, body) = api.call(method, &path, body).await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(
            body["error"]["code"], "route_not_found",
            "{method} {path}: {body}"
        );
    }
    // The check tells served from unserved: an undocumented action is not served.
    let (status, body) = api.call("post", "/api/v1/plugins/nope/explode", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("route_not_found"))
    );
    // The list answers the documented body.
    let (status, body) = api.call("get", "/api/v1/plugins", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answered: BTreeSet<String> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(answered, schema_fields(&document(), "PluginList"));
}
