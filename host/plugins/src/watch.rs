//! Watching the plugin directory: a change to a `.wasm` or `.toml` file there (after a
//! short quiet period, so a copy in progress is not read half-way) rescans the
//! directory; each changed connector goes through the same validation and approval as
//! an upload, and a refused file leaves the serving version in place.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::error::PluginError;
use crate::host::PluginHost;

/// How long the directory must be quiet before it is rescanned.
const QUIET: Duration = Duration::from_millis(300);

/// Keeps the watcher alive; dropping it stops watching.
pub struct WatchGuard {
    _watcher: RecommendedWatcher,
}

/// Starts watching the host's plugin directory.
pub fn watch(host: Arc<PluginHost>) -> Result<WatchGuard, PluginError> {
    let dir = host.settings().plugin_dir.clone();
    let (tx, rx) = channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| e.paths.iter().any(|p| is_plugin_file(p))) {
            let _ = tx.send(());
        }
    })
    .map_err(|e| {
        PluginError::io(
            "starting the plugin directory watcher",
            std::io::Error::other(e),
        )
    })?;
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| {
            PluginError::io(
                format!("watching {}", dir.display()),
                std::io::Error::other(e),
            )
        })?;
    std::thread::Builder::new()
        .name("plugin-watch".into())
        .spawn(move || rescan_on_change(&host, &rx))
        .map_err(|e| PluginError::io("starting the plugin directory watcher", e))?;
    tracing::info!(dir = %dir.display(), "watching the plugin directory for new connector builds");
    Ok(WatchGuard { _watcher: watcher })
}

fn is_plugin_file(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|x| x == "wasm" || x == "toml")
}

/// Waits for a change, then for quiet, then rescans; ends when the watcher is dropped.
fn rescan_on_change(host: &PluginHost, rx: &Receiver<()>) {
    while rx.recv().is_ok() {
        loop {
            match rx.recv_timeout(QUIET) {
                Ok(()) => continue,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        match host.load_dir() {
            Ok(report) => {
                if !report.installed.is_empty() || !report.pending.is_empty() {
                    tracing::info!(installed = ?report.installed, pending = ?report.pending, "plugin directory changed");
                }
            }
            Err(e) => tracing::error!(error = %e, "rescanning the plugin directory failed"),
        }
    }
}
