//! The plugin host's state directory: what must survive a restart besides the components
//! themselves. Per plugin id, the manifest and security surface an operator last approved
//! (`approved/<id>.toml`, `approved/<id>.surface.json`) and a marker for a plugin the
//! operator disabled (`disabled/<id>`).

use std::path::PathBuf;

use crate::cache::write_atomically;
use crate::error::PluginError;
use crate::manifest::Manifest;
use crate::surface::Surface;

/// The state directory (`ELDER_PLUGIN_STATE_DIR`).
pub(crate) struct StateDir {
    root: PathBuf,
}

impl StateDir {
    pub(crate) fn new(root: PathBuf) -> Self {
        StateDir { root }
    }

    fn approval_path(&self, id: &str) -> PathBuf {
        self.root.join("approved").join(format!("{id}.toml"))
    }

    fn surface_path(&self, id: &str) -> PathBuf {
        self.root
            .join("approved")
            .join(format!("{id}.surface.json"))
    }

    fn disabled_path(&self, id: &str) -> PathBuf {
        self.root.join("disabled").join(id)
    }

    /// The manifest last approved for `id`, if any was recorded.
    pub(crate) fn approved_manifest(&self, id: &str) -> Option<Manifest> {
        let text = std::fs::read_to_string(self.approval_path(id)).ok()?;
        Manifest::parse(&text).ok()
    }

    /// The security surface last approved for `id`, if any was recorded.
    pub(crate) fn approved_surface(&self, id: &str) -> Option<Surface> {
        let text = std::fs::read_to_string(self.surface_path(id)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Records what is now approved (a failure is logged: the serving version stays, and
    /// the next restart asks for approval again).
    pub(crate) fn record_approval(&self, manifest: &Manifest, surface: &Surface) {
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

    /// True when the operator disabled `id`.
    pub(crate) fn is_disabled(&self, id: &str) -> bool {
        self.disabled_path(id).exists()
    }

    /// Remembers (or forgets) that the operator disabled `id`.
    pub(crate) fn mark_disabled(&self, id: &str, disabled: bool) -> Result<(), PluginError> {
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
