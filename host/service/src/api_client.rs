//! The client the operator commands (`plugin ...`, `sync run`) use to talk to a running
//! service's `/api/v1` routes: bearer token, JSON in and out, and an error naming what the
//! service answered.

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// A client of one service's API.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client of `{api_url}{prefix}` (e.g. `/api/v1/plugins`) with `token`, if any.
    pub fn new(api_url: &str, prefix: &str, token: Option<&str>) -> Result<Client> {
        Ok(Client {
            http: reqwest::Client::builder().build()?,
            base: format!("{}{prefix}", api_url.trim_end_matches('/')),
            token: token.map(str::to_string),
        })
    }

    /// `method` (`GET` or `POST`) on `path` under the prefix; the JSON answer, or an error
    /// with the service's status, code and message.
    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.http.get(&url),
            _ => self.http.post(&url),
        };
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach the service at {url} (ELDER_API_URL)"))?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = value["error"]["message"].as_str().unwrap_or("no details");
            let code = value["error"]["code"].as_str().unwrap_or("error");
            bail!("the service answered {status} ({code}): {message}");
        }
        Ok(value)
    }
}
