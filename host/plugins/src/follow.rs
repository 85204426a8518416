//! Following the plugin state other replicas change: with a store attached, a task applies
//! the shared state ([`PluginHost::refresh`]) when PostgreSQL announces a change (`LISTEN`),
//! and every [`REFRESH_EVERY`] in any case (the fallback if a notification is missed, and the
//! only mechanism on SQLite).

use std::sync::Arc;
use std::time::Duration;

use crate::host::PluginHost;

/// How often the shared plugin state is re-read without a notification.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// Keeps the follower running; dropping it stops following.
pub struct FollowGuard {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FollowGuard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts following the shared plugin state (inside a Tokio runtime); `None` when `host`
/// has no store attached.
pub fn follow(host: Arc<PluginHost>) -> Option<FollowGuard> {
    let store = host.store()?.clone();
    let task = tokio::spawn(async move {
        let mut changes = match store.listen_plugin_changes().await {
            Ok(changes) => changes,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for plugin changes; re-reading every {REFRESH_EVERY:?} instead");
                None
            }
        };
        loop {
            if let Err(e) = wait(changes.as_mut()).await {
                tracing::warn!(error = %e, "lost the plugin change notifications; re-reading every {REFRESH_EVERY:?} instead");
                changes = None;
            }
            let host = host.clone();
            match tokio::task::spawn_blocking(move || host.refresh()).await {
                Ok(Ok(applied)) if !applied.is_empty() => {
                    tracing::info!(plugins = ?applied, "applied plugin changes made on another replica");
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "re-reading the shared plugin state failed")
                }
                Err(e) => {
                    tracing::error!(error = %e, "re-reading the shared plugin state panicked")
                }
            }
        }
    });
    Some(FollowGuard { task })
}

/// Waits for a notification (when listening) or [`REFRESH_EVERY`], whichever comes first.
async fn wait(
    changes: Option<&mut elder_sync_store::PluginChanges>,
) -> Result<(), elder_sync_store::StoreError> {
    match changes {
        Some(listener) => tokio::select! {
            woke = listener.next() => woke.map(drop),
            () = tokio::time::sleep(REFRESH_EVERY) => Ok(()),
        },
        None => {
            tokio::time::sleep(REFRESH_EVERY).await;
            Ok(())
        }
    }
}
