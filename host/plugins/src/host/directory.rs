//! The plugin directory (`ELDER_PLUGIN_DIR`): every `<name>.wasm` with its `<name>.toml`
//! manifest is loaded at start and on change; an uploaded version is written there once
//! installed, so a restart serves it too. With a shared database, only builds the fleet has
//! not seen are installed from it (the database says what serves).

use std::path::{Path, PathBuf};

use super::{InstallOutcome, Installed, Origin, PluginHost};
use crate::cache::write_atomically;
use crate::error::PluginError;
use crate::manifest::Manifest;

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

impl PluginHost {
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
                Ok(Some(InstallOutcome::Installed(view))) => report.installed.push(view.id),
                Ok(None | Some(InstallOutcome::Unchanged(_))) => {}
                Ok(Some(InstallOutcome::Pending(view))) => report.pending.push(view.id),
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "connector refused; the serving version (if any) stays");
                    report.failed.push((path, e.to_string()));
                }
            }
        }
        Ok(report)
    }

    /// Installs one directory file; `None` when the fleet has already seen it.
    fn load_file(&self, path: &Path) -> Result<Option<InstallOutcome>, PluginError> {
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
        if self.seen_by_fleet(&component, manifest.as_ref())? {
            return Ok(None);
        }
        self.install_locked(component, manifest, Origin::Directory)
            .map(Some)
    }

    /// With a shared database, a directory file seeds the fleet only with a build it has not
    /// seen: bytes and manifest the fleet already installed or held (this replica's copy of
    /// a version since replaced by an upload elsewhere, say) are left alone, so every replica
    /// serves what the database says.
    fn seen_by_fleet(
        &self,
        component: &[u8],
        manifest: Option<&Manifest>,
    ) -> Result<bool, PluginError> {
        let Some(shared) = &self.shared else {
            return Ok(false);
        };
        shared.seen(&crate::cache::sha256_hex(component), manifest)
    }

    pub(super) fn write_to_dir(&self, version: &Installed) -> Result<(), PluginError> {
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
}
