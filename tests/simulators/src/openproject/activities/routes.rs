//! `GET|POST /api/v3/work_packages/{id}/activities` (the whole journal as one collection,
//! oldest first) and `GET|PATCH /api/v3/activities/{id}`, written as the key's user.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;

use super::super::hal;
use super::super::ops::SimError;
use super::super::routes::{Shared, hal_ok, json_body, num, ok, with};

/// The user every API key of the simulator belongs to.
const KEY_USER: u64 = 1;

/// The activity routes, merged into the API router.
pub fn router() -> Router<Shared> {
    Router::new()
        .route(
            "/api/v3/work_packages/{id}/activities",
            get(list_activities).post(add_comment),
        )
        .route(
            "/api/v3/activities/{id}",
            get(get_activity).patch(edit_comment),
        )
}

/// `comment.raw` of a body, or the 422 OpenProject gives.
fn raw_comment(body: &Value) -> Result<String, SimError> {
    body.pointer("/comment/raw")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            SimError::new(
                422,
                "PropertyConstraintViolation",
                "Comment can't be blank.",
            )
        })
}

async fn list_activities(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let id = num(&id, "work package")?;
        if !s.work_packages.contains_key(&id) {
            return Err(SimError::not_found("work package"));
        }
        let rows: Vec<Value> = s
            .wp_journals(id)
            .into_iter()
            .map(|j| s.activity_json(j, false))
            .collect();
        let count = rows.len();
        Ok(ok(hal::collection(
            &format!("/api/v3/work_packages/{id}/activities"),
            count,
            count,
            1,
            rows,
        )))
    })
}

async fn add_comment(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = num(&id, "work package")?;
        let raw = raw_comment(&json_body(&body)?)?;
        let jid = s.add_comment(id, KEY_USER, &raw)?;
        Ok(hal_ok(
            StatusCode::CREATED,
            s.activity_json(&s.journals[&jid], false),
        ))
    })
}

async fn get_activity(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let j = s
            .journals
            .get(&num(&id, "activity")?)
            .ok_or_else(|| SimError::not_found("activity"))?;
        Ok(ok(s.activity_json(j, false)))
    })
}

async fn edit_comment(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = num(&id, "activity")?;
        let raw = raw_comment(&json_body(&body)?)?;
        s.edit_comment(id, &raw)?;
        Ok(ok(s.activity_json(&s.journals[&id], false)))
    })
}
