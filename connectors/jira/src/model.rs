//! Jira's JSON as the connector reads it. Answers and webhook payloads are kept as
//! `serde_json::Value`; this module names the issue fields the connector asks for and
//! reads string fields by JSON pointer.

use serde_json::Value;

/// The issue fields the connector reads (search returns only ids without them).
pub fn issue_fields(sprint_field: Option<&str>) -> Vec<String> {
    let mut f: Vec<String> = [
        "summary",
        "description",
        "status",
        "labels",
        "components",
        "assignee",
        "updated",
        "issuetype",
        "parent",
        "duedate",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    f.extend(sprint_field.map(str::to_string));
    f
}

/// The string at JSON pointer `ptr`, or `""` when absent or not a string.
pub(crate) fn text<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}
