//! Native unit testing of connectors (not compiled for wasm): build a [`Config`] from
//! pairs, script the platform's HTTP answers with [`FakeHttp`] and assert the requests
//! the connector made, and pin the clock with [`set_now`].
//!
//! ```
//! use elder_connector_sdk::http::Request;
//! use elder_connector_sdk::testing::{FakeHttp, Reply};
//!
//! let http = FakeHttp::new();
//! http.reply(Reply::json(200, serde_json::json!({"id": 7})));
//! let v: serde_json::Value = Request::get("https://api.example/tasks/7")
//!     .header("Accept", "application/json")
//!     .send_json()
//!     .unwrap();
//! assert_eq!(v["id"], 7);
//! let sent = http.only_request();
//! assert_eq!((sent.method.as_str(), sent.url.as_str()), ("GET", "https://api.example/tasks/7"));
//! assert_eq!(sent.header("accept"), Some("application/json"));
//! ```

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use crate::bindings::elder::connector::http as wit;
use crate::{Config, ConfigEntry, Connector, ConnectorError};

/// A config from `(key, value)` pairs.
pub fn config(pairs: &[(&str, &str)]) -> Config {
    pairs
        .iter()
        .map(|(k, v)| ConfigEntry {
            key: k.to_string(),
            value: v.to_string(),
        })
        .collect()
}

/// The settings of connector `C` from `(key, value)` pairs, exactly as the glue parses
/// them on every call (and as `validate-config` answers).
pub fn settings<C: Connector>(pairs: &[(&str, &str)]) -> Result<C::Settings, ConnectorError> {
    crate::connector::load::<C>(&config(pairs))
}

thread_local! {
    static HTTP: RefCell<Option<Rc<RefCell<Script>>>> = const { RefCell::new(None) };
    static NOW: Cell<Option<i64>> = const { Cell::new(None) };
}

/// Pins what `clock::now_ms` answers on this thread (otherwise the system clock).
pub fn set_now(ms: i64) {
    NOW.with(|n| n.set(Some(ms)));
}

pub(crate) fn now_ms() -> i64 {
    NOW.with(Cell::get).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    })
}

pub(crate) fn deliver(req: &wit::Request) -> Result<wit::Response, wit::HttpError> {
    let script = HTTP.with(|h| h.borrow().clone()).unwrap_or_else(|| {
        panic!(
            "the connector sent {} {} but no testing::FakeHttp is installed on this thread",
            req.method, req.url
        )
    });
    script.borrow_mut().answer(req)
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply(Result<wit::Response, wit::HttpError>);

impl Reply {
    /// A response with `status`, no headers and an empty body.
    pub fn status(status: u16) -> Reply {
        Reply(Ok(wit::Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }))
    }

    /// A JSON response.
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply::text(status, &body.to_string()).header("Content-Type", "application/json")
    }

    /// A text response.
    pub fn text(status: u16, body: &str) -> Reply {
        let mut r = Reply::status(status);
        if let Ok(resp) = &mut r.0 {
            resp.body = body.as_bytes().to_vec();
        }
        r
    }

    /// The host refusing or failing to deliver (timeout, host not allowed, ...).
    pub fn error(error: wit::HttpError) -> Reply {
        Reply(Err(error))
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Ok(resp) = &mut self.0 {
            resp.headers.push(wit::Header {
                name: name.into(),
                value: value.into(),
            });
        }
        self
    }
}

/// A request the connector sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The full URL, query included.
    pub url: String,
    /// Headers as the connector set them (the host adds credentials later).
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

impl Sent {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::header(&self.headers, name)
    }

    /// The body as JSON; panics when there is none or it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        let body = self.body.as_deref().unwrap_or_else(|| {
            panic!("{} {} has no body", self.method, self.url);
        });
        serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{} {} body is not JSON: {e}", self.method, self.url))
    }
}

#[derive(Default)]
struct Script {
    replies: VecDeque<Reply>,
    sent: Vec<Sent>,
}

impl Script {
    fn answer(&mut self, req: &wit::Request) -> Result<wit::Response, wit::HttpError> {
        self.sent.push(Sent {
            method: req.method.clone(),
            url: req.url.clone(),
            headers: req
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            body: req.body.clone(),
        });
        match self.replies.pop_front() {
            Some(Reply(answer)) => answer,
            None => panic!(
                "FakeHttp: unexpected request {} {} (no scripted answer left)",
                req.method, req.url
            ),
        }
    }
}

/// A fake HTTP transport for the current thread: the connector's requests are recorded
/// and answered, in order, with the scripted [`Reply`]s. Installed by [`FakeHttp::new`],
/// removed when dropped; dropping it with answers left unused fails the test.
pub struct FakeHttp {
    script: Rc<RefCell<Script>>,
}

impl FakeHttp {
    /// Installs an empty script on this thread (replacing any other).
    #[allow(clippy::new_without_default)]
    pub fn new() -> FakeHttp {
        let script = Rc::new(RefCell::new(Script::default()));
        HTTP.with(|h| *h.borrow_mut() = Some(script.clone()));
        FakeHttp { script }
    }

    /// Queues the answer to the next request.
    pub fn reply(&self, reply: Reply) -> &FakeHttp {
        self.script.borrow_mut().replies.push_back(reply);
        self
    }

    /// Every request sent so far, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.script.borrow().sent.clone()
    }

    /// The one request sent so far; panics unless exactly one was.
    pub fn only_request(&self) -> Sent {
        let sent = self.sent();
        assert_eq!(sent.len(), 1, "expected exactly one request, got {sent:#?}");
        sent.into_iter().next().expect("one request")
    }
}

impl Drop for FakeHttp {
    fn drop(&mut self) {
        HTTP.with(|h| {
            let mut h = h.borrow_mut();
            if h.as_ref().is_some_and(|s| Rc::ptr_eq(s, &self.script)) {
                *h = None;
            }
        });
        let left = self.script.borrow().replies.len();
        if left > 0 && !std::thread::panicking() {
            panic!("FakeHttp: {left} scripted answer(s) were never requested");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Request;

    #[test]
    fn answers_in_order_and_records_requests() {
        let http = FakeHttp::new();
        http.reply(Reply::status(204))
            .reply(Reply::text(429, "slow down").header("Retry-After", "3"));
        Request::post("https://x.test/a")
            .json(&serde_json::json!({"t": 1}))
            .unwrap()
            .send()
            .unwrap();
        let err = Request::get("https://x.test/b").query("q", "a b").send();
        assert_eq!(err, Err(ConnectorError::rate_limited(3000, "slow down")));
        let sent = http.sent();
        assert_eq!(sent[0].json(), serde_json::json!({"t": 1}));
        assert_eq!(sent[0].header("content-type"), Some("application/json"));
        assert_eq!(sent[1].url, "https://x.test/b?q=a%20b");
    }

    #[test]
    fn maps_scripted_transport_errors() {
        let http = FakeHttp::new();
        http.reply(Reply::error(wit::HttpError::HostNotAllowed(
            "evil.test".into(),
        )));
        let err = Request::get("https://evil.test/").send().unwrap_err();
        assert!(matches!(err, ConnectorError::InvalidConfig(m) if m.contains("evil.test")));
        assert_eq!(http.only_request().method, "GET");
    }

    #[test]
    #[should_panic(expected = "never requested")]
    fn unused_answers_fail_the_test() {
        let http = FakeHttp::new();
        http.reply(Reply::status(200));
    }

    #[test]
    #[should_panic(expected = "no scripted answer left")]
    fn unexpected_requests_fail_the_test() {
        let _http = FakeHttp::new();
        let _ = Request::get("https://x.test/").send_raw();
    }

    #[test]
    fn pins_the_clock() {
        set_now(1234);
        assert_eq!(crate::clock::now_ms(), 1234);
    }
}
