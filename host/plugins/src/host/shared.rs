//! The plugin state shared by the replicas of one database: with a store attached, the
//! database (not this process's directories) owns which version of each plugin serves, the
//! rollback target, enabled/disabled, what was approved and what waits for approval, and the
//! component bytes. Every change made here is published ([`PluginHost::publish`]); changes
//! made by other replicas are applied by [`PluginHost::refresh`] (called at start, before
//! every lifecycle action, and by [`crate::follow`] when woken or every few seconds).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use elder_sync_model::now_ms;
use elder_sync_store::{PluginRecord, StoreError, StoredPending, StoredVersion};

use super::{Installed, Origin, Pending, PluginHost, Record};
use crate::cache::sha256_hex;
use crate::error::PluginError;
use crate::manifest::{Manifest, ManifestDiff};
use crate::surface::Surface;

/// The database handle and what this replica last applied from it.
pub(crate) struct Shared {
    pub(crate) store: elder_sync_store::Store,
    handle: tokio::runtime::Handle,
    /// Per plugin id, the revision this replica serves (applied or published).
    revisions: Mutex<HashMap<String, i64>>,
    /// Component hashes known to be stored (their bytes need not be sent again).
    stored: Mutex<HashSet<String>>,
}

impl Shared {
    pub(crate) fn new(store: elder_sync_store::Store, handle: tokio::runtime::Handle) -> Shared {
        Shared {
            store,
            handle,
            revisions: Mutex::default(),
            stored: Mutex::default(),
        }
    }

    /// Runs a store call from lifecycle code (which runs on blocking threads).
    fn run<T>(&self, f: impl Future<Output = Result<T, StoreError>>) -> Result<T, PluginError> {
        self.handle.block_on(f).map_err(PluginError::from)
    }

    fn revision(&self, id: &str) -> Option<i64> {
        self.revisions.lock().expect("revisions").get(id).copied()
    }

    fn set_revision(&self, id: &str, revision: i64) {
        self.revisions
            .lock()
            .expect("revisions")
            .insert(id.to_string(), revision);
    }

    /// The shared record of `id`, if any.
    pub(crate) fn record(&self, id: &str) -> Result<Option<PluginRecord>, PluginError> {
        self.run(self.store.plugin_record(id))
    }

    /// True when the fleet has installed or held these bytes with this manifest (any
    /// manifest when `None`).
    pub(crate) fn seen(
        &self,
        source_hash: &str,
        manifest: Option<&Manifest>,
    ) -> Result<bool, PluginError> {
        let manifest_hash = manifest.map(manifest_hash);
        self.run(
            self.store
                .plugin_seen(source_hash, manifest_hash.as_deref()),
        )
    }

    fn store_version(&self, id: &str, version: &Installed) -> Result<(), PluginError> {
        let hash = &version.source_hash;
        if !self.stored.lock().expect("stored").contains(hash) {
            self.run(self.store.store_plugin_component(hash, &version.component))?;
            self.stored.lock().expect("stored").insert(hash.clone());
        }
        let manifest_hash = manifest_hash(&version.manifest);
        self.run(self.store.record_plugin_seen(hash, &manifest_hash, id))
    }
}

fn manifest_hash(manifest: &Manifest) -> String {
    sha256_hex(manifest.to_toml().as_bytes())
}

fn stored(version: &Installed) -> StoredVersion {
    StoredVersion {
        source_hash: version.source_hash.clone(),
        manifest: version.manifest.to_toml(),
    }
}

fn same(version: &Installed, stored: &StoredVersion) -> bool {
    version.source_hash == stored.source_hash && version.manifest.to_toml() == stored.manifest
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Directory => "directory",
            Origin::Upload => "upload",
        }
    }

    fn parse(text: &str) -> Origin {
        if text == "directory" {
            Origin::Directory
        } else {
            Origin::Upload
        }
    }
}

impl PluginHost {
    /// Records `id`'s state as this replica now has it in the database (its components
    /// stored by hash), so every other replica follows. Nothing without a store.
    pub(super) fn publish(&self, id: &str) -> Result<(), PluginError> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let (record, pending) = {
            let state = self.lock_state();
            let record = state
                .plugins
                .get(id)
                .map(|r| (r.platform.clone(), r.current.clone(), r.previous.clone()));
            (record, state.pending.get(id).cloned())
        };
        let mut row = shared.record(id)?.unwrap_or_else(|| PluginRecord {
            id: id.to_string(),
            enabled: true,
            ..PluginRecord::default()
        });
        if let Some((platform, current, previous)) = &record {
            shared.store_version(id, current)?;
            if let Some(p) = previous {
                shared.store_version(id, p)?;
            }
            row.current = Some(stored(current));
            row.previous = previous.as_ref().map(stored);
            row.enabled = self.registry.slot(platform).is_none_or(|s| s.enabled);
            row.approved_manifest = Some(current.manifest.to_toml());
            row.approved_surface = serde_json::to_string(&current.surface).ok();
        }
        row.pending = match &pending {
            Some(p) => {
                if let Some(loaded) = &p.loaded {
                    shared.store_version(id, loaded)?;
                }
                Some(StoredPending {
                    version: StoredVersion {
                        source_hash: p.source_hash.clone(),
                        manifest: p.manifest.to_toml(),
                    },
                    diff: serde_json::to_string(&p.diff).unwrap_or_default(),
                    origin: p.origin.as_str().to_string(),
                })
            }
            None => None,
        };
        let revision = shared.run(shared.store.save_plugin_record(&row))?;
        shared.set_revision(id, revision);
        Ok(())
    }

    /// Applies what other replicas changed in the shared plugin state since this replica
    /// last looked (installs, swaps, rollbacks, enable/disable, approvals and versions
    /// waiting for approval); returns the ids applied. Nothing without a store.
    pub fn refresh(&self) -> Result<Vec<String>, PluginError> {
        let _lifecycle = self.lock_lifecycle();
        self.refresh_locked()
    }

    pub(super) fn refresh_locked(&self) -> Result<Vec<String>, PluginError> {
        let Some(shared) = &self.shared else {
            return Ok(Vec::new());
        };
        let revisions = shared.run(shared.store.plugin_revisions())?;
        let mut applied = Vec::new();
        for (id, revision) in revisions {
            if shared.revision(&id) == Some(revision) {
                continue;
            }
            let Some(record) = shared.record(&id)? else {
                continue;
            };
            if let Err(e) = self.apply(&record) {
                tracing::error!(plugin = %id, error = %e, "cannot serve the plugin state another replica recorded; keeping what serves here");
            }
            // Applied or refused, this revision is dealt with (a refusal is logged once).
            shared.set_revision(&id, record.revision);
            applied.push(id);
        }
        Ok(applied)
    }

    /// Makes this replica serve `record`: its current and previous versions, its enabled
    /// state and its pending version.
    fn apply(&self, record: &PluginRecord) -> Result<(), PluginError> {
        let id = &record.id;
        let approved: Option<Surface> = record
            .approved_surface
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok());
        if let Some(current) = &record.current {
            self.apply_versions(id, current, record.previous.as_ref(), approved)?;
        }
        let platform = self
            .lock_state()
            .plugins
            .get(id)
            .map(|r| r.platform.clone());
        if let Some(platform) = platform
            && self
                .registry
                .slot(&platform)
                .is_some_and(|s| s.enabled != record.enabled)
        {
            self.registry.set_enabled(&platform, record.enabled)?;
            tracing::info!(plugin = %id, enabled = record.enabled, "connector enabled state changed on another replica");
        }
        self.apply_pending(id, record.pending.as_ref())
    }

    fn apply_versions(
        &self,
        id: &str,
        current: &StoredVersion,
        previous: Option<&StoredVersion>,
        approved: Option<Surface>,
    ) -> Result<(), PluginError> {
        let (old_current, old_previous) = {
            let state = self.lock_state();
            match state.plugins.get(id) {
                Some(r) => (Some(r.current.clone()), r.previous.clone()),
                None => (None, None),
            }
        };
        let pending = self
            .lock_state()
            .pending
            .get(id)
            .and_then(|p| p.loaded.clone());
        let candidates: Vec<Installed> = old_current
            .iter()
            .chain(old_previous.iter())
            .chain(pending.iter())
            .cloned()
            .collect();
        let unchanged = old_current.as_ref().is_some_and(|c| same(c, current));
        let mut new_current = self.resolve(current, &candidates)?;
        if let Some(surface) = approved {
            new_current.surface = surface;
        }
        let new_previous = match previous {
            Some(p) => match self.resolve(p, &candidates) {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!(plugin = %id, error = %e, "cannot load the rollback target another replica recorded");
                    None
                }
            },
            None => None,
        };
        let platform = new_current.connector.info().platform.clone();
        if !unchanged {
            new_current
                .connector
                .withhold_keys(new_current.surface.ever_secret.iter().cloned());
            self.registry
                .install(new_current.connector.clone(), now_ms());
            tracing::info!(plugin = %id, version = %new_current.manifest.version, source_hash = %new_current.source_hash, "connector version serving (changed on another replica)");
        }
        let kept: Vec<String> = [Some(&new_current), new_previous.as_ref()]
            .into_iter()
            .flatten()
            .map(|v| v.source_hash.clone())
            .collect();
        self.lock_state().plugins.insert(
            id.to_string(),
            Record {
                platform,
                current: new_current,
                previous: new_previous,
            },
        );
        for old in old_current.into_iter().chain(old_previous) {
            if !kept.contains(&old.source_hash) {
                self.draining
                    .drain(old.connector, self.settings.drain_deadline);
            }
        }
        Ok(())
    }

    /// A stored version loaded: one this replica already holds, or its bytes from the
    /// database (through the compiled-code cache).
    fn resolve(
        &self,
        version: &StoredVersion,
        candidates: &[Installed],
    ) -> Result<Installed, PluginError> {
        if let Some(found) = candidates.iter().find(|c| same(c, version)) {
            return Ok(found.clone());
        }
        let manifest = Manifest::parse(&version.manifest)?;
        self.load_stored(&version.source_hash, manifest)
    }

    /// Loads the component stored under `source_hash` with `manifest`.
    pub(super) fn load_stored(
        &self,
        source_hash: &str,
        manifest: Manifest,
    ) -> Result<Installed, PluginError> {
        let shared = self
            .shared
            .as_ref()
            .ok_or_else(|| PluginError::NothingPending(manifest.id.clone()))?;
        let component = shared
            .run(shared.store.plugin_component(source_hash))?
            .ok_or_else(|| {
                PluginError::io(
                    format!("loading plugin {} from the database", manifest.id),
                    std::io::Error::other(format!("no component stored under {source_hash}")),
                )
            })?;
        let (connector, manifest) = self.load_checked(&component, Some(manifest))?;
        Ok(Installed {
            manifest,
            surface: Surface::of(connector.info()),
            source_hash: source_hash.to_string(),
            component: Arc::new(component),
            connector,
        })
    }

    fn apply_pending(&self, id: &str, pending: Option<&StoredPending>) -> Result<(), PluginError> {
        let mut state = self.lock_state();
        let Some(stored) = pending else {
            state.pending.remove(id);
            return Ok(());
        };
        if state.pending.get(id).is_some_and(|p| {
            p.source_hash == stored.version.source_hash
                && p.manifest.to_toml() == stored.version.manifest
        }) {
            return Ok(());
        }
        let diff: ManifestDiff = serde_json::from_str(&stored.diff)
            .map_err(|e| PluginError::io("reading a pending approval", std::io::Error::other(e)))?;
        state.pending.insert(
            id.to_string(),
            Pending {
                manifest: Manifest::parse(&stored.version.manifest)?,
                source_hash: stored.version.source_hash.clone(),
                diff,
                origin: Origin::parse(&stored.origin),
                loaded: None,
            },
        );
        Ok(())
    }

    /// What the database says an operator approved for `id` (manifest, surface) and whether
    /// it is disabled; `None` without a store or a record.
    pub(super) fn shared_approval(
        &self,
        id: &str,
    ) -> Option<(Option<Manifest>, Option<Surface>, bool)> {
        let shared = self.shared.as_ref()?;
        let record = match shared.record(id) {
            Ok(r) => r?,
            Err(e) => {
                tracing::warn!(plugin = %id, error = %e, "cannot read the shared plugin state");
                return None;
            }
        };
        let manifest = record
            .approved_manifest
            .as_deref()
            .and_then(|m| Manifest::parse(m).ok());
        let surface = record
            .approved_surface
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok());
        Some((manifest, surface, !record.enabled))
    }
}
