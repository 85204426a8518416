//! Starting the connector lifecycle: the plugin host over the engine's registry, loading
//! the plugin directory (each component with its manifest), and watching it when
//! `ELDER_PLUGIN_WATCH` is on.

use std::sync::Arc;

use anyhow::{Context, Result};
use elder_sync_engine::ConnectorRegistry;
use elder_sync_plugins::watch::{WatchGuard, watch};
use elder_sync_plugins::{PluginHost, PluginSettings, PluginStats};
use elder_sync_runtime::Runtime;

use crate::settings::Settings;

/// The running plugin host; watching stops when this is dropped.
pub struct Plugins {
    pub host: Arc<PluginHost>,
    _watch: Option<WatchGuard>,
}

/// Builds the plugin host and loads every connector of the plugin directory. One bad
/// component is logged and skipped: it never keeps the others from serving.
pub async fn start(
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
    let host = PluginHost::new(runtime, registry, stats, plugin_settings);
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
        loaded = ?report.installed, failed = report.failed.len(), pending = ?report.pending,
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
        host,
        _watch: watch,
    })
}
