//! The issue-comment routes: `GET`/`POST /repos/{o}/{r}/issues/{n}/comments` (listing
//! oldest first, `since` on `updated_at`, `Link` pagination with `per_page`) and
//! `PATCH`/`DELETE /repos/{o}/{r}/issues/comments/{id}`, behind the same gate (auth, rate
//! limits, quota headers) as every other route.

use axum::Router;
use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};

use super::comments::{self, comment_json};
use super::model::parse_iso;
use super::ops::ApiError;
use super::routes::{Shared, body_json, emit, error, lock, ok, paged, param};

type Query_ = Query<Vec<(String, String)>>;
type IssuePath = Path<(String, String, String)>;

/// The comment routes, to merge into the repository router (before its gate layer).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(list).post(create),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            patch(edit).delete(delete),
        )
}

fn number(s: &str) -> Result<u64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found())
}

async fn list(
    AxState(state): AxState<Shared>,
    Path((_, _, n)): IssuePath,
    uri: axum::http::Uri,
    Query(q): Query_,
) -> Response {
    let st = lock(&state);
    let result = (|| {
        let n = number(&n)?;
        if !st.issues.contains_key(&n) {
            return Err(ApiError::not_found());
        }
        let since = match param(&q, "since") {
            Some(s) => {
                Some(parse_iso(s).ok_or_else(|| ApiError::invalid("`since` must be ISO 8601"))?)
            }
            None => None,
        };
        let rows = comments::of_issue(&st, n)
            .into_iter()
            .filter(|c| since.is_none_or(|s| c.updated_at >= s))
            .map(|c| comment_json(&st, c))
            .collect();
        paged(&st, uri.path(), &q, rows)
    })();
    result.unwrap_or_else(|e| error(&e))
}

async fn create(
    AxState(state): AxState<Shared>,
    Path((_, _, n)): IssuePath,
    body: axum::body::Bytes,
) -> Response {
    let result = (|| {
        let n = number(&n)?;
        let text = comments::body_of(&body_json(&body)?)?;
        let mut st = lock(&state);
        let owner = st.options.owner.clone();
        let (id, events) = comments::create(&mut st, n, text, &owner)?;
        emit(&state, &mut st, &events);
        Ok(ok(
            StatusCode::CREATED,
            comment_json(&st, &st.comments[&id]),
        ))
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}

async fn edit(
    AxState(state): AxState<Shared>,
    Path((_, _, id)): IssuePath,
    body: axum::body::Bytes,
) -> Response {
    let result = (|| {
        let id = number(&id)?;
        let text = comments::body_of(&body_json(&body)?)?;
        let mut st = lock(&state);
        let events = comments::edit(&mut st, id, text)?;
        emit(&state, &mut st, &events);
        Ok(ok(StatusCode::OK, comment_json(&st, &st.comments[&id])))
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}

async fn delete(AxState(state): AxState<Shared>, Path((_, _, id)): IssuePath) -> Response {
    let result = (|| {
        let id = number(&id)?;
        let mut st = lock(&state);
        let (_, events) = comments::delete(&mut st, id)?;
        emit(&state, &mut st, &events);
        Ok(StatusCode::NO_CONTENT.into_response())
    })();
    result.unwrap_or_else(|e: ApiError| error(&e))
}
