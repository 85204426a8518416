//! History (`/history`): sync runs newest first, filtered by config, type and outcome, with
//! their correlation ids (the key to every log line of a run); a run still going shows as
//! running with the progress it has recorded.

use std::collections::HashMap;

use axum::extract::{Query, State};
use elder_sync_store::{HistoryEntry, HistoryFilter, PageRequest, SyncMethod};
use maud::{Markup, html};
use serde::Deserialize;

use crate::ConsoleState;
use crate::failure::Page;
use crate::layout::{self, Section, head_row, when};
use crate::operator::Operator;

/// Runs per page.
const PER_PAGE: u32 = 25;

/// The filters of the history page (blank fields mean any).
#[derive(Debug, Default, Deserialize)]
pub struct HistoryQuery {
    #[serde(default)]
    config_id: String,
    #[serde(default)]
    sync_type: String,
    /// `ok` or `failed`.
    #[serde(default)]
    outcome: String,
    page: Option<u32>,
}

fn outcome(r: &HistoryEntry) -> Markup {
    html! {
        @if r.completed_at.is_none() && r.success {
            span.badge.running { "running" }
            @if let Some(progress) = r.sync_metadata.get("progress") { " " (progress.to_string()) }
        } @else if r.success {
            span.badge.ok { "ok" }
        } @else {
            span.badge.bad { "failed" }
        }
    }
}

/// A table of runs (also on a config's page); configs are shown by their name in `names`.
pub fn runs_table(runs: &[HistoryEntry], names: &HashMap<i64, String>) -> Markup {
    html! {
        @if runs.is_empty() {
            p { "No runs." }
        } @else {
            div.scroll { table.runs {
                (head_row(&["Started", "Config", "Type", "Outcome", "Synced", "Failed", "Correlation id", "Error"]))
                tbody { @for r in runs { tr {
                    td { (when(Some(r.started_at))) }
                    td { a href=(format!("/configs/{}", r.sync_config_id)) {
                        (names.get(&r.sync_config_id).cloned().unwrap_or_else(|| r.sync_config_id.to_string()))
                    } }
                    td { (r.sync_type) }
                    td { (outcome(r)) }
                    td { (r.items_synced) } td { (r.items_failed) }
                    td { code.cid { (r.correlation_id) } }
                    td { @if let Some(e) = &r.error_message { (e) } }
                } } }
            } }
        }
    }
}

fn filter_of(q: &HistoryQuery) -> HistoryFilter {
    HistoryFilter {
        config_id: q.config_id.trim().parse().ok(),
        sync_type: Some(q.sync_type.trim().to_string()).filter(|t| !t.is_empty()),
        success: match q.outcome.as_str() {
            "ok" => Some(true),
            "failed" => Some(false),
            _ => None,
        },
    }
}

fn page_link(q: &HistoryQuery, page: u32) -> String {
    format!(
        "/history?config_id={}&sync_type={}&outcome={}&page={page}",
        q.config_id.trim(),
        q.sync_type.trim(),
        q.outcome
    )
}

/// `GET /history`.
pub async fn show(
    State(state): State<ConsoleState>,
    op: Operator,
    Query(q): Query<HistoryQuery>,
) -> Page<Markup> {
    let store = &state.api.store;
    let configs = store.list_configs().await?;
    let names = configs.iter().map(|c| (c.id, c.name.clone())).collect();
    let page = q.page.unwrap_or(1);
    let runs = store
        .list_history(
            &filter_of(&q),
            PageRequest::new(Some(page), Some(PER_PAGE))?,
        )
        .await?;
    let types = [
        SyncMethod::Webhook,
        SyncMethod::Poll,
        SyncMethod::Batch,
        SyncMethod::Manual,
    ];
    let body = html! {
        form.filters method="get" action="/history" {
            div.field {
                label for="config_id" { "Config" }
                select id="config_id" name="config_id" {
                    option value="" { "any" }
                    @for c in &configs {
                        option value=(c.id) selected[q.config_id.trim() == c.id.to_string()] { (c.name) }
                    }
                }
            }
            div.field {
                label for="sync_type" { "Type" }
                select id="sync_type" name="sync_type" {
                    option value="" { "any" }
                    @for t in types {
                        option value=(t.as_str()) selected[q.sync_type == t.as_str()] { (t.as_str()) }
                    }
                }
            }
            div.field {
                label for="outcome" { "Outcome" }
                select id="outcome" name="outcome" {
                    option value="" { "any" }
                    option value="ok" selected[q.outcome == "ok"] { "ok" }
                    option value="failed" selected[q.outcome == "failed"] { "failed" }
                }
            }
            button type="submit" { "Filter" }
        }
        p { (runs.total) " runs" @if runs.pages > 1 { ", page " (runs.page) " of " (runs.pages) } "." }
        (runs_table(&runs.items, &names))
        nav.pager aria-label="Pages" {
            @if page > 1 { a href=(page_link(&q, page - 1)) { "Newer" } }
            @if i64::from(page) < runs.pages { a href=(page_link(&q, page + 1)) { "Older" } }
        }
    };
    Ok(layout::page(&op, Section::History, "History", body))
}
