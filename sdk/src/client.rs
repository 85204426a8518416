//! [`Client`]: a base URL and default headers every request of a connector shares, so
//! call sites name only a path.

use serde::de::DeserializeOwned;

use crate::ConnectorError;
use crate::http::{Method, Request};

/// Builds requests against one API root with default headers.
///
/// ```
/// use elder_connector_sdk::Client;
/// let api = Client::new("https://api.example/v1/").header("Accept", "application/json");
/// let req = api.get("/tasks").query("page", 2);
/// assert_eq!(req.full_url(), "https://api.example/v1/tasks?page=2");
/// // An absolute URL (e.g. a `Link: rel="next"` target) is used as it is.
/// assert_eq!(api.get("https://api.example/v1/tasks?page=3").url, "https://api.example/v1/tasks?page=3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    base_url: String,
    headers: Vec<(String, String)>,
}

impl Client {
    /// A client for `base_url` (a trailing `/` is dropped).
    pub fn new(base_url: impl Into<String>) -> Client {
        let base_url: String = base_url.into();
        Client {
            base_url: base_url.trim_end_matches('/').to_string(),
            headers: Vec::new(),
        }
    }

    /// Adds a header sent with every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Client {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The API root without trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url` + `path`, or `path` itself when it is an absolute http(s) URL.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("https://") || path.starts_with("http://") {
            return path.to_string();
        }
        if path.is_empty() || path.starts_with('/') || path.starts_with('?') {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}/{path}", self.base_url)
        }
    }

    /// A request with the default headers.
    pub fn request(&self, method: Method, path: &str) -> Request {
        self.headers.iter().fold(
            Request::new(method, self.url(path)),
            |req, (name, value)| req.header(name.clone(), value.clone()),
        )
    }

    /// A GET request.
    pub fn get(&self, path: &str) -> Request {
        self.request(Method::Get, path)
    }

    /// A POST request.
    pub fn post(&self, path: &str) -> Request {
        self.request(Method::Post, path)
    }

    /// A PUT request.
    pub fn put(&self, path: &str) -> Request {
        self.request(Method::Put, path)
    }

    /// A PATCH request.
    pub fn patch(&self, path: &str) -> Request {
        self.request(Method::Patch, path)
    }

    /// A DELETE request.
    pub fn delete(&self, path: &str) -> Request {
        self.request(Method::Delete, path)
    }

    /// GETs `path` and decodes the JSON answer (errors mapped as [`Request::send`]).
    pub fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ConnectorError> {
        self.get(path).send_json()
    }
}
