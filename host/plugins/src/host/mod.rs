//! [`PluginHost`]: the connector lifecycle. Installs validated versions into the
//! engine's [`ConnectorRegistry`] (an atomic swap; running calls finish on the old
//! version, which is then drained), holds versions that ask for new hosts or change the
//! security surface ([`Surface`]) until an operator approves them, keeps every key an
//! approved version declared secret withheld from later versions, enables, disables and
//! rolls back, loads the plugin directory, and remembers approvals (manifest and surface)
//! and disabled plugins across restarts: in the database when a store is attached (shared by
//! every replica, see `shared`), otherwise in its state directory.

mod admission;
mod directory;
mod shared;
mod state_dir;
mod views;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use elder_sync_model::now_ms;
use elder_sync_runtime::ConnectorRegistry;
use elder_sync_runtime::{LoadedConnector, Runtime};

use crate::cache::{CacheStats, CodeCache, sha256_hex};
use crate::contract;
use crate::drain::Draining;
use crate::error::PluginError;
use crate::manifest::{Manifest, ManifestDiff};
use crate::settings::PluginSettings;
use crate::stats::PluginStats;
use crate::surface::Surface;

pub(crate) use admission::check_describe;
use admission::derived_manifest;
pub use directory::DirReport;
use shared::Shared;
use state_dir::StateDir;
pub use views::{PendingView, PluginView, VersionView};

/// Where a version came from: the plugin directory, or an upload (written to the
/// directory once installed, so a restart serves it too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Found in the plugin directory at start-up or on a rescan.
    Directory,
    /// Uploaded through `POST /api/v1/plugins`.
    Upload,
}

/// One installed version: its bytes (written to the plugin directory on a rollback) and
/// the loaded connector (what the registry serves while it is current).
#[derive(Clone)]
struct Installed {
    manifest: Manifest,
    /// The surface `describe` declares (once approved, with `ever_secret` accumulated).
    surface: Surface,
    source_hash: String,
    component: Arc<Vec<u8>>,
    connector: Arc<LoadedConnector>,
}

/// A plugin's versions. The plugin host is the one owner of "which version is current,
/// which one a rollback returns to"; the registry only serves the current one.
struct Record {
    platform: String,
    current: Installed,
    previous: Option<Installed>,
}

/// A version waiting for approval; `loaded` when this replica holds its code (one held on
/// another replica is loaded from the database when approved here).
#[derive(Clone)]
struct Pending {
    manifest: Manifest,
    source_hash: String,
    diff: ManifestDiff,
    origin: Origin,
    loaded: Option<Installed>,
}

#[derive(Default)]
struct State {
    plugins: BTreeMap<String, Record>,
    pending: BTreeMap<String, Pending>,
}

/// What an install did.
#[derive(Debug, Clone)]
pub enum InstallOutcome {
    /// The version is serving.
    Installed(PluginView),
    /// That exact version and manifest were already serving.
    Unchanged(PluginView),
    /// The version asks for new hosts and waits for approval.
    Pending(PendingView),
}

/// The connector lifecycle manager.
pub struct PluginHost {
    runtime: Runtime,
    registry: Arc<ConnectorRegistry>,
    cache: CodeCache,
    stats: Arc<PluginStats>,
    settings: PluginSettings,
    state_dir: StateDir,
    state: Mutex<State>,
    /// Serialises installs, swaps and directory scans (and the files they write).
    lifecycle: Mutex<()>,
    draining: Arc<Draining>,
    /// The database every replica shares, when attached.
    shared: Option<Shared>,
}

impl PluginHost {
    /// A host over `registry`; `stats` must be the observer `runtime` reports to.
    pub fn new(
        runtime: Runtime,
        registry: Arc<ConnectorRegistry>,
        stats: Arc<PluginStats>,
        settings: PluginSettings,
    ) -> Arc<PluginHost> {
        Self::build(runtime, registry, stats, settings, None)
    }

    /// A host whose plugin state lives in `store`'s database, shared with every replica on
    /// it: call [`PluginHost::refresh`] before [`PluginHost::load_dir`] at start, and keep
    /// [`crate::follow`] running. Must be called inside a Tokio runtime; lifecycle calls must
    /// then run on blocking threads (`spawn_blocking`).
    pub fn with_store(
        runtime: Runtime,
        registry: Arc<ConnectorRegistry>,
        stats: Arc<PluginStats>,
        settings: PluginSettings,
        store: elder_sync_store::Store,
    ) -> Arc<PluginHost> {
        let shared = Shared::new(store, tokio::runtime::Handle::current());
        Self::build(runtime, registry, stats, settings, Some(shared))
    }

    fn build(
        runtime: Runtime,
        registry: Arc<ConnectorRegistry>,
        stats: Arc<PluginStats>,
        settings: PluginSettings,
        shared: Option<Shared>,
    ) -> Arc<PluginHost> {
        Arc::new(PluginHost {
            runtime,
            registry,
            cache: CodeCache::new(settings.cache_dir.clone()),
            stats,
            state_dir: StateDir::new(settings.state_dir.clone()),
            settings,
            state: Mutex::default(),
            lifecycle: Mutex::default(),
            draining: Arc::default(),
            shared,
        })
    }

    /// The shared store, when one is attached.
    pub fn store(&self) -> Option<&elder_sync_store::Store> {
        self.shared.as_ref().map(|s| &s.store)
    }

    /// The settings.
    pub fn settings(&self) -> &PluginSettings {
        &self.settings
    }

    /// What the compiled-code cache did so far.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// The registry the host installs into.
    pub fn registry(&self) -> &Arc<ConnectorRegistry> {
        &self.registry
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("plugin state poisoned")
    }

    fn lock_lifecycle(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lifecycle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Validates a component against its manifest and swaps it in (or holds it for
    /// approval). A refused version leaves the serving one untouched.
    pub fn install(
        &self,
        component: Vec<u8>,
        manifest: Manifest,
        origin: Origin,
    ) -> Result<InstallOutcome, PluginError> {
        let _lifecycle = self.lock_lifecycle();
        self.refresh_locked()?;
        self.install_locked(component, Some(manifest), origin)
    }

    fn install_locked(
        &self,
        component: Vec<u8>,
        manifest: Option<Manifest>,
        origin: Origin,
    ) -> Result<InstallOutcome, PluginError> {
        contract::check_compatible(contract::component_version(&component)?)?;
        let source_hash = sha256_hex(&component);
        if let Some(view) = self.unchanged(&source_hash, manifest.as_ref()) {
            return Ok(InstallOutcome::Unchanged(view));
        }
        let (connector, manifest) = self.load_checked(&component, manifest)?;
        let version = Installed {
            manifest,
            surface: Surface::of(connector.info()),
            source_hash,
            component: Arc::new(component),
            connector,
        };
        if let Some(diff) = self.approval_needed(&version) {
            return self.hold(version, diff, origin);
        }
        self.swap(version, origin)
    }

    /// The plugin already serving exactly these bytes under this manifest (any manifest
    /// when none is given: a directory file without one).
    fn unchanged(&self, source_hash: &str, manifest: Option<&Manifest>) -> Option<PluginView> {
        let id = {
            let state = self.lock_state();
            state
                .plugins
                .iter()
                .find(|(id, r)| {
                    r.current.source_hash == source_hash
                        && manifest.is_none_or(|m| m.id == **id && r.current.manifest == *m)
                })
                .map(|(id, _)| id.clone())
        }?;
        self.view(&id)
    }

    /// Loads through the cache with the manifest's limits and checks `describe` against
    /// the manifest (derived from `describe` when there is none) and the slot.
    fn load_checked(
        &self,
        component: &[u8],
        manifest: Option<Manifest>,
    ) -> Result<(Arc<LoadedConnector>, Manifest), PluginError> {
        let runtime = match &manifest {
            Some(m) => self.runtime_for(m),
            None => self.runtime.clone(),
        };
        let connector = self.cache.load(&runtime, component)?;
        let manifest = match manifest {
            Some(m) => m,
            None => derived_manifest(connector.info()),
        };
        check_describe(&manifest, connector.info())?;
        self.check_platform(&manifest.id, &connector.info().platform)?;
        Ok((connector, manifest))
    }

    fn runtime_for(&self, manifest: &Manifest) -> Runtime {
        let host = self.runtime.settings();
        self.runtime.with_limits(
            manifest.call_deadline().unwrap_or(host.call_deadline),
            manifest
                .memory_limit_bytes()
                .unwrap_or(host.memory_limit_bytes),
        )
    }

    fn check_platform(&self, id: &str, platform: &str) -> Result<(), PluginError> {
        let state = self.lock_state();
        if let Some(record) = state.plugins.get(id)
            && record.platform != platform
        {
            return Err(PluginError::Platform(format!(
                "plugin {id} serves platform {}, but the new build reports platform {platform}",
                record.platform
            )));
        }
        if let Some((other, _)) = state
            .plugins
            .iter()
            .find(|(other, r)| other.as_str() != id && r.platform == platform)
        {
            return Err(PluginError::Platform(format!(
                "platform {platform} is already served by plugin {other}"
            )));
        }
        Ok(())
    }

    /// The diff to show when `version` asks for hosts the approved one did not, or
    /// changes the security surface.
    fn approval_needed(&self, version: &Installed) -> Option<ManifestDiff> {
        if self.settings.auto_approve {
            return None;
        }
        let id = &version.manifest.id;
        let serving = {
            let state = self.lock_state();
            state
                .plugins
                .get(id)
                .map(|r| (r.current.manifest.clone(), Some(r.current.surface.clone())))
        };
        let (approved, surface) = serving.or_else(|| {
            let (manifest, surface) = self.recorded_approval(id);
            Some((manifest?, surface))
        })?;
        let changes = surface.map_or_else(Vec::new, |s| Surface::changes(&s, &version.surface));
        let diff = ManifestDiff::between(&approved, &version.manifest).with_surface(changes);
        diff.needs_approval().then_some(diff)
    }

    /// The approved surface before `id`'s next version: the serving one's, or the one
    /// recorded in the state directory.
    fn approved_surface(&self, id: &str) -> Option<Surface> {
        let serving = {
            let state = self.lock_state();
            state.plugins.get(id).map(|r| r.current.surface.clone())
        };
        serving.or_else(|| self.recorded_approval(id).1)
    }

    /// The manifest and surface last approved for `id` when nothing serves it here: from the
    /// database when one is attached and knows `id`, otherwise from the state directory.
    fn recorded_approval(&self, id: &str) -> (Option<Manifest>, Option<Surface>) {
        match self.shared_approval(id) {
            Some((manifest, surface, _)) => (manifest, surface),
            None => (
                self.state_dir.approved_manifest(id),
                self.state_dir.approved_surface(id),
            ),
        }
    }

    /// True when an operator disabled `id` (database first, then the state directory).
    fn recorded_disabled(&self, id: &str) -> bool {
        match self.shared_approval(id) {
            Some((_, _, disabled)) => disabled,
            None => self.state_dir.is_disabled(id),
        }
    }

    fn hold(
        &self,
        version: Installed,
        diff: ManifestDiff,
        origin: Origin,
    ) -> Result<InstallOutcome, PluginError> {
        let view = PendingView {
            id: version.manifest.id.clone(),
            version: version.manifest.version.clone(),
            source_hash: version.source_hash.clone(),
            diff: diff.clone(),
        };
        tracing::warn!(plugin = %view.id, version = %view.version, added_hosts = ?diff.added_hosts,
            surface = ?diff.surface,
            "new connector version asks for new hosts or changes its security surface; waiting for approval (POST /api/v1/plugins/{}/approve)", view.id);
        self.lock_state().pending.insert(
            view.id.clone(),
            Pending {
                manifest: version.manifest.clone(),
                source_hash: version.source_hash.clone(),
                diff,
                origin,
                loaded: Some(version),
            },
        );
        self.publish(&view.id)?;
        Ok(InstallOutcome::Pending(view))
    }

    /// Swaps a pending version in.
    pub fn approve(&self, id: &str) -> Result<PluginView, PluginError> {
        let _lifecycle = self.lock_lifecycle();
        self.refresh_locked()?;
        let pending = self
            .lock_state()
            .pending
            .get(id)
            .cloned()
            .ok_or_else(|| PluginError::NothingPending(id.to_string()))?;
        let version = match pending.loaded {
            Some(version) => version,
            None => self.load_stored(&pending.source_hash, pending.manifest)?,
        };
        self.lock_state().pending.remove(id);
        match self.swap(version, pending.origin)? {
            InstallOutcome::Installed(view) | InstallOutcome::Unchanged(view) => Ok(view),
            InstallOutcome::Pending(_) => Err(PluginError::NothingPending(id.to_string())),
        }
    }

    /// The atomic switch: new calls go to the new version, the one it replaces becomes
    /// the rollback target, and the version that leaves the rollback slot drains.
    fn swap(&self, mut version: Installed, origin: Origin) -> Result<InstallOutcome, PluginError> {
        let id = version.manifest.id.clone();
        version.surface = version
            .surface
            .clone()
            .approved_after(self.approved_surface(&id).as_ref());
        let connector = version.connector.clone();
        connector.withhold_keys(version.surface.ever_secret.iter().cloned());
        let platform = connector.info().platform.clone();
        if origin == Origin::Upload {
            self.write_to_dir(&version)?;
        }
        let first = !self.lock_state().plugins.contains_key(&id);
        self.registry.install(connector, now_ms());
        if first && self.recorded_disabled(&id) {
            // Install disabled: the operator turned this plugin off before a restart.
            self.registry.set_enabled(&platform, false)?;
        }
        if self.shared.is_none() {
            self.state_dir
                .record_approval(&version.manifest, &version.surface);
        }
        let retired = {
            let mut state = self.lock_state();
            state.pending.remove(&id);
            let (previous, retired) = match state.plugins.remove(&id) {
                Some(old) => (Some(old.current), old.previous),
                None => (None, None),
            };
            state.plugins.insert(
                id.clone(),
                Record {
                    platform,
                    current: version.clone(),
                    previous,
                },
            );
            retired
        };
        if let Some(retired) = retired {
            self.draining
                .drain(retired.connector, self.settings.drain_deadline);
        }
        self.publish(&id)?;
        tracing::info!(plugin = %id, version = %version.manifest.version, source_hash = %version.source_hash, "connector version serving");
        self.view(&id)
            .map(InstallOutcome::Installed)
            .ok_or(PluginError::NotFound(id))
    }

    /// Enables or disables a plugin (remembered across restarts). Disabled, its configs
    /// pause (their webhooks are accepted and held until enabled); mappings are untouched.
    pub fn set_enabled(&self, id: &str, enabled: bool) -> Result<PluginView, PluginError> {
        let _lifecycle = self.lock_lifecycle();
        self.refresh_locked()?;
        let platform = self.platform_of(id)?;
        self.registry.set_enabled(&platform, enabled)?;
        if self.shared.is_some() {
            self.publish(id)?;
        } else {
            self.state_dir.mark_disabled(id, !enabled)?;
        }
        tracing::info!(plugin = %id, enabled, "connector {}", if enabled { "enabled" } else { "disabled" });
        self.view(id)
            .ok_or_else(|| PluginError::NotFound(id.into()))
    }

    /// Swaps back to the previous version (which becomes the rollback target itself).
    pub fn rollback(&self, id: &str) -> Result<PluginView, PluginError> {
        let _lifecycle = self.lock_lifecycle();
        self.refresh_locked()?;
        let mut back = {
            let state = self.lock_state();
            let record = state
                .plugins
                .get(id)
                .ok_or_else(|| PluginError::NotFound(id.into()))?;
            record.previous.clone()
        }
        .ok_or_else(|| PluginError::NoPrevious(id.into()))?;
        back.surface = back
            .surface
            .clone()
            .approved_after(self.approved_surface(id).as_ref());
        back.connector
            .withhold_keys(back.surface.ever_secret.iter().cloned());
        self.registry.install(back.connector.clone(), now_ms());
        {
            let mut state = self.lock_state();
            if let Some(r) = state.plugins.get_mut(id) {
                let current = std::mem::replace(&mut r.current, back.clone());
                r.previous = Some(current);
            }
        }
        if self.shared.is_some() {
            self.publish(id)?;
        } else {
            self.state_dir
                .record_approval(&back.manifest, &back.surface);
        }
        if let Err(e) = self.write_to_dir(&back) {
            tracing::warn!(plugin = %id, error = %e, "rolled back, but the plugin directory still holds the newer version");
        }
        tracing::info!(plugin = %id, version = %back.manifest.version, "connector rolled back");
        self.view(id)
            .ok_or_else(|| PluginError::NotFound(id.into()))
    }

    fn platform_of(&self, id: &str) -> Result<String, PluginError> {
        let state = self.lock_state();
        state
            .plugins
            .get(id)
            .map(|r| r.platform.clone())
            .ok_or_else(|| PluginError::NotFound(id.into()))
    }
}
