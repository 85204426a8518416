//! What the API shows of the plugin host: installed plugins with their serving and
//! previous versions, call counts and draining versions, and versions waiting for
//! approval.

use serde::Serialize;

use super::PluginHost;
use crate::detail::{ConnectorView, PluginDetail};
use crate::manifest::{Limits, ManifestDiff};

/// An installed plugin as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Plugin)]
pub struct PluginView {
    /// The connector id from the manifest, e.g. `github`.
    pub id: String,
    /// The serving version (the connector's semantic version).
    pub version: String,
    /// The platform the connector serves.
    pub platform: String,
    /// False when an operator disabled the plugin: calls to it are refused.
    pub enabled: bool,
    /// SHA-256 of the serving component's bytes, in lowercase hex.
    pub source_hash: String,
    /// When the current version started serving (RFC 3339, UTC).
    pub loaded_at: String,
    /// Calls finished since the service started.
    pub calls: u64,
    /// Of those, calls that ended in a connector error or a trap.
    pub errors: u64,
    /// The hosts the manifest allows it to reach.
    pub hosts: Vec<String>,
    /// The resource limits from the manifest's `[limits]`.
    pub limits: Limits,
    /// The version a rollback returns to.
    pub previous: Option<VersionView>,
    /// Replaced versions whose calls are still running.
    pub draining: usize,
}

/// A version by number and hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PluginVersion)]
pub struct VersionView {
    /// The connector's semantic version.
    pub version: String,
    /// SHA-256 of that version's component bytes, in lowercase hex.
    pub source_hash: String,
}

/// A version waiting for an operator's approval (it asks for new hosts or changes its
/// security surface).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PendingPlugin)]
pub struct PendingView {
    /// The connector id.
    pub id: String,
    /// The uploaded version's number.
    pub version: String,
    /// SHA-256 of the uploaded component's bytes, in lowercase hex.
    pub source_hash: String,
    /// What it changes against the serving version, which is why it needs approval.
    pub diff: ManifestDiff,
}

impl PluginHost {
    /// Every installed plugin.
    pub fn list(&self) -> Vec<PluginView> {
        let ids: Vec<String> = self.lock_state().plugins.keys().cloned().collect();
        ids.iter().filter_map(|id| self.view(id)).collect()
    }

    /// Every version waiting for approval.
    pub fn pending(&self) -> Vec<PendingView> {
        let state = self.lock_state();
        state
            .pending
            .values()
            .map(|p| PendingView {
                id: p.manifest.id.clone(),
                version: p.manifest.version.clone(),
                source_hash: p.source_hash.clone(),
                diff: p.diff.clone(),
            })
            .collect()
    }

    /// One plugin, if installed.
    pub fn view(&self, id: &str) -> Option<PluginView> {
        let state = self.lock_state();
        let record = state.plugins.get(id)?;
        let slot = self.registry.slot(&record.platform);
        let counts = self.stats.counts(id);
        let manifest = &record.current.manifest;
        let loaded_at_ms = slot.as_ref().map_or(0, |s| s.loaded_at_ms);
        Some(PluginView {
            id: id.to_string(),
            version: manifest.version.clone(),
            platform: record.platform.clone(),
            enabled: slot.as_ref().is_some_and(|s| s.enabled),
            source_hash: record.current.source_hash.clone(),
            loaded_at: chrono::DateTime::from_timestamp_millis(loaded_at_ms)
                .unwrap_or_default()
                .to_rfc3339(),
            calls: counts.calls,
            errors: counts.errors,
            hosts: manifest.hosts.clone(),
            limits: manifest.limits.clone(),
            previous: record.previous.as_ref().map(|p| VersionView {
                version: p.manifest.version.clone(),
                source_hash: p.source_hash.clone(),
            }),
            draining: self.draining.count(id),
        })
    }

    /// One plugin with what its serving connector declares, if installed.
    pub fn detail(&self, id: &str) -> Option<PluginDetail> {
        let plugin = self.view(id)?;
        let slot = self.registry.slot(&plugin.platform)?;
        Some(PluginDetail {
            connector: ConnectorView::of(slot.current.info()),
            plugin,
        })
    }
}
