//! The Trello simulator's HTTP surface: `key`/`token` query auth, per-key and per-token
//! rate limits, boards, lists, labels, cards, the board action feed and webhooks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::limits::{Exceeded, WINDOW};
use super::model::{Action, State, Webhook};
use super::ops::{Params, SimError};
use super::webhook;

pub(super) type Shared = Arc<Mutex<State>>;
pub(super) type Q = Query<HashMap<String, String>>;

/// Builds the router.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/1/members/me", get(me))
        .route("/1/boards/{id}", get(board))
        .route("/1/boards/{id}/lists", get(lists))
        .route("/1/boards/{id}/labels", get(labels))
        .route("/1/boards/{id}/cards", get(cards))
        .route("/1/boards/{id}/cards/{filter}", get(cards_filtered))
        .route("/1/boards/{id}/actions", get(actions))
        .route("/1/cards", post(create_card))
        .route(
            "/1/cards/{id}",
            get(get_card).put(update_card).delete(delete_card),
        )
        .route("/1/cards/{id}/idLabels", post(add_label))
        .route(
            "/1/cards/{id}/idLabels/{label}",
            axum::routing::delete(remove_label),
        )
        .route("/1/labels", post(create_label))
        .route(
            "/1/labels/{id}",
            get(get_label).put(update_label).delete(delete_label),
        )
        .route("/1/webhooks", post(create_webhook))
        .route("/1/webhooks/{id}", get(get_webhook).delete(delete_webhook))
        .route("/1/tokens/{token}/webhooks", get(token_webhooks))
        .merge(super::comments::routes::router())
        .fallback(|| async { err(SimError::not_found()) })
        .with_state(state)
}

pub(super) fn err(e: SimError) -> Response {
    (
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        [("Content-Type", "text/plain; charset=utf-8")],
        e.message,
    )
        .into_response()
}

pub(super) fn ok(v: Value) -> Response {
    (StatusCode::OK, axum::Json(v)).into_response()
}

fn limited(s: &State, which: Exceeded) -> Response {
    let (tmax, trem) = s.limits.token_remaining();
    let (kmax, krem) = s.limits.key_remaining();
    let interval = WINDOW.as_millis().to_string();
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            ("x-rate-limit-api-token-interval-ms", interval.clone()),
            ("x-rate-limit-api-token-max", tmax.to_string()),
            ("x-rate-limit-api-token-remaining", trem.to_string()),
            ("x-rate-limit-api-key-interval-ms", interval),
            ("x-rate-limit-api-key-max", kmax.to_string()),
            ("x-rate-limit-api-key-remaining", krem.to_string()),
        ],
        axum::Json(json!({"error": which.code(), "message": format!("Rate limit exceeded: {}", which.code())})),
    )
        .into_response()
}

fn gate(s: &mut State, q: &HashMap<String, String>) -> Result<(), Box<Response>> {
    s.requests += 1;
    if q.get("key") != Some(&s.options.key) {
        return Err(Box::new(err(SimError::new(401, "invalid key"))));
    }
    if q.get("token") != Some(&s.options.token) {
        return Err(Box::new(err(SimError::new(401, "invalid token"))));
    }
    s.limits
        .admit(Instant::now())
        .map_err(|which| Box::new(limited(s, which)))
}

pub(super) fn with(
    state: &Shared,
    q: &HashMap<String, String>,
    f: impl FnOnce(&mut State) -> Result<Response, SimError>,
) -> Response {
    let (resp, hooks) = {
        let mut s = state.lock().expect("sim state");
        let r = gate(&mut s, q).and_then(|()| f(&mut s).map_err(|e| Box::new(err(e))));
        (r.unwrap_or_else(|e| *e), s.take_pending())
    };
    webhook::dispatch(state.clone(), hooks);
    resp
}

/// Query parameters (but `key`/`token`) merged with a JSON or form body, as Trello accepts both.
pub(super) fn params(
    q: &HashMap<String, String>,
    h: &HeaderMap,
    body: &Bytes,
) -> Result<Params, Box<Response>> {
    let mut p: Params = q
        .iter()
        .filter(|(k, _)| *k != "key" && *k != "token")
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    if body.is_empty() {
        return Ok(p);
    }
    let ctype = h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if ctype.starts_with("application/json") {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| Box::new(err(SimError::new(400, "Invalid JSON"))))?;
        p.extend(v.as_object().cloned().unwrap_or_default());
    } else {
        for (k, v) in url::form_urlencoded::parse(body) {
            p.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    Ok(p)
}

fn is_object_id(id: &str) -> bool {
    id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit())
}

fn check_board(s: &State, id: &str) -> Result<(), SimError> {
    if id == s.options.board_id || id == super::model::short_link(&s.options.board_id) {
        Ok(())
    } else if is_object_id(id) || id.len() == 8 {
        Err(SimError::not_found())
    } else {
        Err(SimError::new(400, "invalid id"))
    }
}

pub(super) fn check_id(id: &str) -> Result<(), SimError> {
    if is_object_id(id) {
        Ok(())
    } else {
        Err(SimError::new(400, "invalid id"))
    }
}

async fn me(AxState(st): AxState<Shared>, Query(q): Q) -> Response {
    with(&st, &q, |s| {
        Ok(ok(
            json!({"id": s.options.member_id, "username": s.options.username, "fullName": "Elder Bot"}),
        ))
    })
}

async fn board(AxState(st): AxState<Shared>, Path(id): Path<String>, Query(q): Q) -> Response {
    with(&st, &q, |s| {
        check_board(s, &id)?;
        Ok(ok(s.board_json()))
    })
}

async fn lists(AxState(st): AxState<Shared>, Path(id): Path<String>, Query(q): Q) -> Response {
    let filter = q.get("filter").cloned().unwrap_or_else(|| "open".into());
    with(&st, &q, |s| {
        check_board(s, &id)?;
        let rows: Vec<Value> = s
            .lists
            .iter()
            .filter(|l| filter == "all" || (filter == "closed") == l.closed)
            .map(|l| s.list_json(l))
            .collect();
        Ok(ok(Value::Array(rows)))
    })
}

async fn labels(AxState(st): AxState<Shared>, Path(id): Path<String>, Query(q): Q) -> Response {
    with(&st, &q, |s| {
        check_board(s, &id)?;
        Ok(ok(Value::Array(
            s.labels.iter().map(|l| s.label_json(l)).collect(),
        )))
    })
}

fn card_rows(s: &State, filter: &str) -> Result<Response, SimError> {
    let keep = |closed: bool| match filter {
        "all" => Ok(true),
        "closed" => Ok(closed),
        "open" | "visible" => Ok(!closed),
        _ => Err(SimError::new(400, "invalid value for filter")),
    };
    let mut rows = Vec::new();
    for c in s.cards.values() {
        if keep(c.closed)? {
            rows.push(s.card_json(c));
        }
    }
    Ok(ok(Value::Array(rows)))
}

async fn cards(AxState(st): AxState<Shared>, Path(id): Path<String>, Query(q): Q) -> Response {
    let filter = q.get("filter").cloned().unwrap_or_else(|| "visible".into());
    with(&st, &q, |s| {
        check_board(s, &id)?;
        card_rows(s, &filter)
    })
}

async fn cards_filtered(
    AxState(st): AxState<Shared>,
    Path((id, filter)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    with(&st, &q, |s| {
        check_board(s, &id)?;
        card_rows(s, &filter)
    })
}

/// `limit` of an action listing: 50 by default, at most 1,000.
pub(super) fn action_limit(q: &HashMap<String, String>) -> Result<usize, SimError> {
    match q.get("limit") {
        None => Ok(50),
        Some(l) => l
            .parse()
            .ok()
            .filter(|n| (0..=1000).contains(n))
            .ok_or_else(|| SimError::new(400, "invalid value for limit")),
    }
}

/// A `since`/`before` bound: an action id or a date.
pub(super) enum Bound {
    Id(String),
    Date(chrono::DateTime<chrono::Utc>),
}

impl Bound {
    pub(super) fn parse(v: &str, name: &str) -> Result<Bound, SimError> {
        if is_object_id(v) {
            return Ok(Bound::Id(v.to_string()));
        }
        chrono::DateTime::parse_from_rfc3339(v)
            .map(|d| Bound::Date(d.to_utc()))
            .map_err(|_| SimError::new(400, format!("invalid value for {name}")))
    }

    pub(super) fn cmp(&self, a: &Action) -> std::cmp::Ordering {
        match self {
            Bound::Id(id) => a.id.as_str().cmp(id.as_str()),
            Bound::Date(d) => chrono::DateTime::parse_from_rfc3339(&a.date)
                .map(|x| x.to_utc().cmp(d))
                .unwrap_or(std::cmp::Ordering::Equal),
        }
    }
}

async fn actions(AxState(st): AxState<Shared>, Path(id): Path<String>, Query(q): Q) -> Response {
    with(&st, &q, |s| {
        check_board(s, &id)?;
        let limit = action_limit(&q)?;
        let since = q
            .get("since")
            .map(|v| Bound::parse(v, "since"))
            .transpose()?;
        let before = q
            .get("before")
            .map(|v| Bound::parse(v, "before"))
            .transpose()?;
        let types: Option<Vec<&str>> = q
            .get("filter")
            .filter(|f| *f != "all")
            .map(|f| f.split(',').collect());
        let rows: Vec<Value> = s
            .actions
            .iter()
            .rev()
            .filter(|a| since.as_ref().is_none_or(|b| b.cmp(a).is_gt()))
            .filter(|a| before.as_ref().is_none_or(|b| b.cmp(a).is_lt()))
            .filter(|a| types.as_ref().is_none_or(|t| t.contains(&a.kind.as_str())))
            .take(limit)
            .map(|a| s.action_json(a))
            .collect();
        Ok(ok(Value::Array(rows)))
    })
}

async fn create_card(
    AxState(st): AxState<Shared>,
    Query(q): Q,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let p = match params(&q, &h, &body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    with(&st, &q, |s| {
        let id = s.create_card(&p)?;
        Ok(ok(s.card_json(&s.cards[&id])))
    })
}

async fn get_card(AxState(st): AxState<Shared>, Path(id): Path<String>, Query(q): Q) -> Response {
    with(&st, &q, |s| {
        check_id(&id)?;
        let c = s.cards.get(&id).ok_or_else(SimError::not_found)?;
        Ok(ok(s.card_json(c)))
    })
}

async fn update_card(
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
        s.update_card(&id, &p)?;
        Ok(ok(s.card_json(&s.cards[&id])))
    })
}

async fn delete_card(
    AxState(st): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &q, |s| {
        check_id(&id)?;
        s.delete_card(&id)?;
        Ok(ok(json!({"limits": {}})))
    })
}

async fn add_label(
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
        let label = p
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| SimError::new(400, "invalid value for value"))?
            .to_string();
        if s.label(&label).is_none() {
            return Err(SimError::new(400, "invalid value for value"));
        }
        if !s.cards.contains_key(&id) {
            return Err(SimError::not_found());
        }
        s.label_event(&id, &label, true);
        Ok(ok(json!(s.cards[&id].id_labels)))
    })
}

async fn remove_label(
    AxState(st): AxState<Shared>,
    Path((id, label)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    with(&st, &q, |s| {
        check_id(&id)?;
        if !s.cards.contains_key(&id) {
            return Err(SimError::not_found());
        }
        s.label_event(&id, &label, false);
        Ok(ok(json!(s.cards[&id].id_labels)))
    })
}

async fn create_label(
    AxState(st): AxState<Shared>,
    Query(q): Q,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let p = match params(&q, &h, &body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    with(&st, &q, |s| {
        let board = p
            .get("idBoard")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        check_board(s, &board).map_err(|_| SimError::new(400, "invalid value for idBoard"))?;
        let id = s.create_label(&p)?;
        Ok(ok(s.label_json(s.label(&id).expect("just created"))))
    })
}

async fn get_label(AxState(st): AxState<Shared>, Path(id): Path<String>, Query(q): Q) -> Response {
    with(&st, &q, |s| {
        check_id(&id)?;
        Ok(ok(
            s.label_json(s.label(&id).ok_or_else(SimError::not_found)?)
        ))
    })
}

async fn update_label(
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
        s.update_label(&id, &p)?;
        Ok(ok(s.label_json(s.label(&id).expect("exists"))))
    })
}

async fn delete_label(
    AxState(st): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &q, |s| {
        check_id(&id)?;
        s.delete_label(&id)?;
        Ok(ok(json!({})))
    })
}

fn webhook_json(w: &Webhook) -> Value {
    json!({"id": w.id, "description": "", "idModel": w.id_model, "callbackURL": w.callback_url, "active": w.active})
}

async fn create_webhook(
    AxState(st): AxState<Shared>,
    Query(q): Q,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let p = match params(&q, &h, &body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let callback = p
        .get("callbackURL")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let model = p
        .get("idModel")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let admitted = with(&st, &q, |s| {
        check_board(s, &model).map_err(|_| SimError::new(400, "invalid value for idModel"))?;
        if url::Url::parse(&callback).is_err() {
            return Err(SimError::new(400, "invalid value for callbackURL"));
        }
        Ok(StatusCode::OK.into_response())
    });
    if admitted.status() != StatusCode::OK {
        return admitted;
    }
    if let Err(m) = webhook::handshake(&callback).await {
        return err(SimError::new(400, m));
    }
    let mut s = st.lock().expect("sim state");
    let w = Webhook {
        id: s.new_id(),
        callback_url: callback,
        id_model: s.options.board_id.clone(),
        active: true,
    };
    s.webhooks.push(w.clone());
    ok(webhook_json(&w))
}

async fn get_webhook(
    AxState(st): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &q, |s| {
        let w = s
            .webhooks
            .iter()
            .find(|w| w.id == id)
            .ok_or_else(SimError::not_found)?;
        Ok(ok(webhook_json(w)))
    })
}

async fn delete_webhook(
    AxState(st): AxState<Shared>,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &q, |s| {
        if !s.webhooks.iter().any(|w| w.id == id) {
            return Err(SimError::not_found());
        }
        s.webhooks.retain(|w| w.id != id);
        Ok(ok(json!({})))
    })
}

async fn token_webhooks(
    AxState(st): AxState<Shared>,
    Path(token): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &q, |s| {
        if token != s.options.token {
            return Err(SimError::new(401, "invalid token"));
        }
        Ok(ok(Value::Array(
            s.webhooks.iter().map(webhook_json).collect(),
        )))
    })
}
