//! `GET|POST /rest/api/3/issue/{key}/comment` (pages of `startAt`/`maxResults` with
//! `total`, `orderBy` `created`/`-created`) and `GET|PUT|DELETE .../comment/{id}`, written
//! as the token's account.

#![allow(clippy::result_large_err)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::super::ops::SimError;
use super::super::routes::{Q, Shared, err, issue_id, json_body, ok, with};
use super::TOKEN_ACCOUNT;

/// Jira serves at most this many comments a page, whatever `maxResults` asks.
const MAX_PAGE: usize = 100;

/// The comment routes, merged into the REST router.
pub fn router() -> Router<Shared> {
    Router::new()
        .route(
            "/rest/api/3/issue/{key}/comment",
            get(list_comments).post(create_comment),
        )
        .route(
            "/rest/api/3/issue/{key}/comment/{id}",
            get(get_comment).put(update_comment).delete(delete_comment),
        )
}

fn comment_id(raw: &str) -> Result<u64, Response> {
    raw.parse().map_err(|_| {
        err(SimError::msg(
            404,
            format!("Can not find a comment for the id: {raw}."),
        ))
    })
}

fn number(
    q: &std::collections::HashMap<String, String>,
    key: &str,
) -> Result<Option<usize>, Response> {
    q.get(key)
        .map(|v| {
            v.parse::<usize>().map_err(|_| {
                err(SimError::msg(
                    400,
                    format!("The value '{v}' is invalid for {key}."),
                ))
            })
        })
        .transpose()
}

/// The ADF of `{"body": ...}`.
fn body_of(body: &Bytes) -> Result<Value, Response> {
    Ok(json_body(body)?.get("body").cloned().unwrap_or(Value::Null))
}

async fn list_comments(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(key): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        let start = number(&q, "startAt")?.unwrap_or(0);
        let max = number(&q, "maxResults")?
            .unwrap_or(MAX_PAGE)
            .clamp(1, MAX_PAGE);
        let mut rows = s.issue_comments(id);
        match q.get("orderBy").map(String::as_str) {
            None | Some("created" | "+created") => {}
            Some("-created") => rows.reverse(),
            Some(other) => {
                return Err(err(SimError::msg(
                    400,
                    format!("Invalid orderBy value: {other}"),
                )));
            }
        }
        let page: Vec<Value> = rows
            .iter()
            .skip(start)
            .take(max)
            .map(|c| s.comment_json(c))
            .collect();
        Ok(ok(
            StatusCode::OK,
            json!({"startAt": start, "maxResults": max, "total": rows.len(), "comments": page}),
        ))
    })
}

async fn get_comment(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((key, cid)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        let c = s.comment_of(id, comment_id(&cid)?).map_err(err)?;
        Ok(ok(StatusCode::OK, s.comment_json(c)))
    })
}

async fn create_comment(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        let adf = body_of(&body)?;
        let cid = s.create_comment(id, TOKEN_ACCOUNT, &adf).map_err(err)?;
        Ok(ok(StatusCode::CREATED, s.comment_json(&s.comments[&cid])))
    })
}

async fn update_comment(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((key, cid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        let cid = comment_id(&cid)?;
        let adf = body_of(&body)?;
        s.update_comment(id, cid, TOKEN_ACCOUNT, &adf)
            .map_err(err)?;
        Ok(ok(StatusCode::OK, s.comment_json(&s.comments[&cid])))
    })
}

async fn delete_comment(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path((key, cid)): Path<(String, String)>,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        s.delete_comment(id, comment_id(&cid)?).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}
