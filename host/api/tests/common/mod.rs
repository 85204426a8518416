//! Test harness: the API router on a fresh database (SQLite or PostgreSQL) with an admin and a
//! read-only token; every response body is kept so tests can check no secret ever leaks.

#![allow(dead_code, unused_macros, unused_imports)]

pub mod builtins;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use elder_sync_api::{ApiState, router};
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{Role, Store};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Plaintext secrets used by the tests; no response may contain this marker.
pub const SECRET_MARKER: &str = "SUPERSECRET";

pub struct Api {
    pub db: TestDb,
    pub store: Store,
    pub router: Router,
    pub admin: String,
    pub reader: String,
    seen: Mutex<Vec<String>>,
}

/// The API over `store` with the five built-in connectors' schemas installed.
pub fn state(store: &Store) -> ApiState {
    ApiState::new(store.clone()).with_catalog(Arc::new(builtins::builtin_catalog()))
}

impl Api {
    pub async fn new(engine: TestEngine) -> Api {
        let db = TestDb::new(engine).await;
        let store = Store::open_with(&db.url, Some(test_secret_key()))
            .await
            .unwrap();
        let (_, admin) = store.create_token(Role::Admin).await.unwrap();
        let (_, reader) = store.create_token(Role::ReadOnly).await.unwrap();
        Api {
            router: router(state(&store)),
            db,
            store,
            admin,
            reader,
            seen: Mutex::new(Vec::new()),
        }
    }

    /// Reopens the same database with a new store and router (a restart).
    pub async fn restart(&mut self) {
        self.store.close().await;
        self.store = Store::open_with(&self.db.url, Some(test_secret_key()))
            .await
            .unwrap();
        self.router = router(state(&self.store));
    }

    pub async fn raw(&self, req: Request<Body>) -> (StatusCode, Value) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let is_json = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"));
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        self.seen.lock().unwrap().push(text.clone());
        if bytes.is_empty() {
            return (status, Value::Null);
        }
        assert!(is_json, "non-JSON response {status}: {text}");
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.raw(req.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(&self.admin.clone()), None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(&self.admin.clone()), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(&self.admin.clone()), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(&self.admin.clone()), None)
            .await
    }

    /// Panics if any response so far contained a secret.
    pub fn assert_no_secret_leaked(&self) {
        for body in self.seen.lock().unwrap().iter() {
            assert!(
                !body.contains(SECRET_MARKER),
                "a response leaked a secret: {body}"
            );
        }
    }
}

/// The error code and field of an error body.
pub fn err(v: &Value) -> (String, Option<String>) {
    let e = &v["error"];
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message: {v}"
    );
    (
        e["code"].as_str().unwrap_or_default().to_string(),
        e["field"].as_str().map(str::to_string),
    )
}

macro_rules! both_engines {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$case(elder_sync_store::testing::TestEngine::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$case(elder_sync_store::testing::TestEngine::Postgres).await
                }
            }
        )+
    };
}
pub(crate) use both_engines;
