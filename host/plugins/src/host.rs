//! [`PluginHost`]: the connector lifecycle. Installs validated versions into the
//! engine's [`ConnectorRegistry`] (an atomic swap; running calls finish on the old
//! version, which is then drained), holds versions that ask for new hosts or change the
//! security surface ([`Surface`]) until an operator approves them, keeps every key an
//! approved version declared secret withheld from later versions, enables, disables and
//! rolls back, loads the plugin directory, and remembers approvals (manifest and surface)
//! and disabled plugins across restarts in its state directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use elder_sync_model::ConnectorInfo;
use elder_sync_model::now_ms;
use elder_sync_runtime::ConnectorRegistry;
use elder_sync_runtime::{LoadedConnector, Runtime};
use serde::Serialize;

use crate::cache::{CacheStats, CodeCache, sha256_hex, write_atomically};
use crate::contract;
use crate::detail::{ConnectorView, PluginDetail};
use crate::drain::Draining;
use crate::error::PluginError;
use crate::manifest::{Limits, Manifest, ManifestDiff};
use crate::settings::PluginSettings;
use crate::stats::PluginStats;
use crate::surface::Surface;

/// Where a version came from: the plugin directory, or an upload (written to the
/// directory once installed, so a restart serves it too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Directory,
    Upload,
}

/// One installed version.
#[derive(Clone)]
struct Installed {
    manifest: Manifest,
    /// The surface `describe` declares (once approved, with `ever_secret` accumulated).
    surface: Surface,
    source_hash: String,
    component: Arc<Vec<u8>>,
}

struct Record {
    platform: String,
    current: Installed,
    previous: Option<Installed>,
}

struct Pending {
    version: Installed,
    connector: Arc<LoadedConnector>,
    diff: ManifestDiff,
    origin: Origin,
}

#[derive(Default)]
struct State {
    plugins: BTreeMap<String, Record>,
    pending: BTreeMap<String, Pending>,
}

/// An installed plugin as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Plugin)]
pub struct PluginView {
    pub id: String,
    pub version: String,
    pub platform: String,
    pub enabled: bool,
    pub source_hash: String,
    /// When the current version started serving (RFC 3339, UTC).
    pub loaded_at: String,
    pub calls: u64,
    pub errors: u64,
    pub hosts: Vec<String>,
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
    pub version: String,
    pub source_hash: String,
}

/// A version waiting for an operator's approval (it asks for new hosts or changes its
/// security surface).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PendingPlugin)]
pub struct PendingView {
    pub id: String,
    pub version: String,
    pub source_hash: String,
    pub diff: ManifestDiff,
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

/// What loading the plugin directory did.
#[derive(Debug, Default)]
pub struct DirReport {
    /// Plugin ids installed or swapped.
    pub installed: Vec<String>,
    /// Files refused, with why.
    pub failed: Vec<(PathBuf, String)>,
    /// Plugin ids waiting for approval.
    pub pending: Vec<String>,
}

/// The connector lifecycle manager.
pub struct PluginHost {
    runtime: Runtime,
    registry: Arc<ConnectorRegistry>,
    cache: CodeCache,
    stats: Arc<PluginStats>,
    settings: PluginSettings,
    state: Mutex<State>,
    /// Serialises installs, swaps and directory scans (and the files they write).
    lifecycle: Mutex<()>,
    draining: Arc<Draining>,
}

impl PluginHost {
    /// A host over `registry`; `stats` must be the observer `runtime` reports to.
    pub fn new(
        runtime: Runtime,
        registry: Arc<ConnectorRegistry>,
        stats: Arc<PluginStats>,
        settings: PluginSettings,
    ) -> Arc<PluginHost> {
        Arc::new(PluginHost {
            runtime,
            registry,
            cache: CodeCache::new(settings.cache_dir.clone()),
            stats,
            settings,
            state: Mutex::default(),
            lifecycle: Mutex::default(),
            draining: Arc::default(),
        })
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
        };
        if let Some(diff) = self.approval_needed(&version) {
            return Ok(self.hold(version, connector, diff, origin));
        }
        self.swap(version, connector, origin)
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
        let host = self.runtime.config();
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
        let (approved, surface) =
            serving.or_else(|| Some((self.stored_approval(id)?, self.stored_surface(id))))?;
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
        serving.or_else(|| self.stored_surface(id))
    }

    fn hold(
        &self,
        version: Installed,
        connector: Arc<LoadedConnector>,
        diff: ManifestDiff,
        origin: Origin,
    ) -> InstallOutcome {
        let view = PendingView {
            id: version.manifest.id.clone(),
            version: version.manifest.version.clone(),
            source_hash: version.source_hash.clone(),
            diff: diff.clone(),
        };
        tracing::warn!(plugin = %view.id, version = %view.version, added_hosts = ?diff.added_hosts,
            surface = ?diff.surface,
            "new connector version asks for new hosts or changes its security surface; waiting for approval (POST /api/v1/plugins/{}/approve)", view.id);
        let mut state = self.lock_state();
        state.pending.insert(
            view.id.clone(),
            Pending {
                version,
                connector,
                diff,
                origin,
            },
        );
        InstallOutcome::Pending(view)
    }

    /// Swaps a pending version in.
    pub fn approve(&self, id: &str) -> Result<PluginView, PluginError> {
        let _lifecycle = self.lock_lifecycle();
        let pending = self
            .lock_state()
            .pending
            .remove(id)
            .ok_or_else(|| PluginError::NothingPending(id.to_string()))?;
        match self.swap(pending.version, pending.connector, pending.origin)? {
            InstallOutcome::Installed(view) | InstallOutcome::Unchanged(view) => Ok(view),
            InstallOutcome::Pending(_) => Err(PluginError::NothingPending(id.to_string())),
        }
    }

    /// The atomic switch: new calls go to `connector`; the version that leaves the
    /// rollback slot drains.
    fn swap(
        &self,
        mut version: Installed,
        connector: Arc<LoadedConnector>,
        origin: Origin,
    ) -> Result<InstallOutcome, PluginError> {
        let id = version.manifest.id.clone();
        version.surface = version
            .surface
            .clone()
            .approved_after(self.approved_surface(&id).as_ref());
        connector.withhold_keys(version.surface.ever_secret.iter().cloned());
        let platform = connector.info().platform.clone();
        if origin == Origin::Upload {
            self.write_to_dir(&version)?;
        }
        let first = !self.lock_state().plugins.contains_key(&id);
        if first && self.is_marked_disabled(&id) {
            // Install disabled: the operator turned this plugin off before a restart.
            self.registry.install(connector.clone(), now_ms());
            self.registry.set_enabled(&platform, false)?;
        } else if let Some(retired) = self.registry.install(connector.clone(), now_ms()) {
            self.draining.drain(retired, self.settings.drain_deadline);
        }
        self.store_approval(&version.manifest, &version.surface);
        {
            let mut state = self.lock_state();
            state.pending.remove(&id);
            let previous = state.plugins.remove(&id).map(|r| r.current);
            state.plugins.insert(
                id.clone(),
                Record {
                    platform,
                    current: version.clone(),
                    previous,
                },
            );
        }
        tracing::info!(plugin = %id, version = %version.manifest.version, source_hash = %version.source_hash, "connector version serving");
        self.view(&id)
            .map(InstallOutcome::Installed)
            .ok_or(PluginError::NotFound(id))
    }

    /// Enables or disables a plugin (remembered across restarts). Disabled, its configs
    /// pause (their webhooks are accepted and held until enabled); mappings are untouched.
    pub fn set_enabled(&self, id: &str, enabled: bool) -> Result<PluginView, PluginError> {
        let _lifecycle = self.lock_lifecycle();
        let platform = self.platform_of(id)?;
        self.registry.set_enabled(&platform, enabled)?;
        self.mark_disabled(id, !enabled)?;
        tracing::info!(plugin = %id, enabled, "connector {}", if enabled { "enabled" } else { "disabled" });
        self.view(id)
            .ok_or_else(|| PluginError::NotFound(id.into()))
    }

    /// Swaps back to the previous version (which becomes the rollback target itself).
    pub fn rollback(&self, id: &str) -> Result<PluginView, PluginError> {
        let _lifecycle = self.lock_lifecycle();
        let platform = self.platform_of(id)?;
        let mut back = {
            let state = self.lock_state();
            state.plugins.get(id).and_then(|r| r.previous.clone())
        }
        .ok_or_else(|| {
            PluginError::Registry(elder_sync_runtime::RegistryError::NoPrevious(id.into()))
        })?;
        back.surface = back
            .surface
            .clone()
            .approved_after(self.approved_surface(id).as_ref());
        self.registry.rollback(&platform, now_ms())?;
        if let Ok(serving) = self.registry.get(&platform) {
            serving.withhold_keys(back.surface.ever_secret.iter().cloned());
        }
        {
            let mut state = self.lock_state();
            if let Some(r) = state.plugins.get_mut(id) {
                let current = std::mem::replace(&mut r.current, back.clone());
                r.previous = Some(current);
            }
        }
        self.store_approval(&back.manifest, &back.surface);
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
                id: p.version.manifest.id.clone(),
                version: p.version.manifest.version.clone(),
                source_hash: p.version.source_hash.clone(),
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

    /// Loads every `<name>.wasm` of the plugin directory with its `<name>.toml` manifest
    /// (a missing manifest is derived from `describe`, with a warning). Versions already
    /// serving are left alone; one bad file never keeps the others from loading.
    pub fn load_dir(&self) -> Result<DirReport, PluginError> {
        let _lifecycle = self.lock_lifecycle();
        let dir = &self.settings.plugin_dir;
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| {
                PluginError::io(format!("reading the plugin directory {}", dir.display()), e)
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        paths.sort();
        let mut report = DirReport::default();
        for path in paths {
            match self.load_file(&path) {
                Ok(InstallOutcome::Installed(view)) => report.installed.push(view.id),
                Ok(InstallOutcome::Unchanged(_)) => {}
                Ok(InstallOutcome::Pending(view)) => report.pending.push(view.id),
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "connector refused; the serving version (if any) stays");
                    report.failed.push((path, e.to_string()));
                }
            }
        }
        Ok(report)
    }

    fn load_file(&self, path: &Path) -> Result<InstallOutcome, PluginError> {
        let component = std::fs::read(path)
            .map_err(|e| PluginError::io(format!("reading {}", path.display()), e))?;
        let manifest_path = path.with_extension("toml");
        let manifest = match std::fs::read_to_string(&manifest_path) {
            Ok(text) => Some(Manifest::parse(&text)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(path = %path.display(), "no manifest beside the component; using what describe declares");
                None
            }
            Err(e) => {
                return Err(PluginError::io(
                    format!("reading {}", manifest_path.display()),
                    e,
                ));
            }
        };
        self.install_locked(component, manifest, Origin::Directory)
    }

    fn write_to_dir(&self, version: &Installed) -> Result<(), PluginError> {
        let dir = &self.settings.plugin_dir;
        let id = &version.manifest.id;
        let io = |what: &str, e| PluginError::io(format!("writing {what} to {}", dir.display()), e);
        std::fs::create_dir_all(dir).map_err(|e| io("the directory", e))?;
        write_atomically(
            &dir.join(format!("{id}.toml")),
            version.manifest.to_toml().as_bytes(),
        )
        .map_err(|e| io("the manifest", e))?;
        write_atomically(&dir.join(format!("{id}.wasm")), &version.component)
            .map_err(|e| io("the component", e))
    }

    fn approval_path(&self, id: &str) -> PathBuf {
        self.settings
            .state_dir
            .join("approved")
            .join(format!("{id}.toml"))
    }

    fn disabled_path(&self, id: &str) -> PathBuf {
        self.settings.state_dir.join("disabled").join(id)
    }

    fn stored_approval(&self, id: &str) -> Option<Manifest> {
        let text = std::fs::read_to_string(self.approval_path(id)).ok()?;
        Manifest::parse(&text).ok()
    }

    fn surface_path(&self, id: &str) -> PathBuf {
        self.settings
            .state_dir
            .join("approved")
            .join(format!("{id}.surface.json"))
    }

    fn stored_surface(&self, id: &str) -> Option<Surface> {
        let text = std::fs::read_to_string(self.surface_path(id)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn store_approval(&self, manifest: &Manifest, surface: &Surface) {
        let path = self.approval_path(&manifest.id);
        let surface_path = self.surface_path(&manifest.id);
        let surface_json = serde_json::to_vec_pretty(surface).unwrap_or_default();
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| write_atomically(&path, manifest.to_toml().as_bytes()))
            .and_then(|()| write_atomically(&surface_path, &surface_json));
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "cannot record the approved manifest and surface");
        }
    }

    fn is_marked_disabled(&self, id: &str) -> bool {
        self.disabled_path(id).exists()
    }

    fn mark_disabled(&self, id: &str, disabled: bool) -> Result<(), PluginError> {
        let path = self.disabled_path(id);
        let io = |e| PluginError::io(format!("recording the state in {}", path.display()), e);
        if disabled {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(&path, b"disabled\n").map_err(io)
        } else {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
                _ => Ok(()),
            }
        }
    }
}

/// A manifest saying exactly what `describe` declares.
fn derived_manifest(info: &ConnectorInfo) -> Manifest {
    Manifest {
        id: info.id.clone(),
        version: info.version.clone(),
        hosts: info.hosts.clone(),
        limits: Limits::default(),
    }
}

/// `describe` must report the manifest's id and version and reach only listed hosts.
pub(crate) fn check_describe(manifest: &Manifest, info: &ConnectorInfo) -> Result<(), PluginError> {
    let mismatch = |field: &str, message: String| {
        Err(PluginError::Mismatch {
            field: field.into(),
            message,
        })
    };
    if info.id != manifest.id {
        return mismatch(
            "id",
            format!(
                "the manifest says id {:?}, describe says {:?}",
                manifest.id, info.id
            ),
        );
    }
    if info.version != manifest.version {
        return mismatch(
            "version",
            format!(
                "the manifest says version {:?}, describe says {:?}",
                manifest.version, info.version
            ),
        );
    }
    if let Some(host) = info.hosts.iter().find(|h| !manifest.hosts.contains(h)) {
        return mismatch(
            "hosts",
            format!("describe declares host {host:?}, which the manifest does not list"),
        );
    }
    Ok(())
}
