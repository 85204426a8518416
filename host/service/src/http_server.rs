//! The HTTP server and what bounds one client: hyper connections with a header-read
//! timeout (a slowloris client is cut off) and graceful shutdown; tower layers that cap the
//! body size (`413`, sent after reading and discarding a bounded amount of the oversized
//! body, so a client still writing reads the answer rather than a reset), the time a body may stall (`ELDER_HTTP_BODY_TIMEOUT_SECS`), the time
//! a request may take in all (`503 request_timeout`) and how many API and webhook requests
//! run at once (`503 overloaded`; health and metrics stay outside that gate). Errors the
//! framework answers by itself get the API's JSON error body (the console's HTML error pages
//! are left as they are).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use crate::settings::HttpLimits;

/// How long open connections may take to finish their requests after shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How much of an oversized body is read and discarded before the `413` goes out, as a
/// multiple of the body limit. Closing with unread bytes in the socket makes the kernel
/// reset the connection, and a client still writing then sees a broken pipe instead of
/// the answer; past this much (or the body timeout) the connection is simply closed.
const DRAIN_FACTOR: usize = 8;

/// The largest framework error body read back to turn it into a JSON message.
const ERROR_TEXT_LIMIT: usize = 4096;

/// The application with every request bound: `gated` routes (API, webhooks) count toward
/// the concurrency limit, `open` ones (health, metrics) do not; both get the size and time
/// limits and JSON error bodies.
pub fn bounded(gated: Router, open: Router, limits: &HttpLimits) -> Router {
    let gate = Arc::new(Semaphore::new(limits.max_concurrent_requests));
    gated
        .layer(middleware::from_fn_with_state(gate, shed_when_full))
        .merge(open)
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            limits.max_body_bytes,
            bounded_body,
        ))
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            limits.max_body_bytes,
            json_errors,
        ))
}

/// Reads the request body up to `max` bytes and hands it on buffered; a body declared or
/// found larger is answered `413 payload_too_large` after a bounded drain.
async fn bounded_body(State(max): State<usize>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > max as u64) {
        drain(&mut stream, max.saturating_mul(DRAIN_FACTOR)).await;
        return too_large(max);
    }
    let mut buffered = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return error_body(
                StatusCode::BAD_REQUEST,
                "body_unreadable",
                "the request body could not be read: it stalled longer than \
                 ELDER_HTTP_BODY_TIMEOUT_SECS allows, or the connection broke",
            );
        };
        if buffered.len() + chunk.len() > max {
            drain(&mut stream, max.saturating_mul(DRAIN_FACTOR)).await;
            return too_large(max);
        }
        buffered.extend_from_slice(&chunk);
    }
    next.run(Request::from_parts(parts, Body::from(buffered)))
        .await
}

/// Reads and discards up to `budget` more bytes of a body (stopping at its end, an
/// error, or the body timeout).
async fn drain(stream: &mut axum::body::BodyDataStream, budget: usize) {
    let mut read = 0usize;
    while read < budget {
        match stream.next().await {
            Some(Ok(chunk)) => read += chunk.len(),
            _ => return,
        }
    }
}

fn too_large(max: usize) -> Response {
    error_body(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        &too_large_message(max),
    )
}

fn too_large_message(max: usize) -> String {
    format!("the request body is larger than {max} bytes (ELDER_HTTP_MAX_BODY_BYTES)")
}

/// Answers `503 overloaded` at once when every request slot is taken (no queue builds up).
async fn shed_when_full(State(gate): State<Arc<Semaphore>>, req: Request, next: Next) -> Response {
    match gate.try_acquire() {
        Ok(_slot) => next.run(req).await,
        Err(_) => {
            let mut response = error_body(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "too many requests are being served; retry shortly",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// Gives error responses that are not JSON yet (body limit, timeouts, extractor
/// rejections) the API's `{"error": {"code", "message", "field"}}` body.
async fn json_errors(State(max_body): State<usize>, req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    // JSON errors are the API's own; HTML ones are the console's pages in words.
    let written = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json") || v.starts_with("text/html"));
    if written || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, ERROR_TEXT_LIMIT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("payload_too_large".to_string(), too_large_message(max_body))
        }
        StatusCode::SERVICE_UNAVAILABLE if text.is_empty() => (
            "request_timeout".to_string(),
            "the request took longer than the server allows (ELDER_HTTP_REQUEST_TIMEOUT_SECS)"
                .to_string(),
        ),
        _ => (code_of(status), message_of(status, text)),
    };
    let mut rewritten = error_body(status, &code, &message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

fn code_of(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

fn message_of(status: StatusCode, text: String) -> String {
    if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    }
}

fn error_body(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message, "field": null}});
    (status, axum::Json(body)).into_response()
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open connections
/// finish (up to [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(
            app.clone()
                .map_request(|r: axum::http::Request<hyper::body::Incoming>| r.map(Body::new)),
        );
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let conn = graceful.watch(conn.into_owned());
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period; closing them");
    }
    Ok(())
}
