//! The operator console (elder-sync-console): server-rendered HTML pages the service serves at
//! `/` on its own port. An operator signs in with an API token (exchanged for an HttpOnly,
//! SameSite=Strict session cookie), watches the dashboard, manages sync configs, settles
//! conflicts, manages plugins and reads the history. Every page and action calls the same
//! store, engine and plugin-host functions the `/api/v1` handlers call; every error they can
//! give is shown in words. Forms carry a per-session CSRF token, and a read-only token's
//! session sees no write buttons and is refused any write.

mod action;
mod chart;
mod failure;
mod form;
mod layout;
mod operator;
mod pages;
mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::routing::{get, post};
use elder_sync_api::ApiState;
use elder_sync_engine::SyncEngine;
use elder_sync_plugins::PluginHost;

pub use session::SESSION_COOKIE;

/// How long a console session lasts after signing in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// What the console's pages reach: the API's state (store, connector catalog, public URL),
/// the sync engine, the plugin host, and the signed-in sessions.
#[derive(Clone)]
pub struct ConsoleState {
    api: ApiState,
    engine: SyncEngine,
    plugins: Arc<PluginHost>,
    sessions: Arc<session::Sessions>,
}

impl ConsoleState {
    pub fn new(api: ApiState, engine: SyncEngine, plugins: Arc<PluginHost>) -> Self {
        Self {
            api,
            engine,
            plugins,
            sessions: Arc::new(session::Sessions::new(SESSION_LIFETIME)),
        }
    }
}

/// The stylesheet every page links to.
const STYLESHEET: &str = include_str!("../static/console.css");

/// Every console route: the pages, their form actions and the stylesheet.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .route("/", get(pages::dashboard::show))
        .route("/console.css", get(stylesheet))
        .route(
            "/sign-in",
            get(pages::sign_in::form).post(pages::sign_in::submit),
        )
        .route("/sign-out", post(pages::sign_in::sign_out))
        .merge(pages::configs::routes())
        .merge(pages::conflicts::routes())
        .merge(pages::plugins::routes())
        .merge(pages::dead_letters::routes())
        .route("/history", get(pages::history::show))
        .with_state(state)
}

async fn stylesheet() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        STYLESHEET,
    )
}
