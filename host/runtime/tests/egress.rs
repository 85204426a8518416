//! Egress as a guest sees it: credentials applied at the host (and never visible to the
//! guest), allowed hosts, plain-http switch, timeouts and size caps.

mod common;

use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use common::{LogCapture, cfg, chaos, runtime, serve, test_config};
use elder_sync_runtime::{Runtime, RuntimeSettings};

/// Echoes the Authorization header it received.
fn echo_auth() -> Router {
    Router::new().route(
        "/echo",
        get(|headers: HeaderMap| async move {
            let auth = headers
                .get("authorization")
                .map(|v| v.to_str().unwrap_or("?").to_string())
                .unwrap_or_else(|| "none".into());
            let count = headers.get_all("authorization").iter().count();
            format!("auth=[{auth}] count={count}")
        }),
    )
}

#[tokio::test]
async fn the_guest_never_sees_a_secret() {
    let rt = runtime();
    let conn = chaos(&rt);
    let seen = conn
        .test_connection(&cfg(&[
            ("mode", "echo-config"),
            ("token", "s3cret-value"),
            ("base_url", "https://example.org"),
        ]))
        .await
        .unwrap();
    assert!(seen.contains("mode=echo-config"), "{seen}");
    assert!(seen.contains("base_url=https://example.org"), "{seen}");
    assert!(!seen.contains("s3cret-value"), "secret leaked: {seen}");
    assert!(!seen.contains("token"), "secret key leaked: {seen}");
}

#[tokio::test]
async fn auth_header_arrives_with_the_secret_and_overrides_the_guest() {
    let base = serve(echo_auth()).await;
    let rt = runtime();
    let conn = chaos(&rt);
    let logs = LogCapture::default();
    let _guard = logs.install();
    let answer = conn
        .test_connection(&cfg(&[
            ("mode", "http"),
            ("base_url", &base),
            ("token", "s3cret-value"),
            ("guest_auth", "Bearer forged"),
        ]))
        .await
        .unwrap();
    // The echo server got the host's credential, not the guest's forged one; the echo handed
    // back to the guest has the secret value scrubbed (REDACTED stands exactly where it was).
    assert_eq!(answer, "200 auth=[Bearer REDACTED] count=1");
    let text = logs.text();
    assert!(text.contains("/echo"), "egress not logged: {text}");
    assert!(!text.contains("s3cret-value"), "secret in the log: {text}");
}

#[tokio::test]
async fn a_missing_secret_is_an_invalid_request_naming_the_key() {
    let base = serve(echo_auth()).await;
    let conn = chaos(&runtime());
    let answer = conn
        .test_connection(&cfg(&[("mode", "http"), ("base_url", &base)]))
        .await
        .unwrap();
    assert!(
        answer.starts_with("http-error: invalid-request"),
        "{answer}"
    );
    assert!(answer.contains("`token`"), "{answer}");
}

#[tokio::test]
async fn a_host_outside_describe_is_refused() {
    let conn = chaos(&runtime());
    let answer = conn
        .test_connection(&cfg(&[("mode", "forbidden-host"), ("token", "t")]))
        .await
        .unwrap();
    assert_eq!(answer, "http-error: host-not-allowed: evil.example.net");
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed() {
    let base = serve(echo_auth()).await;
    let strict = Runtime::new(RuntimeSettings {
        allow_plain_http: false,
        ..test_config()
    })
    .unwrap();
    let answer = chaos(&strict)
        .test_connection(&cfg(&[
            ("mode", "http"),
            ("base_url", &base),
            ("token", "t"),
        ]))
        .await
        .unwrap();
    assert!(
        answer.starts_with("http-error: invalid-request"),
        "{answer}"
    );
    assert!(answer.contains("https"), "{answer}");
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let app = Router::new().route(
        "/echo",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late"
        }),
    );
    let base = serve(app).await;
    let rt = Runtime::new(RuntimeSettings {
        http_timeout: Duration::from_millis(100),
        call_deadline: Duration::from_secs(2),
        ..test_config()
    })
    .unwrap();
    let answer = chaos(&rt)
        .test_connection(&cfg(&[
            ("mode", "http"),
            ("base_url", &base),
            ("token", "t"),
        ]))
        .await
        .unwrap();
    assert_eq!(answer, "http-error: timeout");
}

#[tokio::test]
async fn a_large_response_is_refused_with_the_cap() {
    let app = Router::new().route("/echo", get(|| async { "x".repeat(5000) }));
    let base = serve(app).await;
    let rt = Runtime::new(RuntimeSettings {
        max_response_bytes: 4096,
        ..test_config()
    })
    .unwrap();
    let answer = chaos(&rt)
        .test_connection(&cfg(&[
            ("mode", "http"),
            ("base_url", &base),
            ("token", "t"),
        ]))
        .await
        .unwrap();
    assert_eq!(answer, "http-error: response-too-large: 4096");
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    // Bind then drop a listener so the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let answer = chaos(&runtime())
        .test_connection(&cfg(&[
            ("mode", "http"),
            ("base_url", &base),
            ("token", "t"),
        ]))
        .await
        .unwrap();
    assert!(answer.starts_with("http-error: transport"), "{answer}");
}

#[tokio::test]
async fn internal_addresses_are_refused_without_the_private_network_opt_in() {
    let base = serve(echo_auth()).await;
    let port = base.rsplit(':').next().unwrap().to_string();
    let strict = Runtime::new(RuntimeSettings {
        allow_private_networks: false,
        ..test_config()
    })
    .unwrap();
    let conn = chaos(&strict);
    for (url, expected) in [
        (base.clone(), "127.0.0.1 resolves to a loopback address"),
        // A name is judged on the addresses it resolves to.
        (
            format!("http://localhost:{port}"),
            "localhost resolves to a loopback address",
        ),
        (
            "http://169.254.169.254".to_string(),
            "169.254.169.254 resolves to a link-local address",
        ),
    ] {
        let answer = conn
            .test_connection(&cfg(&[
                ("mode", "http"),
                ("base_url", &url),
                ("token", "t"),
            ]))
            .await
            .unwrap();
        assert!(
            answer.starts_with("http-error: host-not-allowed: ") && answer.contains(expected),
            "{url}: {answer}"
        );
        assert!(
            answer.contains("ELDER_EGRESS_ALLOW_PRIVATE=true"),
            "{answer}"
        );
    }
    // The same server is reached once the operator opts in (test_config does).
    let answer = chaos(&runtime())
        .test_connection(&cfg(&[
            ("mode", "http"),
            ("base_url", &base),
            ("token", "t"),
        ]))
        .await
        .unwrap();
    assert!(answer.starts_with("200 "), "{answer}");
}

#[tokio::test]
async fn responses_reach_the_guest_without_cookies_or_secret_values() {
    let app = Router::new().route(
        "/echo",
        get(|headers: HeaderMap| async move {
            let auth = headers
                .get("authorization")
                .map(|v| v.to_str().unwrap_or("?").to_string())
                .unwrap_or_default();
            (
                [("set-cookie", "session=abc123")],
                format!("you sent [{auth}]"),
            )
        }),
    );
    let base = serve(app).await;
    let answer = chaos(&runtime())
        .test_connection(&cfg(&[
            ("mode", "http"),
            ("base_url", &base),
            ("token", "s3cret-value"),
        ]))
        .await
        .unwrap();
    assert_eq!(answer, "200 you sent [Bearer REDACTED]");
}

#[tokio::test]
async fn the_host_decides_what_is_withheld_not_describe() {
    let conn = chaos(&runtime());
    // `hint` is stored as a secret (encrypted or an env reference), `api_token` is named like
    // one, `guest_auth` was declared secret by an earlier approved version: chaos declares
    // none of them secret, and sees none of them.
    conn.withhold_keys(["guest_auth".to_string()]);
    let config = cfg(&[
        ("mode", "echo-config"),
        ("api_token", "n4med-like-a-secret"),
        ("guest_auth", "decl4red-before"),
        ("owner", "acme"),
    ])
    .with_secrets([("hint".to_string(), "st0red-secret".to_string())]);
    let seen = conn.test_connection(&config).await.unwrap();
    assert!(
        seen.contains("owner=acme") && seen.contains("mode=echo-config"),
        "{seen}"
    );
    for leaked in ["n4med-like-a-secret", "decl4red-before", "st0red-secret"] {
        assert!(!seen.contains(leaked), "{leaked} reached the guest: {seen}");
    }
}
