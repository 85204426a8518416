//! The dashboard (`/`): every config with its platform, enabled state, mode and health,
//! last run and its outcome, webhook deliveries waiting in its inbox, open conflicts and a chart of its last 24 hours; the service's
//! totals (pending outbox work, dead letters, conflicts, runs) and its own health (database,
//! connectors). It reloads itself every [`REFRESH_SECS`] seconds.

use std::collections::HashMap;

use axum::extract::State;
use chrono::Utc;
use elder_sync_store::pending_inbox_by_config;
use elder_sync_store::{ConfigSyncStatus, HistoryEntry, HistoryFilter, PageRequest, Store};
use maud::{Markup, html};

use crate::ConsoleState;
use crate::chart::{Activity, activity_svg};
use crate::failure::Page;
use crate::layout::{self, Section, head_row, when};
use crate::operator::Operator;

/// How often the dashboard reloads itself.
pub const REFRESH_SECS: u32 = 15;

/// The most runs or conflicts one dashboard query reads (the largest page the store serves).
const MOST: u32 = 100;

/// Open conflicts per config (from the newest [`MOST`] open conflicts).
async fn open_conflicts_by_config(store: &Store) -> Page<HashMap<i64, i64>> {
    let open = store
        .list_conflicts(Some(false), PageRequest::new(Some(1), Some(MOST))?)
        .await?;
    let mut by_config = HashMap::new();
    let mut config_of = HashMap::new();
    for c in open.items {
        let config = match config_of.get(&c.mapping_id) {
            Some(&id) => id,
            None => {
                let id = store.get_mapping(c.mapping_id).await?.sync_config_id;
                config_of.insert(c.mapping_id, id);
                id
            }
        };
        *by_config.entry(config).or_insert(0) += 1;
    }
    Ok(by_config)
}

/// The newest runs of config `id` (the first is the last run).
async fn recent_runs(store: &Store, id: i64) -> Page<Vec<HistoryEntry>> {
    let filter = HistoryFilter {
        config_id: Some(id),
        ..HistoryFilter::default()
    };
    Ok(store
        .list_history(&filter, PageRequest::new(Some(1), Some(MOST))?)
        .await?
        .items)
}

fn last_run(run: Option<&HistoryEntry>) -> Markup {
    html! {
        @match run {
            None => span.muted { "never" },
            Some(r) => {
                (when(Some(r.started_at))) " "
                @if r.completed_at.is_none() && r.success {
                    span.badge.running { "running" }
                } @else if r.success {
                    span.badge.ok { "ok" }
                } @else {
                    span.badge.bad title=[r.error_message.as_deref()] { "failed" }
                }
            }
        }
    }
}

/// What the dashboard shows of one config besides its status.
struct Counts {
    conflicts: i64,
    inbox: i64,
}

fn config_row(c: &ConfigSyncStatus, runs: &[HistoryEntry], n: Counts) -> Markup {
    let health_class = match c.webhooks.health.as_str() {
        "healthy" => "ok",
        "unhealthy" => "bad",
        _ => "muted",
    };
    html! {
        tr {
            th scope="row" { a href=(format!("/configs/{}", c.id)) { (c.name) } }
            td { (c.platform.as_str()) }
            td { (layout::yes_no(c.enabled)) }
            td { (c.webhooks.mode) }
            td { span.badge.(health_class) title=[c.webhooks.reason.as_deref()] { (c.webhooks.health) } }
            td { (last_run(runs.first())) }
            td { (n.inbox) }
            td {
                @if n.conflicts > 0 { a href="/conflicts" { (n.conflicts) } } @else { "0" }
            }
            td { (activity_svg(&Activity::of(runs, Utc::now()))) }
        }
    }
}

/// `GET /`.
pub async fn show(State(state): State<ConsoleState>, op: Operator) -> Page<Markup> {
    let store = &state.api.store;
    let overview = store.sync_overview().await?;
    let conflicts = open_conflicts_by_config(store).await?;
    let inbox = pending_inbox_by_config(store).await?;
    let mut rows = Vec::new();
    for c in &overview.configs {
        let runs = recent_runs(store, c.id).await?;
        let counts = Counts {
            conflicts: conflicts.get(&c.id).copied().unwrap_or(0),
            inbox: inbox.get(&c.id).copied().unwrap_or(0),
        };
        rows.push(config_row(c, &runs, counts));
    }
    let plugins = state.plugins.list();
    let serving = plugins.iter().filter(|p| p.enabled).count();
    let body = html! {
        section aria-labelledby="health" {
            h2 id="health" { "Service" }
            dl.stats {
                div { dt { "Database" } dd { span.badge.ok { "reachable" } } }
                div { dt { "Connectors serving" } dd { (serving) " of " (plugins.len()) } }
                div { dt { "Configs enabled" } dd { (overview.configs_enabled) " of " (overview.configs_total) } }
                div { dt { "Runs (24 h)" } dd { (overview.syncs_last_24h) } }
                div { dt { "Failed runs (24 h)" } dd { (overview.failures_last_24h) } }
                div { dt { "Open conflicts" } dd { a href="/conflicts" { (overview.unresolved_conflicts) } } }
                div { dt { "Outbox pending" } dd { (overview.outbox_pending) } }
                div { dt { "Dead letters" } dd { a href="/dead-letters" { (overview.dead_letters.total()) } } }
                div { dt { "Mapped items" } dd { (overview.mappings_total) } }
            }
        }
        section aria-labelledby="configs" {
            h2 id="configs" { "Configs" }
            @if rows.is_empty() {
                p { "No sync configs yet. " a href="/configs/new" { "Create one" } "." }
            } @else {
                div.scroll {
                    table {
                        (head_row(&["Name", "Platform", "Enabled", "Mode", "Webhook health", "Last run", "Inbox pending", "Open conflicts", "Last 24 h"]))
                        tbody { @for r in rows { (r) } }
                    }
                }
                p.muted { "Chart: blue bars are operations per hour, red bars failures. This page reloads every " (REFRESH_SECS) " seconds." }
            }
        }
    };
    Ok(layout::page_refreshing(
        &op,
        Section::Dashboard,
        "Dashboard",
        Some(REFRESH_SECS),
        body,
    ))
}
