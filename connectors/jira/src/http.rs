//! HTTP through the host's egress: JSON requests, and Jira's answers mapped to
//! `ConnectorError` (401, 403, 404, 409, 400/422 with Jira's `errorMessages`/`errors`,
//! 429 with `Retry-After`, anything else as `upstream`).

use elder_connector_sdk::bindings::elder::connector::{clock, http};
use elder_connector_sdk::{ConnectorError, UpstreamError};
use serde_json::Value;

/// A successful response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<Value, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ConnectorError::Upstream(UpstreamError {
                status: self.status,
                body: format!("invalid JSON: {e}"),
            })
        })
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Sends a request with an optional JSON body; non-2xx answers become errors.
pub fn send(method: &str, url: &str, body: Option<&Value>) -> Result<Response, ConnectorError> {
    let mut headers = vec![http::Header {
        name: "Accept".into(),
        value: "application/json".into(),
    }];
    if body.is_some() {
        headers.push(http::Header {
            name: "Content-Type".into(),
            value: "application/json".into(),
        });
    }
    let req = http::Request {
        method: method.into(),
        url: url.into(),
        headers,
        body: body.map(|b| b.to_string().into_bytes()),
    };
    let resp = http::send(&req).map_err(transport_error)?;
    let headers: Vec<(String, String)> = resp
        .headers
        .into_iter()
        .map(|h| (h.name, h.value))
        .collect();
    if (200..300).contains(&resp.status) {
        return Ok(Response {
            status: resp.status,
            headers,
            body: resp.body,
        });
    }
    Err(status_error(
        resp.status,
        &headers,
        &resp.body,
        clock::now_ms(),
    ))
}

fn transport_error(e: http::HttpError) -> ConnectorError {
    match e {
        http::HttpError::HostNotAllowed(h) => {
            ConnectorError::invalid_config(format!("host not allowed by this config: {h}"))
        }
        http::HttpError::InvalidRequest(m) => {
            ConnectorError::internal(format!("invalid request: {m}"))
        }
        http::HttpError::Timeout => ConnectorError::Upstream(UpstreamError {
            status: 504,
            body: "timeout".into(),
        }),
        http::HttpError::ResponseTooLarge(n) => ConnectorError::Upstream(UpstreamError {
            status: 502,
            body: format!("response larger than {n} bytes"),
        }),
        http::HttpError::Transport(m) => ConnectorError::Upstream(UpstreamError {
            status: 502,
            body: format!("transport: {m}"),
        }),
    }
}

/// Maps an error answer. `now_ms` converts an absolute `RateLimit-Reset` into a wait.
pub fn status_error(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    now_ms: i64,
) -> ConnectorError {
    let text = message(body);
    match status {
        401 => ConnectorError::Unauthorized(text),
        403 => ConnectorError::Forbidden(text),
        404 => ConnectorError::NotFound(text),
        409 => ConnectorError::Conflict(text),
        400 | 422 => ConnectorError::InvalidInput(text),
        429 => ConnectorError::rate_limited(
            retry_after_ms(headers, now_ms),
            if text.is_empty() {
                "rate limited".into()
            } else {
                text
            },
        ),
        _ => ConnectorError::Upstream(UpstreamError { status, body: text }),
    }
}

/// `Retry-After` seconds, else `X-RateLimit-Reset` (an ISO timestamp) minus now, else 60 s.
pub fn retry_after_ms(headers: &[(String, String)], now_ms: i64) -> u64 {
    if let Some(s) = header(headers, "retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return s * 1000;
    }
    if let Some(reset) = header(headers, "x-ratelimit-reset").and_then(crate::time::parse_ms) {
        return (reset - now_ms).max(1000) as u64;
    }
    60_000
}

/// Jira's `errorMessages` and `errors` joined (`field: message`), else the body start.
pub fn message(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(&body[..body.len().min(500)])
            .trim()
            .to_string();
    };
    let mut parts: Vec<String> = v
        .get("errorMessages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if let Some(errs) = v.get("errors").and_then(Value::as_object) {
        parts.extend(
            errs.iter()
                .map(|(k, m)| format!("{k}: {}", m.as_str().unwrap_or(""))),
        );
    }
    if parts.is_empty() {
        v.to_string()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rate_limit_reads_retry_after_or_iso_reset() {
        assert_eq!(retry_after_ms(&h(&[("Retry-After", "5")]), 0), 5000);
        let now = crate::time::parse_ms("2026-01-01T00:00:00.000+0000").unwrap();
        assert_eq!(
            retry_after_ms(
                &h(&[("X-RateLimit-Reset", "2026-01-01T00:00:20.000Z")]),
                now
            ),
            20_000
        );
        let e = status_error(
            429,
            &h(&[("Retry-After", "5")]),
            br#"{"errorMessages":["Rate limit exceeded."]}"#,
            0,
        );
        assert!(
            matches!(e, ConnectorError::RateLimited(r) if r.retry_after_ms == 5000 && r.message == "Rate limit exceeded.")
        );
    }

    #[test]
    fn jira_error_bodies_become_readable_messages() {
        let e = status_error(400, &[], br#"{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue."}}"#, 0);
        assert!(
            matches!(e, ConnectorError::InvalidInput(m) if m == "summary: You must specify a summary of the issue.")
        );
        assert!(
            matches!(status_error(401, &[], b"Client must be authenticated", 0), ConnectorError::Unauthorized(m) if m.contains("authenticated"))
        );
        assert!(matches!(
            status_error(
                404,
                &[],
                br#"{"errorMessages":["Issue does not exist"]}"#,
                0
            ),
            ConnectorError::NotFound(_)
        ));
    }
}
