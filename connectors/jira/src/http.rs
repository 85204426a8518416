//! Requests through the SDK's HTTP client: JSON in and out, statuses (401, 403, 404,
//! 409, 400/422, 429 with `Retry-After`/reset headers) mapped to `ConnectorError` by
//! the SDK.

use elder_connector_sdk::ConnectorError;
use elder_connector_sdk::http::{Method, Request, Response};
use serde_json::Value;

/// Sends `method url` with an optional JSON body; error statuses become errors.
pub fn send(method: &str, url: &str, body: Option<&Value>) -> Result<Response, ConnectorError> {
    let method = match method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => {
            return Err(ConnectorError::internal(format!(
                "unsupported method {other}"
            )));
        }
    };
    let mut req = Request::new(method, url).header("Accept", "application/json");
    if let Some(b) = body {
        req = req.json(b)?;
    }
    req.send()
}
