//! GitLab's JSON as the connector reads it. Answers and hook payloads are kept as
//! `serde_json::Value` (REST and hooks spell the same fields differently); these readers
//! are the shapes: string fields, ids sent as numbers or strings, timestamps, labels.

use elder_connector_sdk::ConnectorError;
use elder_connector_sdk::time;
use serde_json::Value;

/// The string at `key`, or `""` when absent or not a string.
pub(crate) fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// An id GitLab sends as a number or a string, as text.
pub(crate) fn id_text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// [`id_text`], or `internal` when the answer lacks it.
pub(crate) fn required_id(v: &Value, key: &str) -> Result<String, ConnectorError> {
    id_text(v, key)
        .ok_or_else(|| ConnectorError::internal(format!("GitLab answer without `{key}`")))
}

/// `updated_at` (`2024-01-05T10:00:00.000Z` or `... UTC`) in epoch ms.
pub(crate) fn updated_ms(v: &Value) -> Result<i64, ConnectorError> {
    let raw = s(v, "updated_at");
    time::parse_timestamp(raw)
        .ok()
        .ok_or_else(|| ConnectorError::internal(format!("unreadable updated_at `{raw}`")))
}

/// Label names, whether sent as strings (REST) or objects with `title`/`name` (hooks).
pub(crate) fn label_names(v: &Value) -> Vec<String> {
    v.get("labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|l| {
                    l.as_str()
                        .or_else(|| l.get("title").and_then(Value::as_str))
                        .or_else(|| l.get("name").and_then(Value::as_str))
                })
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}
