//! Elder Sync's connector lifecycle: operators install, enable, disable, roll back and
//! hot-swap connector components without a restart.
//!
//! `manifest`: the TOML next to each component (id, version, hosts, limits) and the diff
//! shown for approval. `contract`: the `elder:connector` version check. `cache`: the
//! verified on-disk compiled-code cache. `stats`: call/error counts per plugin. `drain`:
//! replaced versions finish their calls. `host`: [`PluginHost`], the lifecycle itself (with
//! its plugin directory, state directory, admission checks and API views as submodules).
//! `detail`: what a plugin's connector declares (config schema, kinds, webhooks, hosts).
//! `watch`: reloading on directory changes. `follow`: applying the plugin state other
//! replicas change in the shared database. `api`: the `/api/v1/plugins` routes.
//! `settings`: the environment settings. `surface`: the security surface (secret flags,
//! auth rules, webhook schemes) whose changes need approval.

pub mod api;
pub mod cache;
pub mod conformance;
pub mod contract;
pub mod detail;
pub mod drain;
pub mod error;
pub mod follow;
pub mod host;
pub mod manifest;
pub mod settings;
pub mod stats;
pub mod surface;
#[cfg(feature = "testing")]
pub mod testing;
pub mod watch;

pub use cache::{CacheStats, CodeCache};
pub use detail::{ConnectorView, PluginDetail};
pub use error::PluginError;
pub use host::{DirReport, InstallOutcome, Origin, PendingView, PluginHost, PluginView};
pub use manifest::{Limits, Manifest, ManifestDiff};
pub use settings::PluginSettings;
pub use stats::PluginStats;
pub use surface::Surface;
