//! The HTTP surface: Tinytracker's ticket routes behind a gate that records the request,
//! checks the Bearer token and answers 429 while rate limited.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::model::{RecordedRequest, State, parse_rfc3339};
use super::ops::{self, ApiError};
use super::webhook;

type Shared = Arc<Mutex<State>>;
type Params = Query<Vec<(String, String)>>;

const DEFAULT_PER_PAGE: usize = 20;
const MAX_PER_PAGE: usize = 50;

/// The router for `/api/projects/{key}/tickets...`.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route(
            "/api/projects/{key}/tickets",
            get(list_tickets).post(create_ticket),
        )
        .route(
            "/api/projects/{key}/tickets/{number}",
            get(get_ticket).patch(patch_ticket).delete(delete_ticket),
        )
        .fallback(|| async { error(&ApiError::not_found("route")) })
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

fn lock(s: &Shared) -> MutexGuard<'_, State> {
    s.lock().expect("tinytracker sim state")
}

fn error(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({"error": {"code": e.code, "message": e.message}});
    if let Some(t) = &e.ticket {
        body["ticket"] = t.clone();
    }
    (status, axum::Json(body)).into_response()
}

fn ok(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

fn answer(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(|e| error(&e))
}

fn record(st: &mut State, req: &Request) {
    st.requests.push(RecordedRequest {
        method: req.method().to_string(),
        uri: req.uri().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
    });
}

fn authorized(st: &State, req: &Request) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("Bearer "))
        .is_some_and(|t| t == st.options.token)
}

async fn gate(AxState(state): AxState<Shared>, req: Request, next: Next) -> Response {
    let refusal = {
        let mut st = lock(&state);
        record(&mut st, &req);
        if !authorized(&st, &req) {
            Some(unauthorized())
        } else {
            st.take_rate_limit().map(rate_limited)
        }
    };
    match refusal {
        Some(resp) => resp,
        None => next.run(req).await,
    }
}

fn unauthorized() -> Response {
    let mut resp = error(&ApiError {
        status: 401,
        code: "unauthorized",
        message: "missing or invalid bearer token".into(),
        ticket: None,
    });
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"tinytracker\""),
    );
    resp
}

fn rate_limited(retry_after: u64) -> Response {
    let mut resp = error(&ApiError {
        status: 429,
        code: "rate_limited",
        message: format!("too many requests; retry in {retry_after} seconds"),
        ticket: None,
    });
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    resp
}

fn check_project(st: &State, key: &str) -> Result<(), ApiError> {
    if key == st.options.project {
        Ok(())
    } else {
        Err(ApiError::not_found("project"))
    }
}

fn number(s: &str) -> Result<u64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found("ticket"))
}

fn param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn positive(q: &[(String, String)], key: &str, default: usize) -> Result<usize, ApiError> {
    match param(q, key) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| ApiError::bad_parameter(key)),
    }
}

/// One page of the listing, and its paging headers.
struct Listing {
    rows: Vec<Value>,
    page: usize,
    per_page: usize,
    total: usize,
}

fn list(st: &State, q: &[(String, String)]) -> Result<Listing, ApiError> {
    let since = match param(q, "updated_since") {
        None => None,
        Some(s) => Some(parse_rfc3339(s).ok_or_else(|| ApiError::bad_parameter("updated_since"))?),
    };
    let page = positive(q, "page", 1)?;
    let per_page = positive(q, "per_page", DEFAULT_PER_PAGE)?.min(MAX_PER_PAGE);
    let mut matching: Vec<_> = st
        .tickets
        .values()
        .filter(|t| since.is_none_or(|s| t.updated_at >= s))
        .collect();
    matching.sort_by_key(|t| (t.updated_at, t.number));
    let rows = matching
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|t| st.ticket_json(t))
        .collect();
    Ok(Listing {
        rows,
        page,
        per_page,
        total: matching.len(),
    })
}

async fn list_tickets(
    AxState(state): AxState<Shared>,
    Path(key): Path<String>,
    Query(q): Params,
) -> Response {
    let st = lock(&state);
    answer(
        check_project(&st, &key)
            .and_then(|_| list(&st, &q))
            .map(|l| {
                let mut resp = ok(StatusCode::OK, Value::Array(l.rows));
                let h = resp.headers_mut();
                let total_pages = l.total.div_ceil(l.per_page);
                h.insert("x-total-pages", HeaderValue::from(total_pages));
                h.insert("x-total-count", HeaderValue::from(l.total));
                h.insert("x-page", HeaderValue::from(l.page));
                h.insert("x-per-page", HeaderValue::from(l.per_page));
                resp
            }),
    )
}

fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError::bad_json())
}

async fn create_ticket(
    AxState(state): AxState<Shared>,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let mut st = lock(&state);
    answer((|| {
        check_project(&st, &key)?;
        let (title, text, labels) = ops::parse_create(&body_json(&body)?)?;
        let (n, event) = ops::create(&mut st, &title, text, labels)?;
        webhook::emit(&state, &mut st, event);
        let ticket = st.ticket_json(&st.tickets[&n]);
        let mut resp = ok(StatusCode::CREATED, ticket);
        let location = format!("/api/projects/{key}/tickets/{n}");
        if let Ok(v) = HeaderValue::from_str(&location) {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        Ok(resp)
    })())
}

async fn get_ticket(
    AxState(state): AxState<Shared>,
    Path((key, n)): Path<(String, String)>,
) -> Response {
    let st = lock(&state);
    answer((|| {
        check_project(&st, &key)?;
        let t = st
            .tickets
            .get(&number(&n)?)
            .ok_or_else(|| ApiError::not_found("ticket"))?;
        Ok(ok(StatusCode::OK, st.ticket_json(t)))
    })())
}

async fn patch_ticket(
    AxState(state): AxState<Shared>,
    Path((key, n)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut st = lock(&state);
    answer((|| {
        check_project(&st, &key)?;
        let n = number(&n)?;
        if !st.tickets.contains_key(&n) {
            return Err(ApiError::not_found("ticket"));
        }
        let (revision, edit) = ops::parse_patch(&body_json(&body)?)?;
        if let Some(event) = ops::edit(&mut st, n, Some(revision), edit)? {
            webhook::emit(&state, &mut st, event);
        }
        Ok(ok(StatusCode::OK, st.ticket_json(&st.tickets[&n])))
    })())
}

async fn delete_ticket(
    AxState(state): AxState<Shared>,
    Path((key, n)): Path<(String, String)>,
) -> Response {
    let mut st = lock(&state);
    answer((|| {
        check_project(&st, &key)?;
        let event = ops::delete(&mut st, number(&n)?)?;
        webhook::emit(&state, &mut st, event);
        Ok(StatusCode::NO_CONTENT.into_response())
    })())
}
