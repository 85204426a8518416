//! Dead letters: work that exhausted its attempts (webhook deliveries and Elder changes),
//! with its last error; retry (back in its queue, attempts reset) or drop, through the same
//! store functions and id rule as `/api/v1/sync/dead-letters`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use elder_sync_api::dead_letter_id;
use elder_sync_http::ApiError;
use elder_sync_store::{DeadLetter, DeadLetterFilter, PageRequest};
use maud::{Markup, html};

use crate::ConsoleState;
use crate::failure::Page;
use crate::form::FormData;
use crate::layout::{self, Section, action, head_row, when};
use crate::operator::Operator;

/// Dead letters shown (most recently parked first).
const SHOWN: u32 = 100;

/// The routes of this section.
pub fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/dead-letters", get(list))
        .route("/dead-letters/{id}/{action}", post(act))
}

fn row(op: &Operator, d: &DeadLetter) -> Markup {
    let what = match (&d.delivery_id, &d.resource_type, d.resource_id) {
        (Some(delivery), _, _) => format!("delivery {delivery}"),
        (None, Some(kind), Some(id)) => format!(
            "{kind} {id} ({})",
            d.operation.map(|o| o.as_str()).unwrap_or("change")
        ),
        _ => "-".to_string(),
    };
    html! {
        tr {
            th scope="row" { code { (d.id) } }
            td { (what) }
            td { @match d.sync_config_id { Some(c) => a href=(format!("/configs/{c}")) { (c) }, None => "-" } }
            td { (d.attempts) }
            td { (d.last_error.as_deref().unwrap_or("-")) }
            td { (when(Some(d.parked_at))) }
            @if op.can_write() {
                td { div.actions {
                    (action(op, &format!("/dead-letters/{}/retry", d.id), "Retry", "secondary"))
                    (action(op, &format!("/dead-letters/{}/drop", d.id), "Drop", "danger"))
                } }
            }
        }
    }
}

/// `GET /dead-letters`.
async fn list(State(state): State<ConsoleState>, op: Operator) -> Page<Markup> {
    let letters = state
        .api
        .store
        .list_dead_letters(
            DeadLetterFilter::default(),
            PageRequest::new(Some(1), Some(SHOWN))?,
        )
        .await?;
    let mut columns = vec!["Id", "What", "Config", "Attempts", "Last error", "Parked"];
    if op.can_write() {
        columns.push("Actions");
    }
    let body = html! {
        @if letters.items.is_empty() {
            p { "No dead letters: every delivery and change was applied or is still being tried." }
        } @else {
            p {
                (letters.total) @if letters.total == 1 { " dead letter. " } @else { " dead letters. " }
                "Retrying puts one back in its queue with its attempts reset; dropping deletes it for good."
            }
            div.scroll {
                table {
                    (head_row(&columns))
                    tbody { @for d in &letters.items { (row(&op, d)) } }
                }
            }
        }
    };
    Ok(layout::page(
        &op,
        Section::DeadLetters,
        "Dead letters",
        body,
    ))
}

/// `POST /dead-letters/{id}/retry|drop`.
async fn act(
    State(state): State<ConsoleState>,
    op: Operator,
    Path((raw, verb)): Path<(String, String)>,
    body: Bytes,
) -> Page<Redirect> {
    op.authorize(&FormData::parse(&body))?;
    let id = dead_letter_id(&raw)?;
    let store = &state.api.store;
    let result = match verb.as_str() {
        "retry" => store
            .retry_dead_letter(id)
            .await
            .map(|()| format!("{id} is back in its queue.")),
        "drop" => store
            .drop_dead_letter(id)
            .await
            .map(|()| format!("{id} was dropped.")),
        _ => {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "route_not_found",
                format!("unknown dead-letter action {verb:?}: use retry or drop"),
            )
            .into());
        }
    };
    Ok(match result {
        Ok(text) => op.done(&state, true, text, "/dead-letters"),
        Err(e) => op.failed(&state, &ApiError::from(e), "/dead-letters"),
    })
}
