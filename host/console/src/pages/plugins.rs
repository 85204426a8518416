//! Plugins: every installed connector with its version, source hash, calls and errors and
//! the version a rollback returns to; enable, disable and rollback; the versions waiting
//! for approval with the manifest diff that needs it, and approve; uploading a new version
//! (a multipart form with the manifest and the component). Every action goes through the
//! plugin host's functions the API's handlers use.

use std::convert::Infallible;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Redirect;
use axum::routing::{get, post};
use elder_sync_http::ApiError;
use elder_sync_plugins::api::{install_upload, lifecycle_action};
use elder_sync_plugins::{InstallOutcome, Manifest, PendingView, PluginView};
use maud::{Markup, html};

use crate::ConsoleState;
use crate::failure::{Failure, Page};
use crate::form::FormData;
use crate::layout::{self, Section, action, csrf};
use crate::operator::{CSRF_FIELD, Operator};

/// The routes of this section.
pub fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/plugins", get(list).post(upload))
        .route("/plugins/{id}/{action}", post(act))
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn plugin_row(op: &Operator, p: &PluginView) -> Markup {
    let url = |a: &str| format!("/plugins/{}/{a}", p.id);
    html! {
        tr {
            th scope="row" { (p.id) }
            td { (p.platform) }
            td { (p.version) }
            td { code title=(p.source_hash) { (short(&p.source_hash)) } }
            td { @if p.enabled { span.badge.ok { "enabled" } } @else { span.badge.bad { "disabled" } } }
            td { (p.calls) } td { (p.errors) }
            td { @match &p.previous {
                Some(v) => { (v.version) " " code title=(v.source_hash) { (short(&v.source_hash)) } },
                None => span.muted { "none" },
            } }
            @if op.can_write() {
                td { div.actions {
                    @if p.enabled { (action(op, &url("disable"), "Disable", "secondary")) }
                    @else { (action(op, &url("enable"), "Enable", "secondary")) }
                    @if p.previous.is_some() { (action(op, &url("rollback"), "Roll back", "secondary")) }
                } }
            }
        }
    }
}

fn pending_card(op: &Operator, p: &PendingView) -> Markup {
    let d = &p.diff;
    html! {
        article.card {
            h3 { (p.id) " " (p.version) " waits for approval" }
            p { "Source hash " code { (p.source_hash) } }
            @if !d.added_hosts.is_empty() { p { "New hosts: " @for h in &d.added_hosts { code { (h) } " " } } }
            @if !d.removed_hosts.is_empty() { p { "Hosts no longer asked for: " @for h in &d.removed_hosts { code { (h) } " " } } }
            @if !d.surface.is_empty() {
                p { "Security-surface changes:" }
                ul { @for s in &d.surface { li { (s) } } }
            }
            pre.diff aria-label="Manifest diff" { @for l in &d.lines {
                @if l.starts_with('+') { ins { (l) } } @else if l.starts_with('-') { del { (l) } } @else { (l) }
                "\n"
            } }
            (action(op, &format!("/plugins/{}/approve", p.id), "Approve and swap in", ""))
        }
    }
}

async fn list(State(state): State<ConsoleState>, op: Operator) -> Page<Markup> {
    let plugins = state.plugins.list();
    let pending = state.plugins.pending();
    let body = html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { "Plugin" } th scope="col" { "Platform" } th scope="col" { "Version" }
                th scope="col" { "Source hash" } th scope="col" { "State" } th scope="col" { "Calls" }
                th scope="col" { "Errors" } th scope="col" { "Previous" }
                @if op.can_write() { th scope="col" { "Actions" } }
            } }
            tbody { @for p in &plugins { (plugin_row(&op, p)) } }
        } }
        @if plugins.is_empty() { p { "No plugins installed." } }
        section aria-labelledby="pending" {
            h2 id="pending" { "Waiting for approval" }
            @if pending.is_empty() { p { "Nothing waits for approval." } }
            @for p in &pending { (pending_card(&op, p)) }
        }
        @if op.can_write() {
            section aria-labelledby="upload" {
                h2 id="upload" { "Upload a version" }
                form.card method="post" action="/plugins" enctype="multipart/form-data" {
                    (csrf(&op))
                    div.field {
                        label for="manifest" { "Manifest (plugin.toml)" }
                        input id="manifest" name="manifest" type="file" accept=".toml" required;
                    }
                    div.field {
                        label for="component" { "Component (.wasm)" }
                        input id="component" name="component" type="file" accept=".wasm" required;
                    }
                    button type="submit" { "Upload" }
                }
            }
        }
    };
    Ok(layout::page(&op, Section::Plugins, "Plugins", body))
}

async fn act(
    State(state): State<ConsoleState>,
    op: Operator,
    Path((id, verb)): Path<(String, String)>,
    body: Bytes,
) -> Page<Redirect> {
    op.authorize(&FormData::parse(&body))?;
    let host = state.plugins.clone();
    let plugin = id.clone();
    let caller = op.caller();
    let result = match verb.as_str() {
        "enable" => {
            lifecycle_action(&caller, "enable", move || host.set_enabled(&plugin, true)).await
        }
        "disable" => {
            lifecycle_action(&caller, "disable", move || host.set_enabled(&plugin, false)).await
        }
        "rollback" => lifecycle_action(&caller, "rollback", move || host.rollback(&plugin)).await,
        "approve" => lifecycle_action(&caller, "approve", move || host.approve(&plugin)).await,
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "route_not_found",
            format!("unknown plugin action {verb:?}: use enable, disable, rollback or approve"),
        )),
    };
    let past = match verb.as_str() {
        "rollback" => "rolled back".to_string(),
        v => format!("{v}d"),
    };
    Ok(match result {
        Ok(p) => op.done(
            &state,
            true,
            format!(
                "Plugin {} {past}: version {} is {}.",
                p.id,
                p.version,
                if p.enabled { "serving" } else { "disabled" }
            ),
            "/plugins",
        ),
        Err(e) => op.failed(&state, &e, "/plugins"),
    })
}

/// The fields of a multipart upload: the CSRF token, the manifest text, the component.
#[derive(Default)]
struct UploadForm {
    csrf: String,
    manifest: Option<String>,
    component: Option<Vec<u8>>,
}

async fn read_upload(headers: &HeaderMap, body: Bytes) -> Result<UploadForm, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", m);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| bad(format!("the upload must be a multipart form: {e}")))?;
    let stream = futures::stream::once(async move { Ok::<_, Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = UploadForm::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("the upload could not be read: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad(format!("the upload could not be read: {e}")))?;
        match name.as_str() {
            CSRF_FIELD => form.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "manifest" => {
                form.manifest = Some(String::from_utf8(bytes.to_vec()).map_err(|_| {
                    ApiError::validation("manifest", "the manifest must be UTF-8 text")
                })?)
            }
            "component" => form.component = Some(bytes.to_vec()),
            _ => {}
        }
    }
    Ok(form)
}

async fn upload(
    State(state): State<ConsoleState>,
    op: Operator,
    headers: HeaderMap,
    body: Bytes,
) -> Page<Redirect> {
    let form = match read_upload(&headers, body).await {
        Ok(f) => f,
        Err(e) => return Err(Failure::Api(e)),
    };
    let token = format!("{CSRF_FIELD}={}", form.csrf);
    op.authorize(&FormData::parse(&Bytes::from(token)))?;
    let result = async {
        let manifest = form
            .manifest
            .ok_or_else(|| ApiError::validation("manifest", "choose the manifest file"))?;
        let component = form
            .component
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ApiError::validation("component", "choose the component file"))?;
        let manifest = Manifest::parse(&manifest)?;
        install_upload(state.plugins.clone(), manifest, component, op.caller()).await
    }
    .await;
    Ok(match result {
        Ok(InstallOutcome::Installed(p)) => op.done(
            &state,
            true,
            format!("Plugin {} {} installed and serving.", p.id, p.version),
            "/plugins",
        ),
        Ok(InstallOutcome::Unchanged(p)) => op.done(
            &state,
            true,
            format!(
                "Plugin {} {} was already serving; nothing changed.",
                p.id, p.version
            ),
            "/plugins",
        ),
        Ok(InstallOutcome::Pending(p)) => op.done(
            &state,
            true,
            format!(
                "Plugin {} {} waits for approval: see its manifest diff below.",
                p.id, p.version
            ),
            "/plugins",
        ),
        Err(e) => op.failed(&state, &e, "/plugins"),
    })
}
