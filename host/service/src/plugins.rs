//! Loading connector components from the plugin directory into the registry.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use elder_sync_engine::ConnectorRegistry;
use elder_sync_runtime::Runtime;

/// Loads every `*.wasm` component in `dir`, in name order. A component that fails to load
/// is logged and skipped: one bad build never keeps the others from serving.
pub fn load_dir(runtime: &Runtime, registry: &ConnectorRegistry, dir: &Path) -> Result<usize> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "reading the plugin directory {} (ELDER_PLUGIN_DIR)",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    paths.sort();
    let mut loaded = 0;
    for path in paths {
        match load_one(runtime, &path) {
            Ok(connector) => {
                let info = connector.info();
                tracing::info!(
                    connector = %info.id, version = %info.version, platform = %info.platform,
                    source_hash = %connector.source_hash(), path = %path.display(),
                    "connector loaded"
                );
                registry.install(connector, chrono::Utc::now().timestamp_millis());
                loaded += 1;
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = format!("{e:#}"), "connector failed to load; skipped")
            }
        }
    }
    Ok(loaded)
}

fn load_one(runtime: &Runtime, path: &Path) -> Result<Arc<elder_sync_runtime::LoadedConnector>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(runtime.load(&bytes)?)
}
