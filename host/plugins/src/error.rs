//! Why a plugin operation was refused ([`PluginError`]) and the HTTP answer for each.

use axum::http::StatusCode;
use elder_sync_http::ApiError;
use elder_sync_runtime::RegistryError;
use elder_sync_runtime::RuntimeError;

/// A refused or failed plugin operation.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The manifest is missing, unreadable or invalid.
    #[error("invalid manifest ({field}): {message}")]
    Manifest {
        /// The manifest field at fault (e.g. `version`), or `manifest` when the text is not
        /// valid TOML.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The upload is not a WebAssembly component.
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    /// The component was built against a contract version this host cannot run.
    #[error(
        "the component is built against elder:connector@{component}, but this host implements elder:connector@{host}: {why}"
    )]
    Contract {
        /// The `elder:connector` version the component was built against.
        component: String,
        /// The `elder:connector` version this host implements.
        host: String,
        /// Why the two are incompatible.
        why: String,
    },
    /// Compiling, linking or calling `describe` failed.
    #[error("the component cannot be loaded: {0}")]
    Load(#[from] RuntimeError),
    /// `describe` disagrees with the manifest.
    #[error("the manifest does not match the component ({field}): {message}")]
    Mismatch {
        /// The manifest field `describe` contradicts (e.g. `id`, `hosts`).
        field: String,
        /// How the two differ.
        message: String,
    },
    /// The new version serves another platform than the slot it would replace, or
    /// another plugin already serves its platform.
    #[error("{0}")]
    Platform(String),
    /// No such plugin.
    #[error("no plugin {0} is installed")]
    NotFound(String),
    /// No pending version to approve.
    #[error("no version of plugin {0} is waiting for approval")]
    NothingPending(String),
    /// A rollback with no previous version to return to.
    #[error("plugin {0} has no previous version to roll back to")]
    NoPrevious(String),
    /// The registry refused (the plugin is not loaded or is disabled).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Reading or writing the shared plugin state in the database failed.
    #[error("plugin state in the database: {0}")]
    Store(#[from] elder_sync_store::StoreError),
    /// Reading or writing the plugin directory or state failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. which file was being written.
        context: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl PluginError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> PluginError {
        PluginError::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<PluginError> for ApiError {
    fn from(e: PluginError) -> ApiError {
        let message = e.to_string();
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        match e {
            PluginError::Manifest { field, .. } => {
                ApiError::new(unprocessable, "invalid_manifest", message).with_field(field)
            }
            PluginError::NotAComponent(_) => {
                ApiError::new(unprocessable, "not_a_component", message).with_field("component")
            }
            PluginError::Contract { .. } => {
                ApiError::new(unprocessable, "contract_version", message).with_field("component")
            }
            PluginError::Load(_) => {
                ApiError::new(unprocessable, "load_failed", message).with_field("component")
            }
            PluginError::Mismatch { field, .. } => {
                ApiError::new(unprocessable, "manifest_mismatch", message).with_field(field)
            }
            PluginError::Platform(_) => {
                ApiError::new(StatusCode::CONFLICT, "platform_mismatch", message)
            }
            PluginError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            PluginError::NothingPending(_) => {
                ApiError::new(StatusCode::CONFLICT, "nothing_pending", message)
            }
            PluginError::NoPrevious(_) => {
                ApiError::new(StatusCode::CONFLICT, "no_previous_version", message)
            }
            PluginError::Registry(_) => ApiError::new(StatusCode::CONFLICT, "unavailable", message),
            PluginError::Io { .. } | PluginError::Store(_) => {
                tracing::error!(error = %message, "plugin operation failed");
                ApiError::internal()
            }
        }
    }
}
