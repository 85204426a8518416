//! The HTTP surface: GitHub's REST routes for one repository, behind a gate that
//! records the request, checks the Bearer token, gives planned rate-limit answers
//! and adds `x-ratelimit-*` headers to every answer.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::model::{
    Counters, Issue, RecordedRequest, State, issue_json, issue_json_counted, label_json,
    milestone_json, milestone_json_counted, parse_iso, repo_json,
};
use super::ops::{self, ApiError, Event, IssueEdit, MilestoneEdit};
use super::webhook;
use super::{RateLimitKind, comment_routes};

pub(super) type Shared = Arc<Mutex<State>>;
type Query_ = Query<Vec<(String, String)>>;

const QUOTA: u64 = 5000;

/// The router for `/repos/{owner}/{repo}/...`.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/repos/{owner}/{repo}", get(get_repo))
        .route(
            "/repos/{owner}/{repo}/issues",
            get(list_issues).post(create_issue),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}",
            get(get_issue).patch(patch_issue),
        )
        .route(
            "/repos/{owner}/{repo}/milestones",
            get(list_milestones).post(create_milestone),
        )
        .route(
            "/repos/{owner}/{repo}/milestones/{number}",
            get(get_milestone)
                .patch(patch_milestone)
                .delete(delete_milestone),
        )
        .route(
            "/repos/{owner}/{repo}/labels",
            get(list_labels).post(create_label),
        )
        .route(
            "/repos/{owner}/{repo}/labels/{name}",
            get(get_label).patch(patch_label).delete(delete_label),
        )
        .merge(comment_routes::routes())
        .fallback(|| async { error(&ApiError::not_found()) })
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

pub(super) fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.lock().expect("github sim state")
}

pub(super) fn error(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "message": e.message,
        "documentation_url": "https://docs.github.com/rest",
        "status": e.status.to_string(),
    });
    (status, axum::Json(body)).into_response()
}

pub(super) fn ok(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

fn rate_headers(h: &mut HeaderMap, remaining: u64, used: u64, reset: i64) {
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set("x-ratelimit-limit", QUOTA.to_string());
    set("x-ratelimit-remaining", remaining.to_string());
    set("x-ratelimit-used", used.to_string());
    set("x-ratelimit-reset", reset.to_string());
    set("x-ratelimit-resource", "core".into());
    set("x-github-api-version-selected", "2022-11-28".into());
    set("x-github-request-id", format!("SIM:{used:08X}"));
}

fn rate_limited(kind: RateLimitKind, now: i64) -> Response {
    let (status, message, retry_after, remaining_zero_reset) = match kind {
        RateLimitKind::Primary { reset_in_secs } => (
            403,
            "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.",
            None,
            Some(now + reset_in_secs as i64),
        ),
        RateLimitKind::Secondary { retry_after_secs } => (
            403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            retry_after_secs,
            None,
        ),
        RateLimitKind::TooManyRequests { retry_after_secs } => (
            429,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            retry_after_secs,
            None,
        ),
    };
    let mut resp = error(&ApiError {
        status,
        message: message.into(),
    });
    let h = resp.headers_mut();
    match remaining_zero_reset {
        Some(reset) => rate_headers(h, 0, QUOTA, reset),
        None => rate_headers(h, QUOTA - 1, 1, now + 3600),
    }
    if let Some(secs) = retry_after {
        h.insert("retry-after", HeaderValue::from(secs));
    }
    resp
}

fn authorized(st: &State, auth: Option<&str>) -> bool {
    let expected = &st.options.token;
    auth.and_then(|a| {
        a.strip_prefix("Bearer ")
            .or_else(|| a.strip_prefix("token "))
    })
    .is_some_and(|t| t.trim() == expected)
}

async fn gate(AxState(state): AxState<Shared>, req: Request, next: Next) -> Response {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (planned, now, known_repo) = {
        let mut st = lock(&state);
        st.requests.push(RecordedRequest {
            method: req.method().to_string(),
            uri: req.uri().to_string(),
            authorization: auth.clone(),
            headers: req
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
        });
        let prefix = format!("/repos/{}/{}", st.options.owner, st.options.repo);
        let path = req.uri().path();
        let known = path == prefix || path.starts_with(&format!("{prefix}/"));
        (st.rate_limits.pop_front(), st.now(), known)
    };
    if !authorized(&lock(&state), auth.as_deref()) {
        let mut resp = error(&ApiError {
            status: 401,
            message: "Bad credentials".into(),
        });
        rate_headers(resp.headers_mut(), 59, 1, now + 3600);
        return resp;
    }
    if let Some(kind) = planned {
        return rate_limited(kind, now);
    }
    let (remaining, used) = {
        let mut st = lock(&state);
        st.used += 1;
        (QUOTA.saturating_sub(st.used), st.used)
    };
    let mut resp = if known_repo {
        next.run(req).await
    } else {
        error(&ApiError::not_found())
    };
    rate_headers(resp.headers_mut(), remaining, used, now + 3600);
    resp
}

pub(super) fn emit(state: &Shared, st: &mut State, events: &[Event]) {
    let to_send = webhook::record(st, events);
    if !to_send.is_empty() {
        tokio::spawn(webhook::send(state.clone(), to_send));
    }
}

async fn get_repo(AxState(state): AxState<Shared>) -> Response {
    ok(StatusCode::OK, repo_json(&lock(&state)))
}

pub(super) fn param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `per_page` (default 30, at most 100) and 1-based `page`.
fn paging(q: &[(String, String)]) -> Result<(usize, usize), ApiError> {
    let per_page = match param(q, "per_page") {
        None => 30,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| ApiError::invalid("bad per_page"))?
            .clamp(1, 100),
    };
    let page = match param(q, "page") {
        None => 1,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| ApiError::invalid("bad page"))?
            .max(1),
    };
    Ok((per_page, page))
}

/// GitHub's `Link` header for page `page` of `total` rows.
fn link_header(
    base: &str,
    path: &str,
    q: &[(String, String)],
    page: usize,
    per_page: usize,
    total: usize,
) -> Option<String> {
    let last = total.div_ceil(per_page).max(1);
    let url = |p: usize| {
        let mut pairs: Vec<String> = q
            .iter()
            .filter(|(k, _)| k != "page" && k != "per_page")
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        pairs.push(format!("per_page={per_page}"));
        pairs.push(format!("page={p}"));
        format!("<{base}{path}?{}>", pairs.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    if page < last {
        links.push(format!("{}; rel=\"next\"", url(page + 1)));
        links.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", url(1)));
    }
    (!links.is_empty()).then(|| links.join(", "))
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(super) fn paged(
    st: &State,
    path: &str,
    q: &[(String, String)],
    rows: Vec<Value>,
) -> Result<Response, ApiError> {
    let (per_page, page) = paging(q)?;
    let total = rows.len();
    let slice: Vec<Value> = rows
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    paged_slice(st, path, q, slice, total)
}

/// The answer of one page already cut out of `total` rows (`slice`), with its `Link` header.
fn paged_slice(
    st: &State,
    path: &str,
    q: &[(String, String)],
    slice: Vec<Value>,
    total: usize,
) -> Result<Response, ApiError> {
    let (per_page, page) = paging(q)?;
    let mut resp = ok(StatusCode::OK, Value::Array(slice));
    if let Some(link) = link_header(&st.base_url, path, q, page, per_page, total)
        && let Ok(v) = HeaderValue::from_str(&link)
    {
        resp.headers_mut().insert("link", v);
    }
    Ok(resp)
}

async fn list_issues(
    AxState(state): AxState<Shared>,
    uri: axum::http::Uri,
    Query(q): Query_,
) -> Response {
    let delay = lock(&state).list_answer_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let st = lock(&state);
    let since = match param(&q, "since").map(|s| parse_iso(s).ok_or(s)) {
        Some(Err(_)) => return error(&ApiError::invalid("`since` must be ISO 8601")),
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let state_filter = param(&q, "state").unwrap_or("open");
    let mut rows: Vec<_> = st
        .issues
        .values()
        .filter(|i| state_filter == "all" || i.state == state_filter)
        .filter(|i| since.is_none_or(|s| i.updated_at >= s))
        .collect();
    let by_updated = param(&q, "sort").unwrap_or("created") == "updated";
    let key = |i: &&Issue| {
        (
            if by_updated {
                i.updated_at
            } else {
                i.created_at
            },
            i.number,
        )
    };
    let descending = param(&q, "direction").unwrap_or("desc") == "desc";
    let (per_page, page) = match paging(&q) {
        Ok(p) => p,
        Err(e) => return error(&e),
    };
    // Only the requested page is sorted and rendered: a 100k-issue repository is listed
    // page by page in time linear in its size, as GitHub's own index would.
    let total = rows.len();
    let end = (page * per_page).min(total);
    if end > 0 && end < total {
        if descending {
            rows.select_nth_unstable_by_key(end - 1, |i| std::cmp::Reverse(key(i)));
        } else {
            rows.select_nth_unstable_by_key(end - 1, key);
        }
        rows.truncate(end);
    }
    rows.sort_by_key(key);
    if descending {
        rows.reverse();
    }
    let counters = Counters::of(&st);
    let json_rows = rows
        .iter()
        .skip((page - 1) * per_page)
        .map(|i| issue_json_counted(&st, i, &counters))
        .collect();
    paged_slice(&st, uri.path(), &q, json_rows, total).unwrap_or_else(|e| error(&e))
}

pub(super) fn body_json(body: &axum::body::Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError {
        status: 400,
        message: "Problems parsing JSON".into(),
    })
}

async fn create_issue(AxState(state): AxState<Shared>, body: axum::body::Bytes) -> Response {
    let result = (|| {
        let v = body_json(&body)?;
        let title = v
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let edit = IssueEdit::from_json(&v)?;
        let mut st = lock(&state);
        let owner = st.options.owner.clone();
        let (n, events) = ops::create_issue(&mut st, &title, edit, false, &owner)?;
        emit(&state, &mut st, &events);
        Ok((
            ok(StatusCode::CREATED, issue_json(&st, &st.issues[&n])),
            st.create_answer_delay,
        ))
    })();
    match result {
        Ok((answer, delay)) => {
            // Committed already: only the answer is late.
            tokio::time::sleep(delay).await;
            answer
        }
        Err(e) => error(&e),
    }
}

fn number(s: &str) -> Result<u64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found())
}

async fn get_issue(
    AxState(state): AxState<Shared>,
    Path((_, _, n)): Path<(String, String, String)>,
) -> Response {
    let st = lock(&state);
    match number(&n).ok().and_then(|n| st.issues.get(&n)) {
        Some(i) => ok(StatusCode::OK, issue_json(&st, i)),
        None => error(&ApiError::not_found()),
    }
}

async fn patch_issue(
    AxState(state): AxState<Shared>,
    Path((_, _, n)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let result = (|| {
        let n = number(&n)?;
        let edit = IssueEdit::from_json(&body_json(&body)?)?;
        let mut st = lock(&state);
        let events = ops::edit_issue(&mut st, n, edit)?;
        emit(&state, &mut st, &events);
        Ok(ok(StatusCode::OK, issue_json(&st, &st.issues[&n])))
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}

async fn list_milestones(
    AxState(state): AxState<Shared>,
    uri: axum::http::Uri,
    Query(q): Query_,
) -> Response {
    let st = lock(&state);
    let state_filter = param(&q, "state").unwrap_or("open");
    let mut rows: Vec<_> = st
        .milestones
        .values()
        .filter(|m| state_filter == "all" || m.state == state_filter)
        .collect();
    rows.sort_by_key(|m| (m.due_on.is_none(), m.due_on, m.number));
    if param(&q, "direction").unwrap_or("asc") == "desc" {
        rows.reverse();
    }
    let counters = Counters::of(&st);
    let json_rows = rows
        .iter()
        .map(|m| milestone_json_counted(&st, m, &counters))
        .collect();
    paged(&st, uri.path(), &q, json_rows).unwrap_or_else(|e| error(&e))
}

async fn create_milestone(AxState(state): AxState<Shared>, body: axum::body::Bytes) -> Response {
    let result = (|| {
        let edit = MilestoneEdit::from_json(&body_json(&body)?)?;
        let mut st = lock(&state);
        let (n, events) = ops::create_milestone(&mut st, edit)?;
        emit(&state, &mut st, &events);
        Ok(ok(
            StatusCode::CREATED,
            milestone_json(&st, &st.milestones[&n]),
        ))
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}

async fn get_milestone(
    AxState(state): AxState<Shared>,
    Path((_, _, n)): Path<(String, String, String)>,
) -> Response {
    let st = lock(&state);
    match number(&n).ok().and_then(|n| st.milestones.get(&n)) {
        Some(m) => ok(StatusCode::OK, milestone_json(&st, m)),
        None => error(&ApiError::not_found()),
    }
}

async fn patch_milestone(
    AxState(state): AxState<Shared>,
    Path((_, _, n)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let result = (|| {
        let n = number(&n)?;
        let edit = MilestoneEdit::from_json(&body_json(&body)?)?;
        let mut st = lock(&state);
        let events = ops::edit_milestone(&mut st, n, edit)?;
        emit(&state, &mut st, &events);
        Ok(ok(StatusCode::OK, milestone_json(&st, &st.milestones[&n])))
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}

async fn delete_milestone(
    AxState(state): AxState<Shared>,
    Path((_, _, n)): Path<(String, String, String)>,
) -> Response {
    let result = (|| {
        let n = number(&n)?;
        let mut st = lock(&state);
        let (_, events) = ops::delete_milestone(&mut st, n)?;
        emit(&state, &mut st, &events);
        Ok(StatusCode::NO_CONTENT.into_response())
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}

async fn list_labels(
    AxState(state): AxState<Shared>,
    uri: axum::http::Uri,
    Query(q): Query_,
) -> Response {
    let st = lock(&state);
    let rows = st.labels.iter().map(|l| label_json(&st, l)).collect();
    paged(&st, uri.path(), &q, rows).unwrap_or_else(|e| error(&e))
}

async fn create_label(AxState(state): AxState<Shared>, body: axum::body::Bytes) -> Response {
    let result = (|| {
        let v = body_json(&body)?;
        let mut st = lock(&state);
        let (name, events) = ops::create_label(&mut st, &v)?;
        emit(&state, &mut st, &events);
        let l = st.label(&name).cloned().ok_or_else(ApiError::not_found)?;
        Ok(ok(StatusCode::CREATED, label_json(&st, &l)))
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}

async fn get_label(
    AxState(state): AxState<Shared>,
    Path((_, _, name)): Path<(String, String, String)>,
) -> Response {
    let st = lock(&state);
    match st.label(&name) {
        Some(l) => ok(StatusCode::OK, label_json(&st, l)),
        None => error(&ApiError::not_found()),
    }
}

async fn patch_label(
    AxState(state): AxState<Shared>,
    Path((_, _, name)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let result = (|| {
        let v = body_json(&body)?;
        let mut st = lock(&state);
        let (new_name, events) = ops::edit_label(&mut st, &name, &v)?;
        emit(&state, &mut st, &events);
        let l = st
            .label(&new_name)
            .cloned()
            .ok_or_else(ApiError::not_found)?;
        Ok(ok(StatusCode::OK, label_json(&st, &l)))
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}

async fn delete_label(
    AxState(state): AxState<Shared>,
    Path((_, _, name)): Path<(String, String, String)>,
) -> Response {
    let result = (|| {
        let mut st = lock(&state);
        let (_, events) = ops::delete_label(&mut st, &name)?;
        emit(&state, &mut st, &events);
        Ok(StatusCode::NO_CONTENT.into_response())
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}
