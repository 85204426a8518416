//! The GitLab simulator's HTTP surface: `/api/v4` routes, auth, rate limiting, request
//! parameter parsing and offset pagination headers.

// Handlers short-circuit with ready responses; boxing them buys nothing in a test server.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::model::State;
use super::ops::{IssueEdit, MilestoneEdit, SimError};
use super::webhook;

pub(super) type Shared = Arc<Mutex<State>>;
pub(super) type Q = Query<HashMap<String, String>>;

/// Builds the router.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/api/v4/user", get(current_user))
        .route("/api/v4/users", get(find_users))
        .route("/api/v4/projects/{pid}", get(project))
        .route(
            "/api/v4/projects/{pid}/issues",
            get(list_issues).post(create_issue),
        )
        .route(
            "/api/v4/projects/{pid}/issues/{iid}",
            get(get_issue).put(update_issue).delete(delete_issue),
        )
        .route(
            "/api/v4/projects/{pid}/milestones",
            get(list_milestones).post(create_milestone),
        )
        .route(
            "/api/v4/projects/{pid}/milestones/{id}",
            get(get_milestone)
                .put(update_milestone)
                .delete(delete_milestone),
        )
        .route(
            "/api/v4/projects/{pid}/labels",
            get(list_labels).post(create_label),
        )
        .route(
            "/api/v4/projects/{pid}/labels/{id}",
            get(get_label).put(update_label).delete(delete_label),
        )
        .route(
            "/api/v4/groups/{gid}/epics",
            get(list_epics).post(create_epic),
        )
        .route(
            "/api/v4/groups/{gid}/epics/{iid}",
            get(get_epic).put(update_epic).delete(delete_epic),
        )
        .merge(super::notes::routes::router())
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": "404 Not Found"})),
            )
        })
        .with_state(state)
}

/// Counts the request, answers 429 when asked to, checks the token.
fn gate(s: &mut State, h: &HeaderMap) -> Result<(), Response> {
    s.requests += 1;
    if s.rate_limited > 0 {
        s.rate_limited -= 1;
        let reset = Utc::now().timestamp() + 30;
        return Err((
            StatusCode::TOO_MANY_REQUESTS,
            [
                ("Retry-After", "30".to_string()),
                ("RateLimit-Limit", "600".to_string()),
                ("RateLimit-Remaining", "0".to_string()),
                ("RateLimit-Reset", reset.to_string()),
                ("Content-Type", "text/plain".to_string()),
            ],
            "Retry later\n",
        )
            .into_response());
    }
    let token = h
        .get("private-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            h.get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_string)
        });
    if token.as_deref() != Some(s.options.token.as_str()) {
        return Err(err(SimError::new(401, "401 Unauthorized")));
    }
    Ok(())
}

pub(super) fn project_ok(s: &State, pid: &str) -> Result<(), Response> {
    if pid == s.options.project_id.to_string() || pid == s.options.project_path {
        Ok(())
    } else {
        Err(err(SimError::new(404, "404 Project Not Found")))
    }
}

fn group_ok(s: &State, gid: &str) -> Result<(), Response> {
    if gid != s.options.group_id.to_string() {
        return Err(err(SimError::new(404, "404 Group Not Found")));
    }
    if !s.options.premium {
        return Err(err(SimError::new(403, "403 Forbidden")));
    }
    Ok(())
}

pub(super) fn err(e: SimError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let key = if e.status == 400 && e.message.is_string() {
        "error"
    } else {
        "message"
    };
    (status, axum::Json(json!({ key: e.message }))).into_response()
}

pub(super) fn ok(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

/// Locks, gates and runs `f`; posts queued hooks afterwards.
pub(super) fn with(
    state: &Shared,
    h: &HeaderMap,
    f: impl FnOnce(&mut State) -> Result<Response, Response>,
) -> Response {
    let (resp, hooks) = {
        let mut s = state.lock().expect("sim state");
        let r = gate(&mut s, h).and_then(|()| f(&mut s));
        (r.unwrap_or_else(|e| e), s.take_pending())
    };
    webhook::dispatch(hooks);
    resp
}

/// Parameters from the query string and a JSON or form body.
pub(super) fn params(
    q: &HashMap<String, String>,
    h: &HeaderMap,
    body: &Bytes,
) -> Result<Map<String, Value>, Response> {
    let mut p: Map<String, Value> = q
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    if body.is_empty() {
        return Ok(p);
    }
    let ct = h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("application/json") {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => p.extend(m),
            _ => return Err(err(SimError::new(400, "body is not a JSON object"))),
        }
    } else {
        for (k, v) in url::form_urlencoded::parse(body) {
            if let Some(k) = k.strip_suffix("[]") {
                let e = p
                    .entry(k.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = e {
                    a.push(Value::String(v.into_owned()));
                }
            } else {
                p.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        }
    }
    Ok(p)
}

pub(super) fn num(s: &str, what: &str) -> Result<u64, Response> {
    s.parse()
        .map_err(|_| err(SimError::new(404, format!("404 {what} Not Found"))))
}

fn time_param(q: &HashMap<String, String>, key: &str) -> Result<Option<DateTime<Utc>>, Response> {
    match q.get(key) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| err(SimError::new(400, format!("{key} is invalid")))),
    }
}

/// One page of `rows` with GitLab's offset pagination headers.
pub(super) fn paginate(
    s: &State,
    path: &str,
    q: &HashMap<String, String>,
    rows: Vec<Value>,
) -> Result<Response, Response> {
    let per_page = q
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let page = q
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = rows.len();
    let pages = total.div_ceil(per_page).max(1);
    let body: Vec<Value> = rows
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let next = if page < pages {
        (page + 1).to_string()
    } else {
        String::new()
    };
    let prev = if page > 1 {
        (page - 1).to_string()
    } else {
        String::new()
    };
    let link_for = |n: usize, rel: &str| {
        let mut qs: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| *k != "page")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        qs.sort();
        qs.push(("page".into(), n.to_string()));
        let enc = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(qs)
            .finish();
        format!("<{}{}?{}>; rel=\"{}\"", s.base_url, path, enc, rel)
    };
    let mut links = vec![link_for(1, "first"), link_for(pages, "last")];
    if page < pages {
        links.insert(0, link_for(page + 1, "next"));
    }
    let mut headers = vec![
        ("x-page", page.to_string()),
        ("x-per-page", per_page.to_string()),
        ("x-next-page", next),
        ("x-prev-page", prev),
        ("Link", links.join(", ")),
    ];
    if total <= 10_000 {
        headers.push(("x-total", total.to_string()));
        headers.push(("x-total-pages", pages.to_string()));
    }
    let mut resp = ok(StatusCode::OK, Value::Array(body));
    for (k, v) in headers {
        resp.headers_mut()
            .insert(k, v.parse().expect("header value"));
    }
    Ok(resp)
}

/// Sorts by `order_by` (`created_at` default, `updated_at`) and `sort` (`desc` default).
pub(super) fn sort_by_time<T>(
    rows: &mut [T],
    q: &HashMap<String, String>,
    created: impl Fn(&T) -> (DateTime<Utc>, u64),
    updated: impl Fn(&T) -> (DateTime<Utc>, u64),
) {
    let by_updated = q.get("order_by").map(String::as_str) == Some("updated_at");
    rows.sort_by_key(|r| if by_updated { updated(r) } else { created(r) });
    if q.get("sort").map(String::as_str) != Some("asc") {
        rows.reverse();
    }
}

fn time_filter(q: &HashMap<String, String>) -> Result<impl Fn(DateTime<Utc>) -> bool, Response> {
    let after = time_param(q, "updated_after")?;
    let before = time_param(q, "updated_before")?;
    Ok(move |t: DateTime<Utc>| after.is_none_or(|a| t >= a) && before.is_none_or(|b| t <= b))
}

async fn current_user(AxState(st): AxState<Shared>, h: HeaderMap) -> Response {
    with(&st, &h, |s| Ok(ok(StatusCode::OK, s.user_json(1))))
}

/// `GET /users?username=x`: an array with the matching user, or empty.
async fn find_users(AxState(st): AxState<Shared>, h: HeaderMap, Query(q): Q) -> Response {
    with(&st, &h, |s| {
        let wanted = q.get("username").cloned().unwrap_or_default();
        let rows: Vec<Value> = s
            .users
            .iter()
            .filter(|(_, n)| n.eq_ignore_ascii_case(&wanted))
            .map(|(id, _)| s.user_json(*id))
            .collect();
        Ok(ok(StatusCode::OK, Value::Array(rows)))
    })
}

async fn project(AxState(st): AxState<Shared>, h: HeaderMap, Path(pid): Path<String>) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        Ok(ok(
            StatusCode::OK,
            json!({
                "id": s.options.project_id,
                "path_with_namespace": s.options.project_path,
                "name": s.options.project_path.rsplit('/').next(),
                "web_url": s.web_base(),
            }),
        ))
    })
}

async fn list_issues(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(pid): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let keep = time_filter(&q)?;
        let state = q.get("state").cloned().unwrap_or_else(|| "all".into());
        let mut rows: Vec<_> = s
            .issues
            .values()
            .filter(|i| keep(i.updated_at) && (state == "all" || i.state == state))
            .cloned()
            .collect();
        sort_by_time(
            &mut rows,
            &q,
            |i| (i.created_at, i.id),
            |i| (i.updated_at, i.id),
        );
        let json = rows.iter().map(|i| s.issue_json(i)).collect();
        paginate(s, &format!("/api/v4/projects/{pid}/issues"), &q, json)
    })
}

async fn create_issue(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(pid): Path<String>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let p = params(&q, &h, &body)?;
        let title = p
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let edit = IssueEdit::from_params(&p).map_err(err)?;
        let iid = s.create_issue(&title, edit).map_err(err)?;
        Ok(ok(StatusCode::CREATED, s.issue_json(&s.issues[&iid])))
    })
}

async fn get_issue(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, iid)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let iid = num(&iid, "Issue")?;
        let i = s
            .issues
            .get(&iid)
            .ok_or_else(|| err(SimError::new(404, "404 Issue Not Found")))?;
        Ok(ok(StatusCode::OK, s.issue_json(i)))
    })
}

async fn update_issue(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, iid)): Path<(String, String)>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let iid = num(&iid, "Issue")?;
        let edit = IssueEdit::from_params(&params(&q, &h, &body)?).map_err(err)?;
        s.update_issue(iid, edit).map_err(err)?;
        Ok(ok(StatusCode::OK, s.issue_json(&s.issues[&iid])))
    })
}

async fn delete_issue(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, iid)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        s.delete_issue(num(&iid, "Issue")?).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn list_milestones(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(pid): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let keep = time_filter(&q)?;
        let state = q.get("state").cloned();
        let rows: Vec<Value> = s
            .milestones
            .values()
            .rev()
            .filter(|m| keep(m.updated_at) && state.as_ref().is_none_or(|st| &m.state == st))
            .map(|m| s.milestone_json(m))
            .collect();
        paginate(s, &format!("/api/v4/projects/{pid}/milestones"), &q, rows)
    })
}

async fn create_milestone(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(pid): Path<String>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let p = params(&q, &h, &body)?;
        let title = p
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let id = s
            .create_milestone(&title, MilestoneEdit::from_params(&p).map_err(err)?)
            .map_err(err)?;
        Ok(ok(
            StatusCode::CREATED,
            s.milestone_json(&s.milestones[&id]),
        ))
    })
}

async fn get_milestone(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, id)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let m = s
            .milestones
            .get(&num(&id, "Milestone")?)
            .ok_or_else(|| err(SimError::new(404, "404 Milestone Not Found")))?;
        Ok(ok(StatusCode::OK, s.milestone_json(m)))
    })
}

async fn update_milestone(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, id)): Path<(String, String)>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let id = num(&id, "Milestone")?;
        s.update_milestone(
            id,
            MilestoneEdit::from_params(&params(&q, &h, &body)?).map_err(err)?,
        )
        .map_err(err)?;
        Ok(ok(StatusCode::OK, s.milestone_json(&s.milestones[&id])))
    })
}

async fn delete_milestone(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, id)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        s.delete_milestone(num(&id, "Milestone")?).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn list_labels(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(pid): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let mut rows: Vec<_> = s.labels.values().cloned().collect();
        rows.sort_by_key(|l| l.name.to_lowercase());
        let json = rows.iter().map(|l| s.label_json(l)).collect();
        paginate(s, &format!("/api/v4/projects/{pid}/labels"), &q, json)
    })
}

fn label_id(s: &State, raw: &str) -> Result<u64, Response> {
    raw.parse::<u64>()
        .ok()
        .filter(|id| s.labels.contains_key(id))
        .or_else(|| s.labels.values().find(|l| l.name == raw).map(|l| l.id))
        .ok_or_else(|| err(SimError::new(404, "404 Label Not Found")))
}

async fn create_label(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(pid): Path<String>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let id = s.create_label(&params(&q, &h, &body)?).map_err(err)?;
        Ok(ok(StatusCode::CREATED, s.label_json(&s.labels[&id])))
    })
}

async fn get_label(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, id)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let id = label_id(s, &id)?;
        Ok(ok(StatusCode::OK, s.label_json(&s.labels[&id])))
    })
}

async fn update_label(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, id)): Path<(String, String)>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let id = label_id(s, &id)?;
        s.update_label(id, &params(&q, &h, &body)?).map_err(err)?;
        Ok(ok(StatusCode::OK, s.label_json(&s.labels[&id])))
    })
}

async fn delete_label(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, id)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let id = label_id(s, &id)?;
        s.delete_label(id).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn list_epics(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(gid): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        group_ok(s, &gid)?;
        let keep = time_filter(&q)?;
        let state = q.get("state").cloned().unwrap_or_else(|| "all".into());
        let mut rows: Vec<_> = s
            .epics
            .values()
            .filter(|e| keep(e.updated_at) && (state == "all" || e.state == state))
            .cloned()
            .collect();
        sort_by_time(
            &mut rows,
            &q,
            |e| (e.created_at, e.id),
            |e| (e.updated_at, e.id),
        );
        let json = rows.iter().map(|e| s.epic_json(e)).collect();
        paginate(s, &format!("/api/v4/groups/{gid}/epics"), &q, json)
    })
}

async fn create_epic(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(gid): Path<String>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        group_ok(s, &gid)?;
        let iid = s.create_epic(&params(&q, &h, &body)?).map_err(err)?;
        Ok(ok(StatusCode::CREATED, s.epic_json(&s.epics[&iid])))
    })
}

async fn get_epic(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((gid, iid)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        group_ok(s, &gid)?;
        let e = s
            .epics
            .get(&num(&iid, "Epic")?)
            .ok_or_else(|| err(SimError::new(404, "404 Epic Not Found")))?;
        Ok(ok(StatusCode::OK, s.epic_json(e)))
    })
}

async fn update_epic(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((gid, iid)): Path<(String, String)>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        group_ok(s, &gid)?;
        let iid = num(&iid, "Epic")?;
        s.update_epic(iid, &params(&q, &h, &body)?).map_err(err)?;
        Ok(ok(StatusCode::OK, s.epic_json(&s.epics[&iid])))
    })
}

async fn delete_epic(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((gid, iid)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        group_ok(s, &gid)?;
        s.epics
            .remove(&num(&iid, "Epic")?)
            .ok_or_else(|| err(SimError::new(404, "404 Epic Not Found")))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}
