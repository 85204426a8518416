//! Health endpoints: `GET /healthz` (process alive), `GET /readyz` (named readiness checks) and
//! `GET /metrics` (Prometheus text), as one axum [`Router`] the service mounts on the API address
//! and on the worker address.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::future::{BoxFuture, join_all};
use serde_json::{Value, json};

use crate::metrics::Metrics;
use crate::redact::redact_text;

/// How long one readiness check may take before it counts as failing.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// One named readiness condition (database reachable, migrations applied, connectors loaded).
pub trait ReadinessCheck: Send + Sync {
    /// Short name shown in the `/readyz` body, e.g. `database`.
    fn name(&self) -> &str;
    /// `Ok(())` when ready, otherwise a reason for the operator (no secrets).
    fn check(&self) -> BoxFuture<'_, Result<(), String>>;
}

struct FnCheck<F> {
    name: String,
    f: F,
}

impl<F, Fut> ReadinessCheck for FnCheck<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin((self.f)())
    }
}

/// A readiness check from a name and an async closure.
pub fn check_fn<F, Fut>(name: impl Into<String>, f: F) -> Arc<dyn ReadinessCheck>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    Arc::new(FnCheck {
        name: name.into(),
        f,
    })
}

/// Who answers `/readyz` (e.g. the replica id and the plugin versions it serves), shown as
/// its `replica` field.
pub type Describe = Arc<dyn Fn() -> Value + Send + Sync>;

#[derive(Clone)]
struct HealthState {
    metrics: Metrics,
    checks: Arc<[Arc<dyn ReadinessCheck>]>,
    describe: Option<Describe>,
}

/// The health router: `/healthz`, `/readyz`, `/metrics`.
pub fn router(metrics: Metrics, checks: Vec<Arc<dyn ReadinessCheck>>) -> Router {
    router_describing(metrics, checks, None)
}

/// The health router whose `/readyz` also says who answers (`replica`, from `describe`).
pub fn router_describing(
    metrics: Metrics,
    checks: Vec<Arc<dyn ReadinessCheck>>,
    describe: Option<Describe>,
) -> Router {
    let state = HealthState {
        metrics,
        checks: checks.into(),
        describe,
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(state): State<HealthState>) -> Response {
    let results = join_all(state.checks.iter().map(|check| run_check(check.as_ref()))).await;
    let mut checks = serde_json::Map::new();
    let mut failing = Vec::new();
    for (name, result) in results {
        match result {
            Ok(()) => {
                checks.insert(name, json!("ok"));
            }
            Err(reason) => {
                let reason = redact_text(&reason);
                checks.insert(name.clone(), json!(reason));
                failing.push(json!({"check": name, "reason": reason}));
            }
        }
    }
    let (code, mut body) = if failing.is_empty() {
        (StatusCode::OK, json!({"status": "ready", "checks": checks}))
    } else {
        let body = json!({"status": "unavailable", "failing": failing, "checks": checks});
        (StatusCode::SERVICE_UNAVAILABLE, body)
    };
    if let Some(describe) = &state.describe {
        body["replica"] = describe();
    }
    (code, Json(body)).into_response()
}

async fn run_check(check: &dyn ReadinessCheck) -> (String, Result<(), String>) {
    let result = match tokio::time::timeout(CHECK_TIMEOUT, check.check()).await {
        Ok(result) => result,
        Err(_) => Err(format!("timed out after {}s", CHECK_TIMEOUT.as_secs())),
    };
    (check.name().to_owned(), result)
}

async fn metrics_text(State(state): State<HealthState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.scrape().await,
    )
        .into_response()
}
