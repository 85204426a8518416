//! Metrics text changes as the typed methods are called; `/healthz`, `/readyz` and `/metrics`
//! answer as an operator and an orchestrator expect.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use elder_sync_telemetry::{
    ConflictType, Metrics, SyncStatus, WebhookOutcome, check_fn, router, router_describing,
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn line_value(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn required_metric_names_and_labels_are_exposed() {
    let m = Metrics::new().unwrap();
    m.sync_operation("github", SyncStatus::Success, 0.3);
    m.sync_conflict("github", ConflictType::FieldMismatch);
    m.set_mappings("github", 12);
    let text = m.render();
    assert_eq!(
        line_value(
            &text,
            r#"sync_operations_total{platform="github",status="success"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        line_value(&text, r#"sync_duration_seconds_count{platform="github"}"#),
        Some(1.0)
    );
    assert_eq!(
        line_value(
            &text,
            r#"sync_conflicts_total{platform="github",type="field_mismatch"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        line_value(&text, r#"sync_mappings_total{platform="github"}"#),
        Some(12.0)
    );
}

#[test]
fn operational_metrics_change_as_methods_are_called() {
    let m = Metrics::new().unwrap();
    m.webhook_delivery("gitlab", WebhookOutcome::BadSignature);
    m.webhook_delivery("gitlab", WebhookOutcome::BadSignature);
    m.set_inbox_depth(5);
    m.set_outbox_depth(2);
    m.call_finished("jira", "list-changes", "ok", 0.02);
    m.trapped("jira", "deadline");
    m.egress("jira", Some(503));
    m.egress("jira", None);
    m.rate_limit_wait("jira", 1.5);
    let text = m.render();
    let expect = [
        (
            r#"webhook_deliveries_total{outcome="bad_signature",platform="gitlab"}"#,
            2.0,
        ),
        ("sync_inbox_depth", 5.0),
        ("sync_outbox_depth", 2.0),
        (
            r#"connector_calls_total{connector="jira",function="list-changes",outcome="ok"}"#,
            1.0,
        ),
        (
            r#"connector_call_duration_seconds_count{connector="jira",function="list-changes"}"#,
            1.0,
        ),
        (
            r#"connector_traps_total{connector="jira",kind="deadline"}"#,
            1.0,
        ),
        (
            r#"egress_requests_total{connector="jira",status="5xx"}"#,
            1.0,
        ),
        (
            r#"egress_requests_total{connector="jira",status="error"}"#,
            1.0,
        ),
        (r#"rate_limit_waits_total{connector="jira"}"#, 1.0),
        (r#"rate_limit_wait_seconds_total{connector="jira"}"#, 1.5),
    ];
    for (prefix, value) in expect {
        assert_eq!(line_value(&text, prefix), Some(value), "{prefix}\n{text}");
    }
}

#[test]
fn ids_and_urls_never_become_label_values() {
    let m = Metrics::new().unwrap();
    m.sync_operation(
        "https://gitlab.example.com/group/project",
        SyncStatus::Failure,
        1.0,
    );
    let text = m.render();
    assert!(!text.contains("example.com"), "{text}");
    assert!(
        text.contains(r#"sync_operations_total{platform="other",status="failure"} 1"#),
        "{text}"
    );
}

async fn get(app: axum::Router, path: &str) -> (StatusCode, String) {
    let response = app
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn healthz_is_always_ok() {
    let failing = check_fn("database", || async { Err("down".to_owned()) });
    let app = router(Metrics::new().unwrap(), vec![failing]);
    let (status, body) = get(app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["status"],
        "ok"
    );
}

#[tokio::test]
async fn readyz_names_the_failing_check_and_recovers() {
    let db_up = Arc::new(AtomicBool::new(false));
    let flag = db_up.clone();
    let database = check_fn("database", move || {
        let up = flag.load(Ordering::SeqCst);
        async move {
            if up {
                Ok(())
            } else {
                Err("connection refused (postgres://app:pw@db:5432)".to_owned())
            }
        }
    });
    let connectors = check_fn("connectors", || async { Ok(()) });
    let app = router(Metrics::new().unwrap(), vec![database, connectors]);

    let (status, body) = get(app.clone(), "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["failing"][0]["check"], "database");
    assert!(
        json["failing"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("connection refused")
    );
    assert_eq!(json["checks"]["connectors"], "ok");
    assert!(!body.contains(":pw@"), "password leaked: {body}");

    db_up.store(true, Ordering::SeqCst);
    let (status, body) = get(app, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn readyz_says_who_answers_ready_or_not() {
    let up = Arc::new(AtomicBool::new(true));
    let flag = up.clone();
    let database = check_fn("database", move || {
        let up = flag.load(Ordering::SeqCst);
        async move { if up { Ok(()) } else { Err("gone".to_owned()) } }
    });
    let describe: elder_sync_telemetry::Describe =
        Arc::new(|| serde_json::json!({"id": "host-1", "plugins": {"github": "1.2.0"}}));
    let app = router_describing(Metrics::new().unwrap(), vec![database], Some(describe));
    for (ready, code) in [
        (true, StatusCode::OK),
        (false, StatusCode::SERVICE_UNAVAILABLE),
    ] {
        up.store(ready, Ordering::SeqCst);
        let (status, body) = get(app.clone(), "/readyz").await;
        assert_eq!(status, code, "{body}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["replica"]["id"], "host-1", "{body}");
        assert_eq!(json["replica"]["plugins"]["github"], "1.2.0", "{body}");
    }
}

#[tokio::test]
async fn metrics_endpoint_serves_prometheus_text() {
    let metrics = Metrics::new().unwrap();
    let app = router(metrics.clone(), Vec::new());
    metrics.webhook_delivery("trello", WebhookOutcome::Accepted);
    let (status, body) = get(app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(r#"webhook_deliveries_total{outcome="accepted",platform="trello"} 1"#),
        "{body}"
    );
}
