//! The on-disk compiled-code cache. An entry is the engine's native code for one
//! component (`<sha256 of component>-<engine compatibility hash>.cwasm`) plus the
//! SHA-256 of that file written beside it (`.sha256`). Native code is mapped executable
//! without verification, so an entry is used only when its checksum matches the one we
//! stored when we wrote it; anything else (missing sidecar, corrupt or truncated file,
//! an entry the engine refuses) is rebuilt, never trusted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use elder_sync_runtime::{LoadedConnector, Runtime, RuntimeError};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::PluginError;

/// Counters of what the cache did since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = PluginCacheStats)]
pub struct CacheStats {
    /// Components compiled (cache misses and rebuilds).
    pub compiles: u64,
    /// Components loaded from a verified cache entry, without compiling.
    pub hits: u64,
    /// Entries found but not trusted (checksum mismatch, refused by the engine).
    pub rejected: u64,
}

/// A compiled-code cache in one directory.
pub struct CodeCache {
    dir: PathBuf,
    compiles: AtomicU64,
    hits: AtomicU64,
    rejected: AtomicU64,
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl CodeCache {
    /// A cache in `dir` (created, owner-only, on first write).
    pub fn new(dir: impl Into<PathBuf>) -> CodeCache {
        CodeCache {
            dir: dir.into(),
            compiles: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        }
    }

    /// The directory entries live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the cache did so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            compiles: self.compiles.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }

    /// Loads a component through the cache: a verified entry is deserialized; otherwise
    /// the component is compiled, the entry (re)written, and the fresh code loaded.
    pub fn load(
        &self,
        runtime: &Runtime,
        component: &[u8],
    ) -> Result<Arc<LoadedConnector>, PluginError> {
        let source_hash = sha256_hex(component);
        let (code_path, sum_path) = self.paths(&source_hash, &runtime.compatibility_hash());
        if let Some(code) = self.read_verified(&code_path, &sum_path) {
            // SAFETY: `code` is a file this cache wrote from `Runtime::precompile` for an
            // engine with this compatibility hash (it is in the file name), and its
            // checksum matches the one stored beside it when it was written.
            match unsafe { runtime.load_precompiled(&code, source_hash.clone()) } {
                Ok(connector) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(connector);
                }
                Err(RuntimeError::Compile(why)) => {
                    tracing::warn!(path = %code_path.display(), %why, "compiled-code cache entry refused by the engine; rebuilding");
                    self.rejected.fetch_add(1, Ordering::Relaxed);
                }
                Err(other) => return Err(other.into()),
            }
        }
        let code = runtime.precompile(component)?;
        self.compiles.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = self.write_entry(&code_path, &sum_path, &code) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot write the compiled-code cache; loading without it");
        }
        // SAFETY: `code` was produced just now by this runtime's `precompile`.
        Ok(unsafe { runtime.load_precompiled(&code, source_hash) }?)
    }

    fn paths(&self, source_hash: &str, compat: &str) -> (PathBuf, PathBuf) {
        let stem = format!("{source_hash}-{compat}");
        (
            self.dir.join(format!("{stem}.cwasm")),
            self.dir.join(format!("{stem}.sha256")),
        )
    }

    /// The entry's bytes when it exists and matches its stored checksum.
    fn read_verified(&self, code_path: &Path, sum_path: &Path) -> Option<Vec<u8>> {
        let code = std::fs::read(code_path).ok()?;
        let stored = std::fs::read_to_string(sum_path).unwrap_or_default();
        if stored.trim() == sha256_hex(&code) {
            return Some(code);
        }
        tracing::warn!(path = %code_path.display(), "compiled-code cache entry does not match its checksum; rebuilding");
        self.rejected.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Writes code then checksum, each through a temporary file and a rename, so a
    /// reader sees a whole entry or a mismatch, never a half-written file it trusts.
    fn write_entry(&self, code_path: &Path, sum_path: &Path, code: &[u8]) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        write_atomically(code_path, code)?;
        write_atomically(sum_path, sha256_hex(code).as_bytes())
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
