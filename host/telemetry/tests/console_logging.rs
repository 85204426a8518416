//! Console output: JSON and pretty lines carry the sync span fields on every line, the level
//! filter applies, and secrets never appear.

use elder_sync_telemetry::logging::{CaptureWriter, LogFormat, build_subscriber};
use serde_json::Value;

mod support;

fn capture(format: LogFormat, level: &str, body: impl FnOnce()) -> String {
    let writer = CaptureWriter::new();
    let mut settings = support::settings(format);
    settings.level = level.to_owned();
    let (subscriber, _guard) = build_subscriber(&settings, Box::new(writer.clone())).unwrap();
    tracing::subscriber::with_default(subscriber, body);
    writer.contents()
}

fn sync_operation() {
    let span = tracing::info_span!(
        "sync",
        correlation_id = "c-42",
        config_id = 7,
        platform = "github"
    );
    let _entered = span.enter();
    tracing::info!(item = 3, "pulled changes");
    tracing::warn!("rate limited");
    tracing::debug!("noise");
}

#[test]
fn json_lines_carry_span_fields() {
    let out = capture(LogFormat::Json, "INFO", sync_operation);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "debug must be filtered out: {out}");
    for line in &lines {
        assert_eq!(line["correlation_id"], "c-42");
        assert_eq!(line["config_id"], 7);
        assert_eq!(line["platform"], "github");
        assert_eq!(line["span"], "sync");
        assert_eq!(line["service"], "elder-test");
    }
    assert_eq!(lines[0]["message"], "pulled changes");
    assert_eq!(lines[0]["fields"]["item"], 3);
    assert_eq!(lines[1]["level"], "WARN");
}

#[test]
fn pretty_lines_carry_span_fields_and_debug_level_applies() {
    let out = capture(LogFormat::Pretty, "debug", sync_operation);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    for line in lines {
        assert!(
            line.contains("sync{")
                && line.contains("correlation_id=c-42")
                && line.contains("platform=github"),
            "{line}"
        );
    }
    assert!(out.contains("pulled changes item=3"), "{out}");
}

#[test]
fn secrets_never_reach_the_console() {
    for format in [LogFormat::Json, LogFormat::Pretty] {
        let out = capture(format, "info", || {
            let span = tracing::info_span!("sync", api_key = "span-secret-1");
            let _entered = span.enter();
            tracing::info!(token = "field-secret-2", password = %"field-secret-3", user = "bob", "login");
            tracing::info!(
                "calling with Authorization: Bearer msg-secret-4 and password=msg-secret-5"
            );
            tracing::error!(
                error = "postgres://app:url-secret-6@db/x unreachable",
                "db down"
            );
        });
        for secret in 1..=6 {
            assert!(
                !out.contains(&format!("secret-{secret}")),
                "secret {secret} leaked: {out}"
            );
        }
        assert!(out.contains("[redacted]") && out.contains("bob"), "{out}");
    }
}
