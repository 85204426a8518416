//! The engine's action routes as the service mounts them, behind the API's token check:
//! resolving a conflict needs an admin token (read-only tokens get 403, no token 401), and
//! an admin's request for an unknown conflict is a JSON 404. Bad ids are JSON 400s.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use elder_sync_engine::{ConnectorRegistry, EngineSettings, SyncEngine, routes};
use elder_sync_http::require_token;
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{Role, Store};
use elder_sync_telemetry::Metrics;
use serde_json::Value;
use tower::ServiceExt;

async fn app(store: &Store) -> Router {
    let engine = SyncEngine::new(
        store.clone(),
        Arc::new(ConnectorRegistry::new()),
        Metrics::new().unwrap(),
        EngineSettings::default(),
    );
    routes::action_routes(engine).layer(axum::middleware::from_fn_with_state(
        store.clone(),
        require_token,
    ))
}

async fn post(app: &Router, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = req
        .body(Body::from(r#"{"resolution_strategy": "elder_wins"}"#))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn resolving_needs_an_admin_token() {
    let db = TestDb::new(TestEngine::Sqlite).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let (_, reader) = store.create_token(Role::ReadOnly).await.unwrap();
    let (_, admin) = store.create_token(Role::Admin).await.unwrap();
    let app = app(&store).await;
    let path = "/api/v1/sync/conflicts/42/resolve";

    let (status, _) = post(&app, path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = post(&app, path, Some(&reader)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = post(&app, path, Some(&admin)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = post(&app, "/api/v1/sync/conflicts/x/resolve", Some(&admin)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "id");
    let (status, body) = post(&app, "/api/v1/sync/configs/42/run", Some(&reader)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

/// Issue 13: an action refuses a query parameter it does not take instead of ignoring it
/// (`run` takes only `dry_run`), naming the parameter, and nothing is recorded.
#[tokio::test]
async fn unknown_query_parameters_on_actions_are_refused_not_ignored() {
    let db = TestDb::new(TestEngine::Sqlite).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let (_, admin) = store.create_token(Role::Admin).await.unwrap();
    let app = app(&store).await;
    for path in [
        "/api/v1/sync/configs/42/run?force=true",
        "/api/v1/sync/configs/42/run?dry_run=maybe",
        "/api/v1/sync/configs/42/test?verbose=1",
        "/api/v1/sync/configs/42/test?dry_run=true",
        "/api/v1/sync/mappings?config_id=1",
        "/api/v1/sync/conflicts/42/resolve?force=yes",
    ] {
        let (status, body) = post(&app, path, Some(&admin)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_query", "{path}: {body}");
        let named = body["error"]["field"].as_str().unwrap_or_default();
        assert!(path.contains(&format!("?{named}=")), "{path}: {body}");
    }
    let history = store
        .list_history(
            &elder_sync_store::HistoryFilter::default(),
            elder_sync_store::PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(history.total, 0, "nothing ran");
}
