//! What a version must pass before it may serve, beyond the contract version: its
//! `describe` matches its manifest (or the manifest is derived from `describe` when the
//! plugin directory has none).

use elder_sync_model::ConnectorInfo;

use crate::error::PluginError;
use crate::manifest::{Limits, Manifest};

/// A manifest saying exactly what `describe` declares.
pub(crate) fn derived_manifest(info: &ConnectorInfo) -> Manifest {
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
