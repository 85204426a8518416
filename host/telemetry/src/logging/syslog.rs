//! Syslog sink: RFC 5424 messages over UDP (RFC 5426). Lines go through a bounded queue to a
//! background sender thread; when the queue is full the line is dropped and counted, so logging
//! never blocks the host even when the collector is down.

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use tracing::Level;

use super::LogStats;
use super::layer::Sink;
use super::record::{LogRecord, plain_value};
use super::settings::SyslogSettings;
use crate::Error;

/// Largest datagram sent; longer messages are cut (RFC 5426 receivers should accept 2048).
pub const MAX_DATAGRAM: usize = 2048;
/// SD-ID of the structured-data element carrying span fields (32473: documentation PEN).
pub const SD_ID: &str = "elder@32473";

/// RFC 5424 severity of a `tracing` level.
pub fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

pub(crate) struct SyslogSink {
    tx: SyncSender<Vec<u8>>,
    facility: u8,
    app_name: String,
    hostname: String,
    procid: String,
    stats: Arc<LogStats>,
}

impl SyslogSink {
    /// Starts the sender thread. The address is resolved by the thread (and again after a failure).
    pub(crate) fn start(
        settings: &SyslogSettings,
        app_name: &str,
        hostname: &str,
        stats: Arc<LogStats>,
    ) -> Result<Self, Error> {
        let (tx, rx) = sync_channel(settings.queue_capacity.max(1));
        let target = format!("{}:{}", settings.host, settings.port);
        let thread_stats = stats.clone();
        std::thread::Builder::new()
            .name("syslog-sender".to_owned())
            .spawn(move || send_loop(&target, &rx, &thread_stats))?;
        Ok(Self {
            tx,
            facility: settings.facility,
            app_name: app_name.to_owned(),
            hostname: hostname.to_owned(),
            procid: std::process::id().to_string(),
            stats,
        })
    }
}

impl Sink for SyslogSink {
    fn emit(&self, record: &LogRecord) {
        let line = format_rfc5424(
            record,
            self.facility,
            &self.hostname,
            &self.app_name,
            &self.procid,
        );
        match self.tx.try_send(line.into_bytes()) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.stats.syslog_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn send_loop(target: &str, rx: &Receiver<Vec<u8>>, stats: &LogStats) {
    let mut socket: Option<(UdpSocket, SocketAddr)> = None;
    while let Ok(line) = rx.recv() {
        if socket.is_none() {
            socket = open(target);
        }
        let sent = match &socket {
            Some((sock, addr)) => sock.send_to(&line, addr).is_ok(),
            None => false,
        };
        let counter = if sent {
            &stats.syslog_sent
        } else {
            &stats.syslog_dropped
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if !sent {
            socket = None;
        }
    }
}

fn open(target: &str) -> Option<(UdpSocket, SocketAddr)> {
    let addr = target.to_socket_addrs().ok()?.next()?;
    let bind: SocketAddr = if addr.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = UdpSocket::bind(bind).ok()?;
    Some((socket, addr))
}

/// One RFC 5424 message:
/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [elder@32473 k="v"...] MSG`.
pub(crate) fn format_rfc5424(
    record: &LogRecord,
    facility: u8,
    hostname: &str,
    app_name: &str,
    procid: &str,
) -> String {
    let pri = u16::from(facility) * 8 + u16::from(severity(&record.level));
    let msgid = record.spans.last().copied().unwrap_or("-");
    let mut line = format!(
        "<{pri}>1 {} {} {} {} {} {} ",
        record.timestamp_text(),
        header_field(hostname, 255),
        header_field(app_name, 48),
        header_field(procid, 128),
        header_field(msgid, 32),
        structured_data(record),
    );
    line.push_str(&record.message);
    for (key, value) in &record.fields {
        line.push_str(&format!(" {key}={}", plain_value(value)));
    }
    truncate(line, MAX_DATAGRAM)
}

/// Printable US-ASCII without spaces, at most `max` characters, `-` when empty.
fn header_field(value: &str, max: usize) -> String {
    let clean: String = value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if clean.is_empty() {
        "-".to_owned()
    } else {
        clean
    }
}

fn structured_data(record: &LogRecord) -> String {
    if record.span_fields.is_empty() {
        return "-".to_owned();
    }
    let mut sd = format!("[{SD_ID}");
    for (key, value) in &record.span_fields {
        let name: String = key
            .chars()
            .filter(|c| c.is_ascii_graphic() && !matches!(c, '=' | ']' | '"'))
            .take(32)
            .collect();
        if name.is_empty() {
            continue;
        }
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        sd.push_str(&format!(" {name}=\"{}\"", escape_param(&text)));
    }
    sd.push(']');
    sd
}

/// PARAM-VALUE escaping: `"`, `\` and `]` get a backslash.
fn escape_param(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn truncate(mut line: String, max: usize) -> String {
    if line.len() > max {
        let mut cut = max;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(level: Level) -> LogRecord {
        let mut span_fields = serde_json::Map::new();
        span_fields.insert("correlation_id".into(), json!("c-1"));
        span_fields.insert("note".into(), json!("a \"quoted\" ]"));
        LogRecord {
            timestamp: chrono::Utc::now(),
            level,
            target: "t".into(),
            message: "hello".into(),
            fields: serde_json::Map::new(),
            span_fields,
            spans: vec!["sync"],
        }
    }

    #[test]
    fn pri_combines_facility_and_severity() {
        let line = format_rfc5424(&record(Level::ERROR), 16, "host", "app", "42");
        assert!(line.starts_with("<131>1 "), "{line}");
        let line = format_rfc5424(&record(Level::INFO), 1, "host", "app", "42");
        assert!(line.starts_with("<14>1 "), "{line}");
    }

    #[test]
    fn structured_data_is_escaped_and_msgid_is_span() {
        let line = format_rfc5424(&record(Level::WARN), 16, "my host", "app", "42");
        assert!(line.contains(" myhost app 42 sync [elder@32473 "), "{line}");
        assert!(line.contains(r#"note="a \"quoted\" \]""#), "{line}");
        assert!(line.ends_with("] hello"), "{line}");
    }

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        let mut rec = record(Level::INFO);
        rec.message = "é".repeat(MAX_DATAGRAM);
        assert!(format_rfc5424(&rec, 16, "h", "a", "1").len() <= MAX_DATAGRAM);
    }
}
