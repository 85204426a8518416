//! The OpenProject simulator's HTTP surface (API v3, HAL+JSON): Basic `apikey:<key>` or
//! Bearer auth, statuses, users, projects, versions, categories and work packages with
//! 1-based page-number `offset` pagination.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::filters::WpQuery;
use super::hal;
use super::model::{STATUSES, State};
use super::ops::SimError;
use super::webhook;

pub(super) type Shared = Arc<Mutex<State>>;
type Q = Query<HashMap<String, String>>;

/// The largest `pageSize` honoured.
pub const MAX_PAGE_SIZE: usize = 100;

/// Builds the router.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/api/v3", get(root))
        .route("/api/v3/users/me", get(me))
        .route("/api/v3/users/{id}", get(user))
        .route("/api/v3/statuses", get(statuses))
        .route("/api/v3/statuses/{id}", get(status))
        .route("/api/v3/projects", get(projects))
        .route("/api/v3/projects/{id}", get(project).patch(patch_project))
        .route(
            "/api/v3/projects/{id}/work_packages",
            get(list_wps).post(create_wp),
        )
        .route("/api/v3/projects/{id}/versions", get(project_versions))
        .route("/api/v3/projects/{id}/categories", get(project_categories))
        .route(
            "/api/v3/work_packages/{id}",
            get(get_wp).patch(patch_wp).delete(delete_wp),
        )
        .route("/api/v3/versions", post(create_version))
        .route(
            "/api/v3/versions/{id}",
            get(get_version).patch(patch_version).delete(delete_version),
        )
        .route("/api/v3/categories/{id}", get(get_category))
        .merge(super::activities::routes::router())
        .fallback(|| async { err(SimError::not_found("route")) })
        .with_state(state)
}

fn err(e: SimError) -> Response {
    (
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        [("Content-Type", "application/hal+json; charset=utf-8")],
        e.body.to_string(),
    )
        .into_response()
}

pub(super) fn hal_ok(status: StatusCode, v: Value) -> Response {
    (
        status,
        [("Content-Type", "application/hal+json; charset=utf-8")],
        v.to_string(),
    )
        .into_response()
}

pub(super) fn ok(v: Value) -> Response {
    hal_ok(StatusCode::OK, v)
}

fn gate(s: &mut State, h: &HeaderMap) -> Result<(), SimError> {
    s.requests += 1;
    if let Some(status) = s.forced_errors.pop() {
        return Err(SimError::new(
            status,
            "InternalServerError",
            "An internal error has occurred.",
        ));
    }
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("apikey:{}", s.options.api_key))
    );
    let bearer = format!("Bearer {}", s.options.api_key);
    if auth == basic || auth == bearer {
        Ok(())
    } else {
        Err(SimError::new(
            401,
            "Unauthenticated",
            "You did not provide the correct credentials.",
        ))
    }
}

pub(super) fn with(
    state: &Shared,
    h: &HeaderMap,
    f: impl FnOnce(&mut State) -> Result<Response, SimError>,
) -> Response {
    let (resp, hooks) = {
        let mut s = state.lock().expect("sim state");
        let r = gate(&mut s, h).and_then(|()| f(&mut s));
        (r.unwrap_or_else(err), s.take_pending())
    };
    webhook::dispatch(hooks);
    resp
}

pub(super) fn json_body(body: &Bytes) -> Result<Value, SimError> {
    serde_json::from_slice(body).map_err(|_| {
        SimError::new(
            400,
            "ParseError",
            "The request body was not a single JSON object.",
        )
    })
}

pub(super) fn num(id: &str, what: &str) -> Result<u64, SimError> {
    id.parse().map_err(|_| SimError::not_found(what))
}

fn project_id(s: &State, r: &str) -> Result<u64, SimError> {
    s.project_by_ref(r)
        .map(|p| p.id)
        .ok_or_else(|| SimError::not_found("project"))
}

/// `(offset, pageSize)`: a 1-based page number and a size capped at [`MAX_PAGE_SIZE`].
fn paging(q: &HashMap<String, String>) -> Result<(usize, usize), SimError> {
    let bad = |p: &str| {
        SimError::new(
            400,
            "InvalidQuery",
            format!("{p} must be a positive integer."),
        )
    };
    let offset = q
        .get("offset")
        .map(|o| o.parse::<usize>().map_err(|_| bad("offset")))
        .transpose()?
        .unwrap_or(1)
        .max(1);
    let size = q
        .get("pageSize")
        .map(|o| o.parse::<usize>().map_err(|_| bad("pageSize")))
        .transpose()?
        .unwrap_or(20)
        .min(MAX_PAGE_SIZE);
    Ok((offset, size))
}

fn page_of(
    href: &str,
    q: &HashMap<String, String>,
    rows: Vec<Value>,
) -> Result<Response, SimError> {
    let (offset, size) = paging(q)?;
    let total = rows.len();
    let page: Vec<Value> = rows
        .into_iter()
        .skip((offset - 1) * size)
        .take(size)
        .collect();
    Ok(ok(hal::collection(href, total, size, offset, page)))
}

async fn root(AxState(st): AxState<Shared>, h: HeaderMap) -> Response {
    with(&st, &h, |_| {
        Ok(ok(
            json!({"_type": "Root", "instanceName": "OpenProject", "coreVersion": "15.0.0",
        "_links": {"self": {"href": "/api/v3"}, "user": {"href": "/api/v3/users/1", "title": "Elder Bot"}}}),
        ))
    })
}

async fn me(AxState(st): AxState<Shared>, h: HeaderMap) -> Response {
    with(&st, &h, |s| Ok(ok(s.user_json(1).expect("user 1"))))
}

async fn user(AxState(st): AxState<Shared>, h: HeaderMap, Path(id): Path<String>) -> Response {
    with(&st, &h, |s| {
        Ok(ok(s
            .user_json(num(&id, "user")?)
            .ok_or_else(|| SimError::not_found("user"))?))
    })
}

async fn statuses(AxState(st): AxState<Shared>, h: HeaderMap) -> Response {
    with(&st, &h, |_| {
        let rows: Vec<Value> = STATUSES.iter().map(hal::status_json).collect();
        Ok(ok(hal::collection(
            "/api/v3/statuses",
            rows.len(),
            rows.len(),
            1,
            rows,
        )))
    })
}

async fn status(AxState(st): AxState<Shared>, h: HeaderMap, Path(id): Path<String>) -> Response {
    with(&st, &h, |s| {
        Ok(ok(hal::status_json(
            s.status(num(&id, "status")?)
                .ok_or_else(|| SimError::not_found("status"))?,
        )))
    })
}

async fn projects(AxState(st): AxState<Shared>, h: HeaderMap, Query(q): Q) -> Response {
    with(&st, &h, |s| {
        page_of(
            "/api/v3/projects",
            &q,
            s.projects.values().map(|p| s.project_json(p)).collect(),
        )
    })
}

async fn project(AxState(st): AxState<Shared>, h: HeaderMap, Path(id): Path<String>) -> Response {
    with(&st, &h, |s| {
        let id = project_id(s, &id)?;
        Ok(ok(s.project_json(&s.projects[&id])))
    })
}

async fn patch_project(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = project_id(s, &id)?;
        s.update_project(id, &json_body(&body)?)?;
        Ok(ok(s.project_json(&s.projects[&id])))
    })
}

async fn list_wps(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        let pid = project_id(s, &id)?;
        let query = WpQuery::parse(
            q.get("filters").map(String::as_str),
            q.get("sortBy").map(String::as_str),
        )
        .map_err(|m| SimError::new(400, "InvalidQuery", m))?;
        let mut rows: Vec<_> = s
            .work_packages
            .values()
            .filter(|w| w.project_id == pid && query.matches(s, w))
            .collect();
        query.sort(&mut rows);
        let json = rows.into_iter().map(|w| s.wp_json(w)).collect();
        page_of(&format!("/api/v3/projects/{pid}/work_packages"), &q, json)
    })
}

async fn create_wp(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let pid = project_id(s, &id)?;
        let wid = s.create_wp(pid, &json_body(&body)?)?;
        Ok(hal_ok(
            StatusCode::CREATED,
            s.wp_json(&s.work_packages[&wid]),
        ))
    })
}

async fn get_wp(AxState(st): AxState<Shared>, h: HeaderMap, Path(id): Path<String>) -> Response {
    with(&st, &h, |s| {
        let w = s
            .work_packages
            .get(&num(&id, "work package")?)
            .ok_or_else(|| SimError::not_found("work package"))?;
        Ok(ok(s.wp_json(w)))
    })
}

async fn patch_wp(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = num(&id, "work package")?;
        s.update_wp(id, &json_body(&body)?)?;
        Ok(ok(s.wp_json(&s.work_packages[&id])))
    })
}

async fn delete_wp(AxState(st): AxState<Shared>, h: HeaderMap, Path(id): Path<String>) -> Response {
    with(&st, &h, |s| {
        let id = num(&id, "work package")?;
        s.work_packages
            .remove(&id)
            .ok_or_else(|| SimError::not_found("work package"))?;
        s.journals.retain(|_, j| j.work_package_id != id);
        for w in s
            .work_packages
            .values_mut()
            .filter(|w| w.parent_id == Some(id))
        {
            w.parent_id = None;
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn project_versions(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        let pid = project_id(s, &id)?;
        let rows = s
            .versions
            .values()
            .filter(|v| v.project_id == pid)
            .map(|v| s.version_json(v))
            .collect();
        page_of(&format!("/api/v3/projects/{pid}/versions"), &q, rows)
    })
}

async fn project_categories(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        let pid = project_id(s, &id)?;
        let rows = s
            .categories
            .values()
            .filter(|c| c.project_id == pid)
            .map(|c| s.category_json(c))
            .collect();
        page_of(&format!("/api/v3/projects/{pid}/categories"), &q, rows)
    })
}

async fn create_version(AxState(st): AxState<Shared>, h: HeaderMap, body: Bytes) -> Response {
    with(&st, &h, |s| {
        let id = s.create_version(&json_body(&body)?)?;
        Ok(hal_ok(
            StatusCode::CREATED,
            s.version_json(&s.versions[&id]),
        ))
    })
}

async fn get_version(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let v = s
            .versions
            .get(&num(&id, "version")?)
            .ok_or_else(|| SimError::not_found("version"))?;
        Ok(ok(s.version_json(v)))
    })
}

async fn patch_version(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = num(&id, "version")?;
        s.apply_version(id, &json_body(&body)?)?;
        Ok(ok(s.version_json(&s.versions[&id])))
    })
}

async fn delete_version(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let id = num(&id, "version")?;
        if s.work_packages.values().any(|w| w.version_id == Some(id)) {
            return Err(SimError::new(
                422,
                "PropertyConstraintViolation",
                "Version is still used by work packages.",
            ));
        }
        s.versions
            .remove(&id)
            .ok_or_else(|| SimError::not_found("version"))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn get_category(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let c = s
            .categories
            .get(&num(&id, "category")?)
            .ok_or_else(|| SimError::not_found("category"))?;
        Ok(ok(s.category_json(c)))
    })
}
