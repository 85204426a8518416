//! The Jira simulator's HTTP surface: REST v3 and Agile 1.0 routes, Basic auth, 429
//! answers on demand, and the `search/jql` token pagination.

// Handlers short-circuit with ready responses; boxing them buys nothing in a test server.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::model::{SPRINT_FIELD, State};
use super::ops::{IssueFields, SimError};
use super::{jql, webhook, workflow};

pub(super) type Shared = Arc<Mutex<State>>;
pub(super) type Q = Query<HashMap<String, String>>;

/// Builds the router.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/rest/api/3/myself", get(myself))
        .route("/rest/api/3/project/{key}", get(project))
        .route("/rest/api/3/project/{key}/components", get(list_components))
        .route("/rest/api/3/field", get(fields))
        .route("/rest/api/3/search/jql", get(search_get).post(search_post))
        .route("/rest/api/3/search", get(removed).post(removed))
        .route("/rest/api/3/issue", post(create_issue))
        .route(
            "/rest/api/3/issue/{key}",
            get(get_issue).put(edit_issue).delete(delete_issue),
        )
        .route(
            "/rest/api/3/issue/{key}/transitions",
            get(list_transitions).post(do_transition),
        )
        .route("/rest/api/3/component", post(create_component))
        .route(
            "/rest/api/3/component/{id}",
            get(get_component)
                .put(update_component)
                .delete(delete_component),
        )
        .route("/rest/agile/1.0/board", get(boards))
        .route("/rest/agile/1.0/board/{id}/sprint", get(list_sprints))
        .route("/rest/agile/1.0/sprint", post(create_sprint))
        .route(
            "/rest/agile/1.0/sprint/{id}",
            get(get_sprint)
                .post(update_sprint)
                .put(update_sprint)
                .delete(delete_sprint),
        )
        .route("/rest/agile/1.0/sprint/{id}/issue", post(sprint_issues))
        .route("/rest/agile/1.0/backlog/issue", post(backlog_issues))
        .merge(super::comments::routes::router())
        .fallback(|| async { err(SimError::msg(404, "Not found")) })
        .with_state(state)
}

fn gate(s: &mut State, h: &HeaderMap) -> Result<(), Response> {
    s.requests += 1;
    if s.rate_limited > 0 {
        s.rate_limited -= 1;
        let reset = (chrono::Utc::now() + chrono::Duration::seconds(5)).to_rfc3339();
        return Err((
            StatusCode::TOO_MANY_REQUESTS,
            [
                ("Retry-After", "5".to_string()),
                ("X-RateLimit-Reset", reset),
                ("RateLimit-Reason", "jira-burst-based".to_string()),
            ],
            axum::Json(json!({"errorMessages": ["Rate limit exceeded."], "errors": {}})),
        )
            .into_response());
    }
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", s.options.email, s.options.api_token))
    );
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return Err((
            StatusCode::UNAUTHORIZED,
            [("WWW-Authenticate", "Basic realm=\"protected\"")],
            "Client must be authenticated to access this resource.",
        )
            .into_response());
    }
    Ok(())
}

pub(super) fn err(e: SimError) -> Response {
    (
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(e.body),
    )
        .into_response()
}

pub(super) fn ok(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

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

pub(super) fn json_body(body: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice(body).map_err(|_| {
        err(SimError::msg(
            400,
            "Unexpected character: the request body is not valid JSON.",
        ))
    })
}

pub(super) fn issue_id(s: &State, key: &str) -> Result<u64, Response> {
    s.id_of(key).map_err(err)
}

async fn removed() -> Response {
    err(SimError::msg(
        410,
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.",
    ))
}

async fn myself(AxState(st): AxState<Shared>, h: HeaderMap) -> Response {
    with(&st, &h, |s| {
        let mut u = s.user_json("5b10a2844c20165700ede21g");
        u["emailAddress"] = json!(s.options.email);
        u["timeZone"] = json!("Asia/Kolkata");
        Ok(ok(StatusCode::OK, u))
    })
}

async fn project(AxState(st): AxState<Shared>, h: HeaderMap, Path(key): Path<String>) -> Response {
    with(&st, &h, |s| {
        if key != s.options.project_key && key != s.project_id.to_string() {
            return Err(err(SimError::msg(
                404,
                "No project could be found with key '".to_string() + &key + "'.",
            )));
        }
        Ok(ok(StatusCode::OK, s.project_ref()))
    })
}

async fn fields(AxState(st): AxState<Shared>, h: HeaderMap) -> Response {
    with(&st, &h, |_| {
        Ok(ok(
            StatusCode::OK,
            json!([
                {"id": "summary", "key": "summary", "name": "Summary", "custom": false},
                {"id": "customfield_10011", "key": "customfield_10011", "name": "Epic Name", "custom": true,
                 "schema": {"type": "string", "custom": "com.pyxis.greenhopper.jira:gh-epic-label", "customId": 10011}},
                {"id": SPRINT_FIELD, "key": SPRINT_FIELD, "name": "Sprint", "custom": true,
                 "schema": {"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020}},
            ]),
        ))
    })
}

/// The page token binds the query and the offset.
fn token(jql: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(json!({"q": jql, "o": offset}).to_string())
}

fn read_token(t: &str, jql: &str) -> Result<usize, Response> {
    let bad = || {
        err(SimError::msg(
            400,
            "The provided next page token is invalid or expired.",
        ))
    };
    let raw = URL_SAFE_NO_PAD.decode(t).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    if v["q"].as_str() != Some(jql) {
        return Err(bad());
    }
    v["o"].as_u64().map(|o| o as usize).ok_or_else(bad)
}

fn search(
    s: &State,
    jql_text: &str,
    token_in: Option<&str>,
    max: Option<u64>,
    fields: Option<Vec<String>>,
) -> Result<Response, Response> {
    let q = jql::parse(jql_text, s).map_err(|m| err(SimError::msg(400, m)))?;
    let offset = match token_in {
        Some(t) => read_token(t, jql_text)?,
        None => 0,
    };
    let cap = if fields.is_some() { 100 } else { 5000 };
    let max = max.unwrap_or(50).clamp(1, cap) as usize;
    let mut rows: Vec<_> = s
        .issues
        .values()
        .filter_map(|i| s.search_view(i))
        .filter(|i| q.matches(i, s))
        .collect();
    q.sort(&mut rows);
    let page: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(max)
        .map(|i| s.issue_json(i, fields.as_deref()))
        .collect();
    let is_last = offset + max >= rows.len();
    let mut body = json!({"issues": page, "isLast": is_last});
    if !is_last {
        body["nextPageToken"] = json!(token(jql_text, offset + max));
    }
    Ok(ok(StatusCode::OK, body))
}

fn field_list(v: Option<&Value>) -> Option<Vec<String>> {
    match v? {
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        Value::String(s) => Some(
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
        ),
        _ => None,
    }
}

async fn search_get(AxState(st): AxState<Shared>, h: HeaderMap, Query(q): Q) -> Response {
    with(&st, &h, |s| {
        let jql = q.get("jql").cloned().unwrap_or_default();
        let fields = field_list(q.get("fields").map(|f| Value::String(f.clone())).as_ref());
        search(
            s,
            &jql,
            q.get("nextPageToken").map(String::as_str),
            q.get("maxResults").and_then(|m| m.parse().ok()),
            fields,
        )
    })
}

async fn search_post(AxState(st): AxState<Shared>, h: HeaderMap, body: Bytes) -> Response {
    with(&st, &h, |s| {
        let b = json_body(&body)?;
        let jql = b["jql"].as_str().unwrap_or_default().to_string();
        search(
            s,
            &jql,
            b["nextPageToken"].as_str(),
            b["maxResults"].as_u64(),
            field_list(b.get("fields")),
        )
    })
}

async fn create_issue(AxState(st): AxState<Shared>, h: HeaderMap, body: Bytes) -> Response {
    with(&st, &h, |s| {
        let b = json_body(&body)?;
        if b.pointer("/fields/project").is_none() {
            return Err(err(SimError::field(
                400,
                "project",
                "Specify a valid project ID or key",
            )));
        }
        let f = IssueFields::parse(s, &b).map_err(err)?;
        let id = s.create_issue(f).map_err(err)?;
        let i = &s.issues[&id];
        Ok(ok(
            StatusCode::CREATED,
            json!({"id": id.to_string(), "key": i.key, "self": format!("{}/rest/api/3/issue/{id}", s.base_url)}),
        ))
    })
}

async fn get_issue(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(key): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        let fields = field_list(q.get("fields").map(|f| Value::String(f.clone())).as_ref())
            .unwrap_or_else(|| vec!["*all".into()]);
        Ok(ok(
            StatusCode::OK,
            s.issue_json(&s.issues[&id], Some(&fields)),
        ))
    })
}

async fn edit_issue(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        let b = json_body(&body)?;
        let f = IssueFields::parse(s, &b).map_err(err)?;
        s.update_issue(id, f).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn delete_issue(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        s.delete_issue(id).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn list_transitions(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(key): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        let expand = q
            .get("expand")
            .is_some_and(|e| e.contains("transitions.fields"));
        let list: Vec<Value> = workflow::transitions_from(&s.issues[&id].status_id)
            .into_iter()
            .map(|t| {
                let to = workflow::status(t.to).expect("target exists");
                let mut v = json!({"id": t.id, "name": t.name, "to": workflow::status_json(&s.base_url, to),
                                   "hasScreen": t.requires_resolution, "isGlobal": false, "isInitial": false,
                                   "isAvailable": true, "isConditional": false, "isLooped": false});
                if expand {
                    v["fields"] = if t.requires_resolution {
                        json!({"resolution": {"required": true, "name": "Resolution", "key": "resolution", "hasDefaultValue": false,
                               "operations": ["set"], "allowedValues": [{"name": "Won't Do"}, {"name": "Duplicate"}]}})
                    } else {
                        json!({})
                    };
                }
                v
            })
            .collect();
        Ok(ok(StatusCode::OK, json!({"transitions": list})))
    })
}

async fn do_transition(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = issue_id(s, &key)?;
        let b = json_body(&body)?;
        s.transition(id, &b).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn list_components(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        if key != s.options.project_key {
            return Err(err(SimError::msg(404, "No project could be found.")));
        }
        Ok(ok(
            StatusCode::OK,
            Value::Array(s.components.values().map(|c| s.component_json(c)).collect()),
        ))
    })
}

fn component_id(s: &State, id: &str) -> Result<u64, Response> {
    id.parse::<u64>()
        .ok()
        .filter(|i| s.components.contains_key(i))
        .ok_or_else(|| {
            err(SimError::msg(
                404,
                format!("The component with id {id} does not exist."),
            ))
        })
}

async fn create_component(AxState(st): AxState<Shared>, h: HeaderMap, body: Bytes) -> Response {
    with(&st, &h, |s| {
        let id = s.create_component(&json_body(&body)?).map_err(err)?;
        Ok(ok(
            StatusCode::CREATED,
            s.component_json(&s.components[&id]),
        ))
    })
}

async fn get_component(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let id = component_id(s, &id)?;
        Ok(ok(StatusCode::OK, s.component_json(&s.components[&id])))
    })
}

async fn update_component(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = component_id(s, &id)?;
        s.update_component(id, &json_body(&body)?).map_err(err)?;
        Ok(ok(StatusCode::OK, s.component_json(&s.components[&id])))
    })
}

async fn delete_component(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let id = component_id(s, &id)?;
        s.components.remove(&id);
        for i in s.issues.values_mut() {
            i.component_ids.retain(|c| *c != id);
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn boards(AxState(st): AxState<Shared>, h: HeaderMap, Query(q): Q) -> Response {
    with(&st, &h, |s| {
        let matches = q
            .get("projectKeyOrId")
            .is_none_or(|p| *p == s.options.project_key || *p == s.project_id.to_string());
        let values = if matches {
            vec![
                json!({"id": s.board_id, "name": format!("{} board", s.options.project_key), "type": "scrum"}),
            ]
        } else {
            vec![]
        };
        Ok(ok(
            StatusCode::OK,
            json!({"maxResults": 50, "startAt": 0, "total": values.len(), "isLast": true, "values": values}),
        ))
    })
}

fn sprint_id(s: &State, id: &str) -> Result<u64, Response> {
    id.parse::<u64>()
        .ok()
        .filter(|i| s.sprints.contains_key(i))
        .ok_or_else(|| {
            err(SimError::msg(
                404,
                format!("Sprint with id {id} does not exist"),
            ))
        })
}

async fn list_sprints(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(board): Path<String>,
    Query(q): Q,
) -> Response {
    with(&st, &h, |s| {
        if board != s.board_id.to_string() {
            return Err(err(SimError::msg(
                404,
                "Board does not exist or you do not have permission to see it.",
            )));
        }
        let start = q
            .get("startAt")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let max = q
            .get("maxResults")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(50)
            .clamp(1, 50);
        let states: Option<Vec<String>> = q
            .get("state")
            .map(|v| v.split(',').map(str::to_string).collect());
        let all: Vec<Value> = s
            .sprints
            .values()
            .filter(|sp| states.as_ref().is_none_or(|w| w.contains(&sp.state)))
            .map(|sp| s.sprint_json(sp))
            .collect();
        let page: Vec<Value> = all.iter().skip(start).take(max).cloned().collect();
        Ok(ok(
            StatusCode::OK,
            json!({"maxResults": max, "startAt": start, "isLast": start + max >= all.len(), "values": page}),
        ))
    })
}

async fn create_sprint(AxState(st): AxState<Shared>, h: HeaderMap, body: Bytes) -> Response {
    with(&st, &h, |s| {
        let b = json_body(&body)?;
        if b["originBoardId"].as_u64() != Some(s.board_id) {
            return Err(err(SimError::field(
                400,
                "originBoardId",
                "Board does not exist or you do not have permission to see it.",
            )));
        }
        let id = s
            .create_sprint_with(
                b["name"].as_str().unwrap_or(""),
                b["goal"].as_str().map(str::to_string),
                &b,
            )
            .map_err(err)?;
        Ok(ok(StatusCode::CREATED, s.sprint_json(&s.sprints[&id])))
    })
}

async fn get_sprint(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let id = sprint_id(s, &id)?;
        Ok(ok(StatusCode::OK, s.sprint_json(&s.sprints[&id])))
    })
}

async fn update_sprint(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = sprint_id(s, &id)?;
        s.update_sprint(id, &json_body(&body)?).map_err(err)?;
        Ok(ok(StatusCode::OK, s.sprint_json(&s.sprints[&id])))
    })
}

async fn delete_sprint(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with(&st, &h, |s| {
        let id = sprint_id(s, &id)?;
        s.delete_sprint(id).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn sprint_issues(
    AxState(st): AxState<Shared>,
    h: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with(&st, &h, |s| {
        let id = id
            .parse::<u64>()
            .map_err(|_| err(SimError::msg(404, "Sprint does not exist")))?;
        s.move_to_sprint(Some(id), &json_body(&body)?)
            .map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn backlog_issues(AxState(st): AxState<Shared>, h: HeaderMap, body: Bytes) -> Response {
    with(&st, &h, |s| {
        s.move_to_sprint(None, &json_body(&body)?).map_err(err)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}
