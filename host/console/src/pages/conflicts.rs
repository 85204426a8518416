//! Conflicts: the list (open ones first, resolved on request) and one conflict with the
//! base, Elder and platform value of every field side by side, a button per strategy, and a
//! field-by-field merge (pick a side per field). Resolving goes through the engine's
//! `settle_conflict`, as the API's resolve does; the result is shown on the next page.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use elder_sync_engine::conflict_view::{ConflictView, FieldSides, conflict_view};
use elder_sync_engine::routes::engine_error;
use elder_sync_engine::settle::{Settlement, settle_conflict};
use elder_sync_http::ApiError;
use elder_sync_store::{PageRequest, ResolutionStrategy};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::ConsoleState;
use crate::action::{Posted, Viewing};
use crate::failure::Page;
use crate::form::FormData;
use crate::layout::{self, Section, csrf, head_row, when};
use crate::operator::Operator;

/// The routes of this section.
pub fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/conflicts", get(list))
        .route("/conflicts/{id}", get(show))
        .route("/conflicts/{id}/resolve", post(resolve))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    resolved: bool,
}

async fn list(
    State(state): State<ConsoleState>,
    op: Operator,
    Query(q): Query<ListQuery>,
) -> Page<Markup> {
    let page = state
        .api
        .store
        .list_conflicts(Some(q.resolved), PageRequest::new(Some(1), Some(100))?)
        .await?;
    let body = html! {
        p {
            @if q.resolved { a href="/conflicts" { "Show open conflicts" } }
            @else { a href="/conflicts?resolved=true" { "Show resolved conflicts" } }
        }
        @if page.items.is_empty() {
            p { (if q.resolved { "No resolved conflicts." } else { "No open conflicts." }) }
        } @else {
            div.scroll { table {
                (head_row(&["Conflict", "Type", "Item", "Found", "Resolution"]))
                tbody { @for c in &page.items { tr {
                    th scope="row" { a href=(format!("/conflicts/{}", c.id)) { "#" (c.id) } }
                    td { (c.conflict_type.as_str()) }
                    td { (c.elder_data.get("title").and_then(Value::as_str).unwrap_or("—")) }
                    td { (when(Some(c.created_at))) }
                    td { @match c.resolution_strategy { Some(s) => (s.as_str()), None => "open" } }
                } } }
            } }
        }
    };
    Ok(layout::page(&op, Section::Conflicts, "Conflicts", body))
}

/// A field's value in words.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "(none)".into(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn field_row(op: &Operator, f: &FieldSides, open: bool) -> Markup {
    let name = format!("pick.{}", f.field);
    html! {
        tr.differs[f.differs()] {
            th scope="row" { (f.field) }
            td { (shown(&f.base)) }
            td { (shown(&f.elder)) }
            td { (shown(&f.platform)) }
            @if open && op.can_write() {
                td {
                    fieldset.pick {
                        legend.visually-hidden { "Keep for " (f.field) }
                        label { input type="radio" name=(name) value="elder" checked; " Elder" }
                        label { input type="radio" name=(name) value="platform"; " Platform" }
                    }
                }
            }
        }
    }
}

fn strategy_button(s: ResolutionStrategy, label: &str) -> Markup {
    html! { button type="submit" name="strategy" value=(s.as_str()) class="secondary" { (label) } }
}

fn resolution(view: &ConflictView) -> Markup {
    let c = &view.conflict;
    html! {
        div.notice.ok role="status" {
            "Resolved " (when(c.resolved_at)) " by " (c.resolved_by.as_deref().unwrap_or("—"))
            " with " (c.resolution_strategy.map_or("—", |s| s.as_str())) "."
            @if let Some(data) = &c.resolution_data { " Data: " code { (data.to_string()) } }
        }
    }
}

async fn show(State(state): State<ConsoleState>, Viewing { op, id }: Viewing) -> Page<Markup> {
    let view = conflict_view(&state.engine, id).await?;
    let c = &view.conflict;
    let config_name = state
        .api
        .store
        .get_config(view.config_id)
        .await
        .map_or_else(|_| view.config_id.to_string(), |c| c.name);
    let open = !c.resolved;
    let table = html! {
        div.scroll { table.sides {
            caption { "Each field on the three sides; rows where Elder and the platform differ are marked." }
            thead { tr {
                th scope="col" { "Field" } th scope="col" { "Base (last synced)" }
                th scope="col" { "Elder" } th scope="col" { "Platform" }
                @if open && op.can_write() { th scope="col" { "Merge: keep" } }
            } }
            tbody { @for f in &view.fields { (field_row(&op, f, open)) } }
        } }
    };
    let body = html! {
        dl.stats {
            div { dt { "Type" } dd { (c.conflict_type.as_str()) } }
            div { dt { "Config" } dd { a href=(format!("/configs/{}", view.config_id)) { (config_name) } } }
            div { dt { "Found" } dd { (when(Some(c.created_at))) } }
        }
        @if !open { (resolution(&view)) }
        @if open && op.can_write() {
            form.card method="post" action=(format!("/conflicts/{id}/resolve")) {
                (csrf(&op))
                (table)
                div.actions {
                    button type="submit" name="strategy" value=(MERGE_PICKED) { "Merge with the chosen fields" }
                    (strategy_button(ResolutionStrategy::ElderWins, "Elder wins"))
                    (strategy_button(ResolutionStrategy::ExternalWins, "Platform wins"))
                    (strategy_button(ResolutionStrategy::Merge, "Automatic merge"))
                }
            }
        } @else {
            (table)
        }
    };
    Ok(layout::page(
        &op,
        Section::Conflicts,
        &format!("Conflict #{id}"),
        body,
    ))
}

/// The value of the button that merges with the fields picked per row.
const MERGE_PICKED: &str = "merge_picked";

/// The resolution a submitted form asks for: the button's strategy, or for
/// [`MERGE_PICKED`] a `merge` with the picked side of every field as `data`.
fn settlement_of(
    form: &FormData,
    view: &ConflictView,
    op: &Operator,
) -> Result<Settlement, ApiError> {
    let raw = form.get("strategy").unwrap_or_default();
    let resolved_by = op.caller().label();
    if raw == MERGE_PICKED {
        let picks: Map<String, Value> = view
            .fields
            .iter()
            .filter_map(|f| {
                let side = form.get(&format!("pick.{}", f.field))?;
                let value = if side == "platform" {
                    &f.platform
                } else {
                    &f.elder
                };
                (!value.is_null()).then(|| (f.field.to_string(), value.clone()))
            })
            .collect();
        return Ok(Settlement {
            strategy: ResolutionStrategy::Merge,
            data: Some(Value::Object(picks)),
            resolved_by,
        });
    }
    let strategy = serde_json::from_value(Value::String(raw.into())).map_err(|_| {
        ApiError::validation(
            "resolution_strategy",
            format!("unknown strategy {raw:?}: use elder_wins, external_wins, merge or manual"),
        )
    })?;
    Ok(Settlement {
        strategy,
        data: None,
        resolved_by,
    })
}

async fn resolve(
    State(state): State<ConsoleState>,
    Posted { op, id, form }: Posted,
) -> Page<Redirect> {
    let back = format!("/conflicts/{id}");
    let view = conflict_view(&state.engine, id).await?;
    let settlement = match settlement_of(&form, &view, &op) {
        Ok(s) => s,
        Err(e) => return Ok(op.failed(&state, &e, &back)),
    };
    Ok(
        match settle_conflict(&state.engine, id, &settlement).await {
            Ok(c) => {
                let how = c.resolution_strategy.map_or("—", |s| s.as_str());
                let text = format!("Conflict #{id} resolved ({how}); both sides now agree.");
                op.done(&state, true, text, &back)
            }
            Err(e) => op.failed(&state, &engine_error(e), &back),
        },
    )
}
