//! The Notes API of issues: `GET|POST /projects/:id/issues/:iid/notes` (sorted by
//! `order_by`/`sort`, offset pages like every GitLab listing) and `PUT|DELETE
//! .../notes/:note_id`, authored by the token's user.

#![allow(clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde_json::Value;

use super::super::ops::SimError;
use super::super::routes::{
    Q, Shared, err, num, ok, paginate, params, project_ok, sort_by_time, with,
};

/// The user every API token of the simulator belongs to.
const TOKEN_USER: u64 = 1;

/// The note routes, merged into the project router.
pub fn router() -> Router<Shared> {
    Router::new()
        .route(
            "/api/v4/projects/{pid}/issues/{iid}/notes",
            get(list_notes).post(create_note),
        )
        .route(
            "/api/v4/projects/{pid}/issues/{iid}/notes/{nid}",
            put(update_note).delete(delete_note).get(get_note),
        )
}

/// `sort` is `asc|desc`, `order_by` is `created_at|updated_at`: anything else is a 400.
fn check_sorting(q: &std::collections::HashMap<String, String>) -> Result<(), Response> {
    let valid = [
        ("sort", ["asc", "desc"]),
        ("order_by", ["created_at", "updated_at"]),
    ];
    for (key, allowed) in valid {
        if let Some(v) = q.get(key)
            && !allowed.contains(&v.as_str())
        {
            return Err(err(SimError::new(
                400,
                format!("{key} does not have a valid value"),
            )));
        }
    }
    Ok(())
}

fn body_param(p: &serde_json::Map<String, Value>) -> Result<String, Response> {
    p.get("body")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| err(SimError::new(400, "body is missing")))
}

async fn list_notes(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, iid)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        check_sorting(&q)?;
        let iid = num(&iid, "Issue")?;
        if !s.issues.contains_key(&iid) {
            return Err(err(SimError::new(404, "404 Issue Not Found")));
        }
        let mut rows = s.issue_notes(iid);
        sort_by_time(
            &mut rows,
            &q,
            |n| (n.created_at, n.id),
            |n| (n.updated_at, n.id),
        );
        let json = rows.iter().map(|n| s.note_json(n)).collect();
        paginate(
            s,
            &format!("/api/v4/projects/{pid}/issues/{iid}/notes"),
            &q,
            json,
        )
    })
}

async fn get_note(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, iid, nid)): Path<(String, String, String)>,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let (iid, nid) = (num(&iid, "Issue")?, num(&nid, "Note")?);
        let n = s
            .notes
            .get(&nid)
            .filter(|n| n.issue_iid == iid)
            .ok_or_else(|| err(SimError::new(404, "404 Note Not Found")))?;
        Ok(ok(StatusCode::OK, s.note_json(n)))
    })
}

async fn create_note(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, iid)): Path<(String, String)>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let iid = num(&iid, "Issue")?;
        let text = body_param(&params(&q, &h, &body)?)?;
        let id = s.create_note(iid, TOKEN_USER, &text).map_err(err)?;
        Ok(ok(StatusCode::CREATED, s.note_json(&s.notes[&id])))
    })
}

async fn update_note(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, iid, nid)): Path<(String, String, String)>,
    Query(q): Q,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let (iid, nid) = (num(&iid, "Issue")?, num(&nid, "Note")?);
        let text = body_param(&params(&q, &h, &body)?)?;
        s.update_note(iid, nid, &text).map_err(err)?;
        Ok(ok(StatusCode::OK, s.note_json(&s.notes[&nid])))
    })
}

async fn delete_note(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((pid, iid, nid)): Path<(String, String, String)>,
) -> Response {
    with(&st, &h, |s| {
        project_ok(s, &pid)?;
        let (iid, nid) = (num(&iid, "Issue")?, num(&nid, "Note")?);
        s.delete_note(iid, nid).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}
