//! Console sink: one JSON object or one human-readable line per event, to stdout or a test
//! [`CaptureWriter`].

use std::io::Write;
use std::sync::{Arc, Mutex};

use super::layer::Sink;
use super::record::{LogRecord, plain_value};
use super::settings::LogFormat;

/// An in-memory console for tests; clones share the buffer.
#[derive(Debug, Clone, Default)]
pub struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl CaptureWriter {
    /// A new, empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> String {
        let buf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl Write for CaptureWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut buf = self.0.lock().unwrap_or_else(|p| p.into_inner());
        buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) struct ConsoleSink {
    format: LogFormat,
    service: String,
    hostname: String,
    out: Mutex<Box<dyn Write + Send>>,
}

impl ConsoleSink {
    pub(crate) fn new(
        format: LogFormat,
        service: String,
        hostname: String,
        out: Box<dyn Write + Send>,
    ) -> Self {
        Self {
            format,
            service,
            hostname,
            out: Mutex::new(out),
        }
    }
}

impl Sink for ConsoleSink {
    fn emit(&self, record: &LogRecord) {
        let line = match self.format {
            LogFormat::Json => record.to_json(&self.service, &self.hostname).to_string(),
            LogFormat::Pretty => pretty_line(record),
        };
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        // A console that cannot be written to has nowhere to report it: ignore.
        let _ = writeln!(out, "{line}");
    }
}

/// `2026-01-02T03:04:05.000006Z  INFO sync{correlation_id=c1 platform=github}: target: msg k=v`
fn pretty_line(record: &LogRecord) -> String {
    let mut line = format!("{} {:>5} ", record.timestamp_text(), record.level.as_str());
    if let Some(span) = record.spans.last() {
        line.push_str(span);
        if !record.span_fields.is_empty() {
            line.push('{');
            line.push_str(&key_values(&record.span_fields));
            line.push('}');
        }
        line.push_str(": ");
    }
    line.push_str(&record.target);
    line.push_str(": ");
    line.push_str(&record.message);
    if !record.fields.is_empty() {
        line.push(' ');
        line.push_str(&key_values(&record.fields));
    }
    line
}

fn key_values(fields: &serde_json::Map<String, serde_json::Value>) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", plain_value(v)))
        .collect::<Vec<_>>()
        .join(" ")
}
