//! Starting the connector lifecycle: the plugin host over the engine's registry with its
//! state in the database (shared by every replica on it), serving what the database records,
//! then seeding it from the plugin directory (each component with its manifest), following
//! changes other replicas make, and watching the directory when `ELDER_PLUGIN_WATCH` is on.

use std::sync::Arc;

use anyhow::{Context, Result};
use elder_sync_engine::ConnectorRegistry;
use elder_sync_plugins::follow::{FollowGuard, follow};
use elder_sync_plugins::watch::{WatchGuard, watch};
use elder_sync_plugins::{PluginHost, PluginSettings, PluginStats};
use elder_sync_runtime::Runtime;
use elder_sync_store::Store;

use crate::settings::Settings;

/// The running plugin host; following and watching stop when this is dropped.
pub struct Plugins {
    pub host: Arc<PluginHost>,
    _watch: Option<WatchGuard>,
    _follow: Option<FollowGuard>,
}

/// Builds the plugin host, serves the versions the database records, and loads every
/// connector of the plugin directory the fleet has not seen. One bad component is logged and
/// skipped: it never keeps the others from serving.
pub async fn start(
    store: &Store,
    runtime: Runtime,
    registry: Arc<ConnectorRegistry>,
    stats: Arc<PluginStats>,
    settings: &Settings,
) -> Result<Plugins> {
    let plugin_settings =
        PluginSettings::from_lookup(&settings.plugin_dir, &settings.data_dir, |k| {
            std::env::var(k).ok()
        })
        .map_err(anyhow::Error::msg)?;
    let host = PluginHost::with_store(runtime, registry, stats, plugin_settings, store.clone());
    let loader = host.clone();
    let shared = tokio::task::spawn_blocking(move || loader.refresh())
        .await?
        .context("loading the connectors the database records")?;
    let loader = host.clone();
    let report = tokio::task::spawn_blocking(move || loader.load_dir())
        .await?
        .with_context(|| {
            format!(
                "loading connectors (ELDER_PLUGIN_DIR={})",
                settings.plugin_dir.display()
            )
        })?;
    let cache = host.cache_stats();
    tracing::info!(
        from_database = ?shared, loaded = ?report.installed, failed = report.failed.len(), pending = ?report.pending,
        compiled = cache.compiles, from_cache = cache.hits,
        dir = %settings.plugin_dir.display(), "connectors loaded"
    );
    let watch = if host.settings().watch {
        match watch(host.clone()) {
            Ok(guard) => Some(guard),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the plugin directory; changes need an upload or a restart");
                None
            }
        }
    } else {
        None
    };
    Ok(Plugins {
        _follow: follow(host.clone()),
        host,
        _watch: watch,
    })
}
