//! KillKrill delivery against local servers: HTTP/2 (TLS), HTTP/3 (QUIC), fallback from HTTP/3 to
//! HTTP/2, batch-size / interval / shutdown flushes, and a dead endpoint that must not block or
//! grow memory.

use std::time::{Duration, Instant};

use elder_sync_telemetry::logging::{CaptureWriter, LogFormat, build_subscriber};

mod support;

fn settings_with(
    kk: elder_sync_telemetry::logging::KillKrillSettings,
) -> elder_sync_telemetry::LogSettings {
    let mut settings = support::settings(LogFormat::Json);
    settings.killkrill = Some(kk);
    settings
}

fn log_sync_lines(subscriber: impl tracing::Subscriber + Send + Sync + 'static, messages: &[&str]) {
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!(
            "sync",
            correlation_id = "corr-1",
            config_id = 3,
            platform = "gitlab"
        );
        let _entered = span.enter();
        for message in messages {
            tracing::info!(api_key = "kk-field-secret", "{message}");
        }
    });
}

#[tokio::test]
async fn http2_batches_arrive_at_batch_size_with_bearer_and_span_fields() {
    let cert = support::cert();
    let (addr, mut rx) = support::start_h2(&cert, 200).await;
    let mut kk = support::killkrill(&format!("https://{addr}/api/v1/logs"), &cert);
    kk.batch_size = 2;
    let (subscriber, guard) =
        build_subscriber(&settings_with(kk), Box::new(CaptureWriter::new())).unwrap();
    log_sync_lines(subscriber, &["one", "two"]);

    let received = support::next(&mut rx).await;
    assert_eq!(received.version, http::Version::HTTP_2);
    assert_eq!(
        received.authorization.as_deref(),
        Some("Bearer kk-test-key")
    );
    let entries = received.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let entry = &entries[0];
    assert_eq!(entry["message"], "one");
    assert_eq!(entry["level"], "INFO");
    assert_eq!(entry["service"], "elder-test");
    assert_eq!(entry["hostname"], "testhost");
    assert_eq!(entry["correlation_id"], "corr-1");
    assert_eq!(entry["config_id"], 3);
    assert_eq!(entry["platform"], "gitlab");
    assert_eq!(entry["trace"]["correlation_id"], "corr-1");
    assert!(entry["timestamp"].as_str().is_some() && entry["logger"].as_str().is_some());
    assert!(!received.body.to_string().contains("kk-field-secret"));
    assert!(guard.shutdown().await);
}

#[tokio::test]
async fn partial_batch_is_sent_at_the_interval_and_rest_at_shutdown() {
    let cert = support::cert();
    let (addr, mut rx) = support::start_h2(&cert, 200).await;
    let mut kk = support::killkrill(&format!("https://{addr}/logs"), &cert);
    kk.batch_size = 100;
    kk.flush_interval = Duration::from_millis(100);
    let (subscriber, guard) =
        build_subscriber(&settings_with(kk), Box::new(CaptureWriter::new())).unwrap();
    let subscriber = std::sync::Arc::new(subscriber);
    log_sync_lines(subscriber.clone(), &["early"]);
    let entries = support::entries_until(&mut rx, "early").await;
    assert_eq!(entries.len(), 1);

    log_sync_lines(subscriber, &["late"]);
    assert!(guard.shutdown().await);
    let entries = support::entries_until(&mut rx, "late").await;
    assert_eq!(entries.len(), 1);
}

#[tokio::test]
async fn shutdown_flushes_a_batch_that_is_not_full() {
    let cert = support::cert();
    let (addr, mut rx) = support::start_h2(&cert, 200).await;
    let mut kk = support::killkrill(&format!("https://{addr}/logs"), &cert);
    kk.batch_size = 100;
    let (subscriber, guard) =
        build_subscriber(&settings_with(kk), Box::new(CaptureWriter::new())).unwrap();
    log_sync_lines(subscriber, &["a", "b", "c"]);
    assert!(guard.shutdown().await);
    let entries = support::entries_until(&mut rx, "c").await;
    assert_eq!(entries.len(), 3);
}

#[tokio::test]
async fn http3_delivers_when_enabled() {
    let cert = support::cert();
    let (addr, mut rx) = support::start_h3(&cert).await;
    let mut kk = support::killkrill(&format!("https://{addr}/logs"), &cert);
    kk.use_http3 = true;
    kk.batch_size = 1;
    let (subscriber, guard) =
        build_subscriber(&settings_with(kk), Box::new(CaptureWriter::new())).unwrap();
    log_sync_lines(subscriber, &["over quic"]);
    let received = support::next(&mut rx).await;
    assert_eq!(received.version, http::Version::HTTP_3);
    assert_eq!(
        received.authorization.as_deref(),
        Some("Bearer kk-test-key")
    );
    assert_eq!(received.body["entries"][0]["message"], "over quic");
    assert_eq!(received.body["entries"][0]["correlation_id"], "corr-1");
    let stats = guard.stats();
    assert!(guard.shutdown().await);
    assert_eq!(stats.snapshot().killkrill_http3_batches, 1);
}

#[tokio::test]
async fn falls_back_to_http2_when_no_http3_server_answers() {
    let cert = support::cert();
    let (addr, mut rx) = support::start_h2(&cert, 200).await;
    let mut kk = support::killkrill(&format!("https://{addr}/logs"), &cert);
    kk.use_http3 = true;
    kk.batch_size = 1;
    kk.connect_timeout = Duration::from_millis(300);
    let (subscriber, guard) =
        build_subscriber(&settings_with(kk), Box::new(CaptureWriter::new())).unwrap();
    log_sync_lines(subscriber, &["fallback"]);
    let received = support::next(&mut rx).await;
    assert_eq!(received.version, http::Version::HTTP_2);
    assert_eq!(received.body["entries"][0]["message"], "fallback");
    let stats = guard.stats();
    assert!(guard.shutdown().await);
    let snap = stats.snapshot();
    assert_eq!(
        (snap.killkrill_http2_batches, snap.killkrill_http3_batches),
        (1, 0)
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_dropped_and_counted() {
    let cert = support::cert();
    let (addr, mut rx) = support::start_h2(&cert, 503).await;
    let mut kk = support::killkrill(&format!("https://{addr}/logs"), &cert);
    kk.batch_size = 2;
    kk.max_retries = 2;
    let (subscriber, guard) =
        build_subscriber(&settings_with(kk), Box::new(CaptureWriter::new())).unwrap();
    log_sync_lines(subscriber, &["x", "y"]);
    for _attempt in 0..3 {
        support::next(&mut rx).await;
    }
    let stats = guard.stats();
    assert!(guard.shutdown().await);
    let snap = stats.snapshot();
    assert_eq!(
        (
            snap.killkrill_failed_attempts,
            snap.killkrill_dropped,
            snap.killkrill_sent
        ),
        (3, 2, 0)
    );
}

#[tokio::test]
async fn dead_endpoint_never_blocks_and_drops_are_bounded_and_counted() {
    let cert = support::cert();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut kk = support::killkrill(&format!("https://127.0.0.1:{port}/logs"), &cert);
    kk.batch_size = 5;
    kk.queue_capacity = 10;
    kk.max_retries = 1;
    kk.shutdown_timeout = Duration::from_secs(2);
    let (subscriber, guard) =
        build_subscriber(&settings_with(kk), Box::new(CaptureWriter::new())).unwrap();
    let stats = guard.stats();
    let lines = 2_000;
    let started = Instant::now();
    tracing::subscriber::with_default(subscriber, || {
        for i in 0..lines {
            tracing::info!(i, "unsendable");
        }
    });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "logging blocked: {:?}",
        started.elapsed()
    );
    // At most queue + one batch can be in flight; everything else was dropped at once.
    assert!(
        stats.snapshot().killkrill_dropped >= lines - 15,
        "{:?}",
        stats.snapshot()
    );
    guard.shutdown().await;
    let snap = stats.snapshot();
    assert_eq!(snap.killkrill_sent, 0);
    assert_eq!(snap.killkrill_dropped, lines, "{snap:?}");
    assert!(snap.killkrill_failed_attempts >= 2, "{snap:?}");

    let metrics = elder_sync_telemetry::Metrics::new().unwrap();
    metrics.attach_log_stats(stats);
    let text = metrics.render();
    assert!(
        text.contains(&format!(
            r#"log_entries_dropped_total{{sink="killkrill"}} {lines}"#
        )),
        "{text}"
    );
}
