//! HTTP client over the host's egress import (`elder:connector/http.send`), and the
//! standard mapping of HTTP answers to [`ConnectorError`].
//!
//! The request builder, URL encoding and status mapping are pure and unit-tested
//! natively; only [`Request::send`] touches the host import.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ConnectorError;
use crate::bindings::elder::connector::http as wit;
use crate::error::UpstreamError;
use crate::time::parse_http_date;

/// How many characters of a response body an error message keeps.
pub const BODY_PREFIX_CHARS: usize = 512;

/// Default wait when a platform rate-limits without saying for how long.
pub const DEFAULT_RETRY_AFTER_MS: u64 = 60_000;

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
    /// HEAD.
    Head,
}

impl Method {
    /// The method name as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay as they are).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An outgoing request under construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The URL without the query parameters added by [`Request::query`].
    pub url: String,
    /// Query parameters, encoded when the request is sent.
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// A request with `method` to `url`.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// A GET request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A POST request.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// A PUT request.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::Put, url)
    }

    /// A PATCH request.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new(Method::Patch, url)
    }

    /// A DELETE request.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::Delete, url)
    }

    /// Adds a query parameter (URL-encoded when sent).
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt(self, key: impl Into<String>, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Result<Self, ConnectorError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ConnectorError::internal(format!("cannot serialise request body: {e}")))?;
        Ok(self.body(bytes, "application/json"))
    }

    /// Sets a raw body with its content type.
    pub fn body(mut self, bytes: Vec<u8>, content_type: &str) -> Self {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        self.headers
            .push(("Content-Type".into(), content_type.to_string()));
        self.body = Some(bytes);
        self
    }

    /// The URL with the query parameters appended and encoded.
    pub fn full_url(&self) -> String {
        if self.query.is_empty() {
            return self.url.clone();
        }
        let qs: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}", self.url, qs.join("&"))
    }

    fn into_wit(self) -> wit::Request {
        wit::Request {
            method: self.method.as_str().to_string(),
            url: self.full_url(),
            headers: self
                .headers
                .into_iter()
                .map(|(name, value)| wit::Header { name, value })
                .collect(),
            body: self.body,
        }
    }

    /// Sends the request through the host and returns the response, whatever its status.
    pub fn send_raw(self) -> Result<Response, ConnectorError> {
        let resp = deliver(&self.into_wit()).map_err(http_error)?;
        Ok(Response {
            status: resp.status,
            headers: resp
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            body: resp.body,
        })
    }

    /// Sends the request and maps an error status to a [`ConnectorError`] with
    /// [`status_error`] (the clock comes from the host).
    pub fn send(self) -> Result<Response, ConnectorError> {
        self.send_raw()?.error_for_status(crate::clock::now_ms())
    }

    /// Sends the request ([`Request::send`]) and decodes the JSON body.
    pub fn send_json<T: DeserializeOwned>(self) -> Result<T, ConnectorError> {
        self.send()?.json()
    }
}

/// Hands a request to the host, or natively to the installed
/// [`FakeHttp`](crate::testing::FakeHttp).
fn deliver(req: &wit::Request) -> Result<wit::Response, wit::HttpError> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::testing::deliver(req)
    }
    #[cfg(target_arch = "wasm32")]
    {
        wit::send(req)
    }
}

/// A response from the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers, as received.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body decoded as JSON; a decoding failure is an `upstream` error naming the type.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ConnectorError::Upstream(UpstreamError {
                status: self.status,
                body: format!(
                    "unexpected response body ({e}): {}",
                    body_prefix(&self.body)
                ),
            })
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `rel="next"` target of the `Link` header (GitHub, GitLab), if any.
    pub fn next_link(&self) -> Option<String> {
        self.header("link")
            .and_then(|v| crate::pagination::link_with_rel(v, "next"))
    }

    /// The next page number from GitLab's `x-next-page` header, if any.
    pub fn next_page_number(&self) -> Option<u32> {
        crate::pagination::next_page_number(self.header("x-next-page"))
    }

    /// `Ok(self)` for 1xx-3xx, otherwise the mapped error.
    pub fn error_for_status(self, now_ms: i64) -> Result<Self, ConnectorError> {
        match status_error(self.status, &self.headers, &self.body, now_ms) {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }
}

/// The first value of header `name` in `headers` (case-insensitive).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The first [`BODY_PREFIX_CHARS`] characters of a body, for error messages.
pub fn body_prefix(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(BODY_PREFIX_CHARS)
        .collect()
}

/// Whether a 403 (or any status) answer is a rate limit rather than a permission error.
pub fn is_rate_limited(status: u16, headers: &[(String, String)], body: &[u8]) -> bool {
    if status == 429 {
        return true;
    }
    if status != 403 {
        return false;
    }
    let remaining_zero = ["x-ratelimit-remaining", "ratelimit-remaining"]
        .iter()
        .any(|h| header(headers, h).map(str::trim) == Some("0"));
    let says_so = String::from_utf8_lossy(body)
        .to_ascii_lowercase()
        .contains("rate limit");
    remaining_zero || header(headers, "retry-after").is_some() || says_so
}

/// How long to wait before retrying, from `Retry-After` (seconds or HTTP date) or,
/// when the matching `*-remaining` header is `0` or absent, a reset header
/// (`x-ratelimit-reset`, `RateLimit-Reset`: epoch seconds, or delta seconds when the
/// value is too small to be an epoch), relative to `now_ms`.
pub fn retry_after_ms(headers: &[(String, String)], now_ms: i64) -> Option<u64> {
    if let Some(v) = header(headers, "retry-after").map(str::trim) {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(secs.saturating_mul(1000));
        }
        if let Ok(at) = parse_http_date(v) {
            return Some(at.saturating_sub(now_ms).max(0) as u64);
        }
    }
    for (name, remaining) in [
        ("x-ratelimit-reset", "x-ratelimit-remaining"),
        ("ratelimit-reset", "ratelimit-remaining"),
    ] {
        // A reset time only says when the quota refills: it is the wait only when the
        // quota is spent (or not reported). A secondary limit with quota left is not.
        let spent = header(headers, remaining).is_none_or(|r| r.trim() == "0");
        if !spent {
            continue;
        }
        if let Some(n) = header(headers, name).and_then(|v| v.trim().parse::<i64>().ok()) {
            let ms = if n >= 1_000_000_000 {
                n.saturating_mul(1000).saturating_sub(now_ms)
            } else {
                n.saturating_mul(1000)
            };
            return Some(ms.max(1000) as u64);
        }
    }
    None
}

/// Maps an HTTP answer to the standard [`ConnectorError`], or `None` for 1xx-3xx.
///
/// 401 unauthorized; 403 forbidden unless rate-limited; 404/410 not-found; 409/412
/// conflict; 429 or a rate-limit 403 rate-limited (delay from [`retry_after_ms`],
/// else 60 s); 400/422 invalid-input; other statuses upstream with a body prefix.
pub fn status_error(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    now_ms: i64,
) -> Option<ConnectorError> {
    if status < 400 {
        return None;
    }
    let text = body_prefix(body);
    if is_rate_limited(status, headers, body) {
        let wait = retry_after_ms(headers, now_ms).unwrap_or(DEFAULT_RETRY_AFTER_MS);
        return Some(ConnectorError::rate_limited(wait, text));
    }
    Some(match status {
        401 => ConnectorError::Unauthorized(text),
        403 => ConnectorError::Forbidden(text),
        404 | 410 => ConnectorError::NotFound(text),
        409 | 412 => ConnectorError::Conflict(text),
        400 | 422 => ConnectorError::InvalidInput(text),
        _ => ConnectorError::Upstream(UpstreamError { status, body: text }),
    })
}

/// Maps the host's refusal to deliver a request to a [`ConnectorError`] naming it.
pub fn http_error(e: wit::HttpError) -> ConnectorError {
    match e {
        wit::HttpError::HostNotAllowed(h) => {
            ConnectorError::invalid_config(format!("host not allowed by this config: {h}"))
        }
        wit::HttpError::InvalidRequest(m) => {
            ConnectorError::internal(format!("invalid HTTP request: {m}"))
        }
        wit::HttpError::Timeout => ConnectorError::Upstream(UpstreamError {
            status: 504,
            body: "HTTP request timed out".into(),
        }),
        wit::HttpError::ResponseTooLarge(cap) => ConnectorError::Upstream(UpstreamError {
            status: 502,
            body: format!("HTTP response larger than the host's cap of {cap} bytes"),
        }),
        wit::HttpError::Transport(m) => ConnectorError::Upstream(UpstreamError {
            status: 502,
            body: format!("HTTP transport error: {m}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn builds_encoded_urls() {
        let r = Request::get("https://x.test/a")
            .query("since", "2024-01-01T00:00:00+05:30")
            .query("q", "a b&c=d/é");
        assert_eq!(
            r.full_url(),
            "https://x.test/a?since=2024-01-01T00%3A00%3A00%2B05%3A30&q=a%20b%26c%3Dd%2F%C3%A9"
        );
        let r = Request::get("https://x.test/a?x=1").query("y", 2);
        assert_eq!(r.full_url(), "https://x.test/a?x=1&y=2");
        assert_eq!(
            Request::get("https://x.test/").full_url(),
            "https://x.test/"
        );
    }

    #[test]
    fn sets_json_body_and_content_type() {
        let r = Request::patch("https://x.test/")
            .header("content-type", "text/plain")
            .json(&serde_json::json!({"a": 1}))
            .unwrap();
        assert_eq!(r.body.as_deref(), Some(&b"{\"a\":1}"[..]));
        let cts: Vec<_> = r
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .collect();
        assert_eq!(cts.len(), 1);
        assert_eq!(cts[0].1, "application/json");
        assert_eq!(r.into_wit().method, "PATCH");
    }

    #[test]
    fn response_helpers() {
        let r = Response {
            status: 200,
            headers: h(&[("X-Total", "5")]),
            body: b"{\"n\":5}".to_vec(),
        };
        assert_eq!(r.header("x-total"), Some("5"));
        assert_eq!(r.header("missing"), None);
        let v: serde_json::Value = r.json().unwrap();
        assert_eq!(v["n"], 5);
        assert_eq!(r.text(), "{\"n\":5}");
        let bad = Response {
            status: 200,
            headers: vec![],
            body: b"<html>".to_vec(),
        };
        assert!(matches!(
            bad.json::<serde_json::Value>(),
            Err(ConnectorError::Upstream(_))
        ));
    }

    #[test]
    fn maps_plain_statuses() {
        let m = |s| status_error(s, &[], b"msg", NOW);
        assert_eq!(m(200), None);
        assert_eq!(m(304), None);
        assert!(matches!(m(401), Some(ConnectorError::Unauthorized(t)) if t == "msg"));
        assert!(matches!(m(403), Some(ConnectorError::Forbidden(_))));
        assert!(matches!(m(404), Some(ConnectorError::NotFound(_))));
        assert!(matches!(m(409), Some(ConnectorError::Conflict(_))));
        assert!(matches!(m(412), Some(ConnectorError::Conflict(_))));
        assert!(matches!(m(422), Some(ConnectorError::InvalidInput(_))));
        assert!(matches!(
            m(503),
            Some(ConnectorError::Upstream(UpstreamError { status: 503, .. }))
        ));
        assert!(matches!(
            m(418),
            Some(ConnectorError::Upstream(UpstreamError { status: 418, .. }))
        ));
    }

    fn wait(e: Option<ConnectorError>) -> u64 {
        match e {
            Some(ConnectorError::RateLimited(r)) => r.retry_after_ms,
            other => panic!("expected rate-limited, got {other:?}"),
        }
    }

    #[test]
    fn maps_rate_limits_with_their_delay() {
        assert_eq!(
            wait(status_error(429, &h(&[("Retry-After", "7")]), b"", NOW)),
            7000
        );
        let reset = (NOW / 1000 + 120).to_string();
        let primary = h(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        assert_eq!(
            wait(status_error(403, &primary, b"API rate limit exceeded", NOW)),
            120_000
        );
        assert_eq!(
            wait(status_error(
                429,
                &h(&[("RateLimit-Reset", &reset)]),
                b"",
                NOW
            )),
            120_000
        );
        assert_eq!(
            wait(status_error(
                429,
                &h(&[("RateLimit-Reset", "30")]),
                b"",
                NOW
            )),
            30_000
        );
        let secondary = b"You have exceeded a secondary rate limit";
        assert_eq!(wait(status_error(403, &[], secondary, NOW)), 60_000);
        let quota_left = h(&[
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-reset", &reset),
        ]);
        assert_eq!(wait(status_error(403, &quota_left, secondary, NOW)), 60_000);
        assert_eq!(wait(status_error(429, &[], b"", NOW)), 60_000);
    }

    #[test]
    fn retry_after_accepts_http_dates() {
        let date = "Tue, 14 Nov 2023 22:13:27 GMT"; // NOW + 7 s
        assert_eq!(
            retry_after_ms(&h(&[("retry-after", date)]), NOW),
            Some(7000)
        );
        assert_eq!(
            retry_after_ms(&h(&[("retry-after", date)]), NOW + 60_000),
            Some(0)
        );
        assert_eq!(retry_after_ms(&h(&[("retry-after", "soon")]), NOW), None);
    }

    #[test]
    fn a_forbidden_403_with_quota_left_is_not_a_rate_limit() {
        let hs = h(&[("x-ratelimit-remaining", "4999")]);
        assert!(matches!(
            status_error(403, &hs, b"Resource not accessible by integration", NOW),
            Some(ConnectorError::Forbidden(_))
        ));
    }

    #[test]
    fn truncates_long_bodies() {
        let body = "x".repeat(5000);
        match status_error(500, &[], body.as_bytes(), NOW) {
            Some(ConnectorError::Upstream(u)) => assert_eq!(u.body.len(), BODY_PREFIX_CHARS),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn maps_host_refusals() {
        assert!(matches!(
            http_error(wit::HttpError::HostNotAllowed("evil.test".into())),
            ConnectorError::InvalidConfig(m) if m.contains("evil.test")
        ));
        assert!(matches!(
            http_error(wit::HttpError::Timeout),
            ConnectorError::Upstream(UpstreamError { status: 504, .. })
        ));
        assert!(matches!(
            http_error(wit::HttpError::ResponseTooLarge(10)),
            ConnectorError::Upstream(u) if u.body.contains("10")
        ));
    }
}
