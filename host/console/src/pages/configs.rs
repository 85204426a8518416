//! Sync configs: the list, a new config (its form generated from the platform connector's
//! config schema), one config (settings, status, imported items, recent runs, the edit form)
//! and its actions: enable, disable, test the connection, run now, delete after a
//! confirmation. Each action calls the function the API's handler calls and shows its
//! result (or its error, in words) on the next page.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use elder_sync_engine::dry_run::{DryRun, SidePlan, dry_run};
use elder_sync_engine::routes::{engine_error, run_manually, test_connection};
use elder_sync_engine::run::RunReport;
use elder_sync_http::ApiError;
use elder_sync_model::{ConfigField, Kind};
use elder_sync_store::{
    HistoryEntry, HistoryFilter, Mapping, MappingFilter, PageRequest, Resource, ResourceFilter,
    SyncConfig, SyncConfigPatch,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::config_form::{self, FormContext, Prefill};
use super::history::runs_table;
use crate::ConsoleState;
use crate::action::{Posted, Viewing};
use crate::failure::{Failure, Page, explain};
use crate::form::FormData;
use crate::layout::{self, Section, action, csrf, head_row, when, yes_no};
use crate::operator::Operator;

/// The routes of this section.
pub fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/configs", get(list).post(create))
        .route("/configs/new", get(new_form))
        .route("/configs/{id}", get(show).post(edit))
        .route("/configs/{id}/enable", post(enable))
        .route("/configs/{id}/disable", post(disable))
        .route("/configs/{id}/test", post(test))
        .route("/configs/{id}/run", post(run))
        .route("/configs/{id}/dry-run", post(dry_run_now))
        .route("/configs/{id}/delete", get(confirm_delete).post(delete))
}

fn config_url(id: i64) -> String {
    format!("/configs/{id}")
}

async fn list(State(state): State<ConsoleState>, op: Operator) -> Page<Markup> {
    let configs = state.api.store.list_configs().await?;
    let body = html! {
        @if op.can_write() { p { a.button href="/configs/new" { "New config" } } }
        @if configs.is_empty() {
            p { "No sync configs yet." }
        } @else {
            div.scroll { table {
                (head_row(&["Name", "Platform", "Enabled", "Webhooks", "Interval", "Last sync"]))
                tbody { @for c in &configs { tr {
                    th scope="row" { a href=(config_url(c.id)) { (c.name) } }
                    td { (c.platform.as_str()) } td { (yes_no(c.enabled)) }
                    td { (yes_no(c.webhook_enabled)) } td { (c.sync_interval) " s" }
                    td { (when(c.last_sync_at)) }
                } } }
            } }
        }
    };
    Ok(layout::page(&op, Section::Configs, "Configs", body))
}

#[derive(Deserialize)]
struct NewQuery {
    platform: Option<String>,
}

async fn projects(state: &ConsoleState) -> Page<Vec<Resource>> {
    Ok(state
        .api
        .store
        .list_resources(
            Kind::Project,
            &ResourceFilter::default(),
            PageRequest::new(Some(1), Some(100))?,
        )
        .await?
        .items)
}

/// The config schema of the connector serving `platform`, or a page saying none does.
fn schema_of(state: &ConsoleState, platform: &str) -> Result<Vec<ConfigField>, Failure> {
    elder_sync_api::requirements_for(state.api.catalog.as_ref(), platform)?;
    Ok(state
        .api
        .catalog
        .config_schema(platform)
        .unwrap_or_default())
}

async fn new_form(
    State(state): State<ConsoleState>,
    op: Operator,
    Query(q): Query<NewQuery>,
) -> Page<Markup> {
    let Some(platform) = q.platform.filter(|p| !p.is_empty()) else {
        let platforms = state.api.catalog.platforms();
        let body = html! {
            p { "Which platform? Each installed, enabled connector serves one." }
            ul.choices { @for p in &platforms {
                li { a.button href=(format!("/configs/new?platform={p}")) { (p) } }
            } }
            @if platforms.is_empty() { p { "No connector is installed and enabled; see " a href="/plugins" { "Plugins" } "." } }
        };
        return Ok(layout::page(&op, Section::Configs, "New config", body));
    };
    new_config_page(&state, &op, &platform, Prefill::New, None).await
}

/// The form for a new config of `platform`, showing `prefill` and, after a refused
/// submission, why it was refused.
async fn new_config_page(
    state: &ConsoleState,
    op: &Operator,
    platform: &str,
    prefill: Prefill<'_>,
    problem: Option<&ApiError>,
) -> Page<Markup> {
    let schema = schema_of(state, platform)?;
    let projects = projects(state).await?;
    let ctx = FormContext {
        schema: &schema,
        projects: &projects,
        prefill,
    };
    let body = html! {
        @if let Some(e) = problem { div.notice.error role="alert" { (explain(e)) } }
        form.card method="post" action="/configs" {
            (csrf(op))
            input type="hidden" name="platform" value=(platform);
            p { "Platform: " strong { (platform) } }
            (config_form::fields(&ctx))
            button type="submit" { "Create config" }
        }
    };
    Ok(layout::page(
        op,
        Section::Configs,
        &format!("New {platform} config"),
        body,
    ))
}

fn written_notice(
    state: &ConsoleState,
    what: &str,
    written: &elder_sync_store::WrittenConfig,
) -> String {
    let c = &written.config;
    let mut text = format!("Config {:?} {what}.", c.name);
    if let Some(secret) = &written.generated_webhook_secret {
        text.push_str(&format!(
            " Give the platform this webhook URL: {} and this secret (shown only now): {secret}",
            elder_sync_api::webhook_url(&state.api, c.id)
        ));
    }
    text
}

/// Creates the config; a refused one shows its form again, as typed (secrets aside), with
/// the API's error in words.
async fn create(State(state): State<ConsoleState>, op: Operator, body: Bytes) -> Page<Response> {
    let form = FormData::parse(&body);
    op.authorize(&form)?;
    let platform = form.text("platform").unwrap_or_default().to_string();
    let schema = schema_of(&state, &platform)?;
    let result = async {
        let new = config_form::new_config(&form, &platform, &schema)?;
        elder_sync_api::create_config(&state.api, &new).await
    }
    .await;
    match result {
        Ok(written) => {
            let text = written_notice(&state, "created", &written);
            Ok(op
                .done(&state, true, text, &config_url(written.config.id))
                .into_response())
        }
        Err(e) => {
            let page = new_config_page(&state, &op, &platform, Prefill::Submitted(&form), Some(&e))
                .await?;
            Ok((e.status, page).into_response())
        }
    }
}

async fn mapped_items(state: &ConsoleState, id: i64) -> Page<Vec<(Mapping, Option<Resource>)>> {
    let filter = MappingFilter {
        config_id: Some(id),
        ..MappingFilter::default()
    };
    let mappings = state
        .api
        .store
        .list_mappings(&filter, PageRequest::new(Some(1), Some(50))?)
        .await?;
    let mut out = Vec::new();
    for m in mappings.items {
        let resource = state
            .api
            .store
            .get_resource(m.elder_type, m.elder_id)
            .await
            .ok();
        out.push((m, resource));
    }
    Ok(out)
}

async fn recent_runs(state: &ConsoleState, id: i64) -> Page<Vec<HistoryEntry>> {
    let filter = HistoryFilter {
        config_id: Some(id),
        ..HistoryFilter::default()
    };
    Ok(state
        .api
        .store
        .list_history(&filter, PageRequest::new(Some(1), Some(10))?)
        .await?
        .items)
}

fn summary(state: &ConsoleState, c: &SyncConfig) -> Markup {
    html! {
        dl.stats {
            div { dt { "Platform" } dd { (c.platform.as_str()) } }
            div { dt { "Enabled" } dd { (yes_no(c.enabled)) } }
            div { dt { "Webhooks" } dd { (yes_no(c.webhook_enabled)) } }
            @if c.webhook_enabled {
                div { dt { "Webhook URL" } dd { code { (elder_sync_api::webhook_url(&state.api, c.id)) } } }
            }
            div { dt { "Last sync" } dd { (when(c.last_sync_at)) } }
            div { dt { "Secrets" } dd {
                @if c.secrets.is_empty() { "none" }
                @for (k, s) in &c.secrets {
                    code { (k) } ": " (if s.set { "set" } else { "not set" })
                    @if !s.resolved { " " span.badge.bad { "variable missing" } } " "
                }
            } }
        }
    }
}

fn actions(op: &Operator, c: &SyncConfig) -> Markup {
    let url = config_url(c.id);
    html! {
        @if op.can_write() {
            div.actions {
                @if c.enabled {
                    (action(op, &format!("{url}/disable"), "Disable", "secondary"))
                } @else {
                    (action(op, &format!("{url}/enable"), "Enable", "secondary"))
                }
                (action(op, &format!("{url}/test"), "Test connection", "secondary"))
                (action(op, &format!("{url}/dry-run"), "Dry run", "secondary"))
                (action(op, &format!("{url}/run"), "Run now", ""))
                a.button.danger href=(format!("{url}/delete")) { "Delete…" }
            }
        }
    }
}

fn items_table(items: &[(Mapping, Option<Resource>)]) -> Markup {
    html! {
        @if items.is_empty() {
            p { "Nothing imported or exported yet." }
        } @else {
            div.scroll { table.items {
                (head_row(&["Kind", "Elder item", "Platform id", "Status", "Last synced"]))
                tbody { @for (m, r) in items { tr {
                    td { (m.elder_type.as_str()) }
                    td { @match r { Some(r) => { (r.title) " (#" (r.id) ")" }, None => span.muted { "deleted" } } }
                    td { code { (m.external_id) } }
                    td { (m.sync_status.as_str()) }
                    td { (when(m.last_synced_at)) }
                } } }
            } }
        }
    }
}

async fn show(State(state): State<ConsoleState>, Viewing { op, id }: Viewing) -> Page<Markup> {
    let config = state.api.store.get_config(id).await?;
    let schema = state.api.catalog.config_schema(config.platform.as_str());
    let projects = projects(&state).await?;
    let items = mapped_items(&state, id).await?;
    let runs = recent_runs(&state, id).await?;
    let body = html! {
        (summary(&state, &config))
        (actions(&op, &config))
        section aria-labelledby="items" {
            h2 id="items" { "Synced items" }
            (items_table(&items))
        }
        section aria-labelledby="runs" {
            h2 id="runs" { "Recent runs" }
            (runs_table(&runs, &HashMap::from([(id, config.name.clone())])))
            p { a href=(format!("/history?config_id={id}")) { "All runs of this config" } }
        }
        @if op.can_write() {
            section aria-labelledby="edit" {
                h2 id="edit" { "Edit" }
                @match &schema {
                    None => p.notice.error { "No installed, enabled connector serves " (config.platform.as_str()) "; it can only be disabled or deleted." },
                    Some(schema) => {
                        form.card method="post" action=(config_url(id)) {
                            (csrf(&op))
                            (config_form::fields(&FormContext { schema, projects: &projects, prefill: Prefill::Config(&config) }))
                            button type="submit" { "Save changes" }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&op, Section::Configs, &config.name, body))
}

async fn edit(
    State(state): State<ConsoleState>,
    Posted { op, id, form }: Posted,
) -> Page<Redirect> {
    let platform = state.api.store.get_config(id).await?.platform;
    let schema = state
        .api
        .catalog
        .config_schema(platform.as_str())
        .unwrap_or_default();
    let result = async {
        let patch = config_form::patch(&form, &schema)?;
        elder_sync_api::update_config(&state.api, id, &patch).await
    }
    .await;
    Ok(match result {
        Ok(written) => op.done(
            &state,
            true,
            written_notice(&state, "saved", &written),
            &config_url(id),
        ),
        Err(e) => op.failed(&state, &e, &config_url(id)),
    })
}

async fn set_enabled(state: &ConsoleState, p: Posted, on: bool) -> Redirect {
    let patch = SyncConfigPatch {
        enabled: Some(on),
        ..SyncConfigPatch::default()
    };
    let url = config_url(p.id);
    match elder_sync_api::update_config(&state.api, p.id, &patch).await {
        Ok(w) => {
            let done = if on { "enabled" } else { "disabled" };
            let text = format!("Config {:?} {done}.", w.config.name);
            p.op.done(state, true, text, &url)
        }
        Err(e) => p.op.failed(state, &e, &url),
    }
}

async fn enable(State(state): State<ConsoleState>, p: Posted) -> Redirect {
    set_enabled(&state, p, true).await
}

async fn disable(State(state): State<ConsoleState>, p: Posted) -> Redirect {
    set_enabled(&state, p, false).await
}

async fn test(State(state): State<ConsoleState>, Posted { op, id, .. }: Posted) -> Redirect {
    let url = config_url(id);
    match test_connection(&state.engine, id).await {
        Ok(Ok(reached)) => op.done(
            &state,
            true,
            format!("Connection works: reached {reached}."),
            &url,
        ),
        Ok(Err(why)) => op.done(&state, false, format!("Connection failed: {why}"), &url),
        Err(e) => op.failed(&state, &engine_error(e), &url),
    }
}

/// A run's result in words.
fn run_words(r: &RunReport) -> String {
    let t = &r.tally;
    let counts = format!(
        "{} synced, {} failed, {} conflicts, {} unchanged",
        t.synced, t.failed, t.conflicts, t.unchanged
    );
    let outcome = match (&r.error, &t.interrupted) {
        (Some(e), _) => format!("Run failed: {e}. "),
        (None, Some(why)) => format!("Run stopped early: {why}. "),
        (None, None) => "Run finished. ".to_string(),
    };
    format!("{outcome}{counts} (correlation id {})", r.correlation_id)
}

async fn run(State(state): State<ConsoleState>, Posted { op, id, .. }: Posted) -> Redirect {
    let url = config_url(id);
    match run_manually(&state.engine, id).await {
        Ok(report) => op.done(&state, report.error.is_none(), run_words(&report), &url),
        Err(e) => op.failed(&state, &engine_error(e), &url),
    }
}

/// One side of a dry run in words: counts per action, with the first titles it would create.
fn side_words(side: &SidePlan) -> String {
    let titles: Vec<&str> = side
        .create
        .items
        .iter()
        .take(3)
        .map(|i| i.title.as_str())
        .collect();
    let named = if titles.is_empty() {
        String::new()
    } else {
        format!(" ({})", titles.join(", "))
    };
    format!(
        "{} to create{named}, {} to update, {} to close, {} conflicts",
        side.create.count, side.update.count, side.close.count, side.conflict.count
    )
}

/// A dry run's answer in words.
fn dry_run_words(d: &DryRun) -> String {
    let mut words = format!(
        "Dry run, nothing was written. In Elder: {}. On the platform: {}. {} unchanged.",
        side_words(&d.elder),
        side_words(&d.platform),
        d.unchanged
    );
    if !d.failed.is_empty() {
        words.push_str(&format!(" {} could not be planned.", d.failed.len()));
    }
    if let Some(why) = &d.interrupted {
        words.push_str(&format!(" A run would stop early: {why}."));
    }
    words
}

async fn dry_run_now(State(state): State<ConsoleState>, Posted { op, id, .. }: Posted) -> Redirect {
    let url = config_url(id);
    match dry_run(&state.engine, id).await {
        Ok(plan) => op.done(&state, plan.failed.is_empty(), dry_run_words(&plan), &url),
        Err(e) => op.failed(&state, &engine_error(e), &url),
    }
}

async fn confirm_delete(
    State(state): State<ConsoleState>,
    Viewing { op, id }: Viewing,
) -> Page<Markup> {
    let config = state.api.store.get_config(id).await?;
    let body = html! {
        div.card {
            p { "Delete the config " strong { (config.name) } " (" (config.platform.as_str()) ") with its mappings, history and conflicts? Items already synced stay in Elder and on the platform. This cannot be undone." }
            @if op.can_write() {
                div.actions {
                    (action(&op, &format!("/configs/{id}/delete"), "Delete for good", "danger"))
                    a.button.secondary href=(config_url(id)) { "Keep it" }
                }
            }
        }
    };
    Ok(layout::page(&op, Section::Configs, "Delete config?", body))
}

async fn delete(State(state): State<ConsoleState>, Posted { op, id, .. }: Posted) -> Redirect {
    match state.api.store.delete_config(id).await {
        Ok(()) => op.done(&state, true, format!("Config {id} deleted."), "/configs"),
        Err(e) => op.failed(&state, &e.into(), &config_url(id)),
    }
}
