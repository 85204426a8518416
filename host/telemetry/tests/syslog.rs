//! Syslog: a UDP listener receives well-formed RFC 5424 lines carrying the span fields; with no
//! collector listening, logging neither blocks nor loses track of lines.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use elder_sync_telemetry::logging::{CaptureWriter, LogFormat, SyslogSettings, build_subscriber};

mod support;

fn syslog_settings(port: u16, capacity: usize) -> elder_sync_telemetry::LogSettings {
    let mut settings = support::settings(LogFormat::Json);
    settings.syslog = Some(SyslogSettings {
        host: "127.0.0.1".to_owned(),
        port,
        facility: 16,
        queue_capacity: capacity,
    });
    settings
}

fn receive(socket: &UdpSocket, count: usize) -> Vec<String> {
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 4096];
    (0..count)
        .map(|_| {
            let (n, _) = socket.recv_from(&mut buf).expect("syslog line within 5 s");
            String::from_utf8(buf[..n].to_vec()).unwrap()
        })
        .collect()
}

/// Checks the RFC 5424 header: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`.
fn assert_rfc5424(line: &str, pri: u8, msgid: &str) {
    let mut parts = line.splitn(7, ' ');
    assert_eq!(parts.next(), Some(format!("<{pri}>1").as_str()), "{line}");
    let timestamp = parts.next().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(),
        "{line}"
    );
    assert_eq!(parts.next(), Some("testhost"));
    assert_eq!(parts.next(), Some("elder-test"));
    assert_eq!(parts.next(), Some(std::process::id().to_string().as_str()));
    assert_eq!(parts.next(), Some(msgid));
}

#[test]
fn collector_receives_rfc5424_lines_with_span_fields() {
    let collector = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = collector.local_addr().unwrap().port();
    let settings = syslog_settings(port, 64);
    let (subscriber, _guard) = build_subscriber(&settings, Box::new(CaptureWriter::new())).unwrap();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("sync", correlation_id = "c-9", platform = "jira");
        let _entered = span.enter();
        tracing::error!(token = "tok-secret", "push failed");
        tracing::info!("pushed");
    });
    let lines = receive(&collector, 2);
    // local0 (16): error -> 16*8+3 = 131, info -> 16*8+6 = 134
    assert_rfc5424(&lines[0], 131, "sync");
    assert_rfc5424(&lines[1], 134, "sync");
    assert!(
        lines[0].contains(r#"[elder@32473 correlation_id="c-9" platform="jira"] push failed"#),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("token=[redacted]") && !lines[0].contains("tok-secret"),
        "{}",
        lines[0]
    );
}

#[test]
fn down_collector_never_blocks_and_every_line_is_accounted() {
    let unused = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = unused.local_addr().unwrap().port();
    drop(unused);
    let settings = syslog_settings(port, 8);
    let (subscriber, guard) = build_subscriber(&settings, Box::new(CaptureWriter::new())).unwrap();
    let lines = 5_000u64;
    let started = Instant::now();
    tracing::subscriber::with_default(subscriber, || {
        for i in 0..lines {
            tracing::info!(i, "line");
        }
    });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "logging blocked: {:?}",
        started.elapsed()
    );
    let stats = guard.stats();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let snap = stats.snapshot();
        if snap.syslog_sent + snap.syslog_dropped == lines {
            break;
        }
        assert!(Instant::now() < deadline, "lines unaccounted: {snap:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
