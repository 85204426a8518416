//! `GET /1/cards/{id}/actions` (newest first; `filter` defaults to
//! `commentCard,updateCard:idList`; `limit` 50 by default, at most 1,000; paged with
//! `before`/`since`) and the comment writes under `/1/cards/{id}/actions/...`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::super::model::{Action, State};
use super::super::ops::SimError;
use super::super::routes::{Bound, Q, Shared, action_limit, check_id, ok, params, with};

/// What a card's action listing shows when no `filter` is given.
const DEFAULT_FILTER: &str = "commentCard,updateCard:idList";

/// The card action routes, merged into the API router.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/1/cards/{id}/actions", get(card_actions))
        .route("/1/cards/{id}/actions/comments", post(add_comment))
        .route(
            "/1/cards/{id}/actions/{action}/comments",
            put(edit_comment).delete(delete_comment),
        )
}

/// Whether `a` passes one filter term: a type, or `type:field` (an update of that field).
fn passes(term: &str, a: &Action) -> bool {
    match term.split_once(':') {
        None => term == "all" || term == a.kind,
        Some((kind, field)) => kind == a.kind && a.data.pointer(&format!("/old/{field}")).is_some(),
    }
}

/// The `text` parameter of a comment write.
fn text_of(p: &serde_json::Map<String, Value>) -> Result<String, SimError> {
    p.get("text")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| SimError::new(400, "invalid value for text"))
}

async fn card_actions(
    AxState(st): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &q, |s: &mut State| {
        check_id(&id)?;
        if !s.cards.contains_key(&id) {
            return Err(SimError::not_found());
        }
        let limit = action_limit(&q)?;
        let since = q
            .get("since")
            .map(|v| Bound::parse(v, "since"))
            .transpose()?;
        let before = q
            .get("before")
            .map(|v| Bound::parse(v, "before"))
            .transpose()?;
        let filter = q
            .get("filter")
            .map(String::as_str)
            .unwrap_or(DEFAULT_FILTER);
        let terms: Vec<&str> = filter.split(',').collect();
        let rows: Vec<Value> = s
            .card_actions(&id)
            .into_iter()
            .rev()
            .filter(|a| terms.iter().any(|t| passes(t, a)))
            .filter(|a| since.as_ref().is_none_or(|b| b.cmp(a).is_gt()))
            .filter(|a| before.as_ref().is_none_or(|b| b.cmp(a).is_lt()))
            .take(limit)
            .map(|a| s.action_json(a))
            .collect();
        Ok(ok(Value::Array(rows)))
    })
}

async fn add_comment(
    AxState(st): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Q,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let p = match params(&q, &h, &body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    with(&st, &q, |s| {
        check_id(&id)?;
        let member = s.options.member_id.clone();
        let action = s.add_comment(&id, &member, &text_of(&p)?)?;
        let a = s
            .actions
            .iter()
            .find(|a| a.id == action)
            .expect("just added");
        Ok(ok(s.action_json(a)))
    })
}

async fn edit_comment(
    AxState(st): AxState<Shared>,
    Path((id, action)): Path<(String, String)>,
    Query(q): Q,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let p = match params(&q, &h, &body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    with(&st, &q, |s| {
        check_id(&id)?;
        check_id(&action)?;
        s.edit_comment(&id, &action, &text_of(&p)?)?;
        let a = s.actions.iter().find(|a| a.id == action).expect("edited");
        Ok(ok(s.action_json(a)))
    })
}

async fn delete_comment(
    AxState(st): AxState<Shared>,
    Path((id, action)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    with(&st, &q, |s| {
        check_id(&id)?;
        check_id(&action)?;
        s.remove_comment(&id, &action)?;
        Ok(ok(json!({"_value": null})))
    })
}
