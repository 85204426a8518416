//! One log event captured from `tracing`: message, event fields and the fields of every enclosing
//! span (correlation id, config id, platform...), already redacted, plus its JSON form.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tracing::Level;
use tracing::field::{Field, Visit};

use crate::redact::{REDACTED, is_secret_name, redact_text};

/// Span fields copied to the top level of JSON entries when present.
pub(crate) const PROMOTED: [&str; 3] = ["correlation_id", "config_id", "platform"];

/// Fields recorded on a span, kept in the span's extensions.
#[derive(Debug, Default, Clone)]
pub(crate) struct SpanFields(pub(crate) Map<String, Value>);

/// A captured, redacted log event.
#[derive(Debug, Clone)]
pub(crate) struct LogRecord {
    pub(crate) timestamp: DateTime<Utc>,
    pub(crate) level: Level,
    pub(crate) target: String,
    pub(crate) message: String,
    /// The event's own fields (not `message`).
    pub(crate) fields: Map<String, Value>,
    /// Fields of the enclosing spans, outermost first; inner spans override outer ones.
    pub(crate) span_fields: Map<String, Value>,
    /// Names of the enclosing spans, outermost first.
    pub(crate) spans: Vec<&'static str>,
}

impl LogRecord {
    pub(crate) fn timestamp_text(&self) -> String {
        self.timestamp.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// A field by name: the event's own first, then the spans'.
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).or_else(|| self.span_fields.get(name))
    }

    /// The JSON entry used by the console (`LOG_FORMAT=json`) and KillKrill.
    pub(crate) fn to_json(&self, service: &str, hostname: &str) -> Value {
        let mut entry = json!({
            "timestamp": self.timestamp_text(),
            "level": self.level.as_str(),
            "message": self.message,
            "service": service,
            "hostname": hostname,
            "logger": self.target,
        });
        if let Some(obj) = entry.as_object_mut() {
            for name in PROMOTED {
                if let Some(value) = self.field(name) {
                    obj.insert(name.to_owned(), value.clone());
                }
            }
            if let Some(span) = self.spans.last() {
                obj.insert("span".to_owned(), json!(span));
                obj.insert("spans".to_owned(), json!(self.spans));
            }
            if !self.span_fields.is_empty() {
                obj.insert("trace".to_owned(), Value::Object(self.span_fields.clone()));
            }
            if !self.fields.is_empty() {
                obj.insert("fields".to_owned(), Value::Object(self.fields.clone()));
            }
        }
        entry
    }
}

/// Collects fields into a JSON map, redacting secrets; `message` goes to `message`.
#[derive(Default)]
pub(crate) struct FieldCollector {
    pub(crate) fields: Map<String, Value>,
    pub(crate) message: Option<String>,
}

impl FieldCollector {
    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if name.starts_with("log.") {
            return;
        }
        let value = if is_secret_name(name) {
            Value::String(REDACTED.to_owned())
        } else {
            value
        };
        if name == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(name.to_owned(), value);
        }
    }
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(redact_text(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, json!(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, json!(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, json!(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, json!(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(redact_text(&value.to_string())));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::String(redact_text(&format!("{value:?}"))));
    }
}

/// `key=value` text for a JSON field value (strings unquoted unless they contain spaces).
pub(crate) fn plain_value(value: &Value) -> String {
    match value {
        Value::String(s) if s.contains(char::is_whitespace) || s.is_empty() => format!("{s:?}"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
