//! Plugin settings ([`PluginSettings`]): where components, state and compiled code live,
//! whether new hosts are approved automatically, whether the directory is watched, and
//! how long a replaced version may drain. Read from the environment by the service.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the plugin host behaves.
#[derive(Debug, Clone)]
pub struct PluginSettings {
    /// Components (`<name>.wasm`) and manifests (`<name>.toml`).
    pub plugin_dir: PathBuf,
    /// Approved manifests and disabled markers (survive restarts).
    pub state_dir: PathBuf,
    /// The compiled-code cache.
    pub cache_dir: PathBuf,
    /// `ELDER_PLUGIN_AUTO_APPROVE`: swap in versions that ask for new hosts without
    /// waiting for an operator.
    pub auto_approve: bool,
    /// `ELDER_PLUGIN_WATCH`: reload a connector when its file in the plugin directory
    /// changes (default: on unless `ELDER_ENV=production`).
    pub watch: bool,
    /// `ELDER_PLUGIN_DRAIN_SECS`: how long calls may keep running on a replaced version
    /// before the host lets go of it.
    pub drain_deadline: Duration,
}

impl PluginSettings {
    /// Defaults: state and cache under `data_dir`, no auto-approval, no watching, 60 s drain.
    pub fn new(plugin_dir: impl Into<PathBuf>, data_dir: &Path) -> PluginSettings {
        PluginSettings {
            plugin_dir: plugin_dir.into(),
            state_dir: data_dir.join("plugin-state"),
            cache_dir: data_dir.join("plugin-cache"),
            auto_approve: false,
            watch: false,
            drain_deadline: Duration::from_secs(60),
        }
    }

    /// The defaults with `ELDER_PLUGIN_AUTO_APPROVE`, `ELDER_PLUGIN_WATCH`, `ELDER_ENV` and
    /// `ELDER_PLUGIN_DRAIN_SECS` read through `lookup`; errors name the variable.
    pub fn from_lookup(
        plugin_dir: impl Into<PathBuf>,
        data_dir: &Path,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<PluginSettings, String> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let production =
            get("ELDER_ENV").is_some_and(|e| e.trim().eq_ignore_ascii_case("production"));
        let mut s = PluginSettings::new(plugin_dir, data_dir);
        s.auto_approve = flag(
            get("ELDER_PLUGIN_AUTO_APPROVE"),
            "ELDER_PLUGIN_AUTO_APPROVE",
            false,
        )?;
        s.watch = flag(get("ELDER_PLUGIN_WATCH"), "ELDER_PLUGIN_WATCH", !production)?;
        if let Some(v) = get("ELDER_PLUGIN_DRAIN_SECS") {
            let secs: u64 = v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!(
                    "ELDER_PLUGIN_DRAIN_SECS: expected a positive number of seconds (got {v:?})"
                )
            })?;
            s.drain_deadline = Duration::from_secs(secs);
        }
        Ok(s)
    }
}

fn flag(value: Option<String>, var: &str, default: bool) -> Result<bool, String> {
    match value.map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(format!("{var}: expected true or false (got {v:?})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<PluginSettings, String> {
        PluginSettings::from_lookup("plugins", Path::new("data"), |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn watching_is_on_in_development_and_off_in_production() {
        let dev = with(&[]).unwrap();
        assert!(dev.watch && !dev.auto_approve);
        assert_eq!(dev.cache_dir, Path::new("data/plugin-cache"));
        assert!(!with(&[("ELDER_ENV", "production")]).unwrap().watch);
        assert!(
            with(&[("ELDER_ENV", "production"), ("ELDER_PLUGIN_WATCH", "on")])
                .unwrap()
                .watch
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert!(
            with(&[("ELDER_PLUGIN_WATCH", "maybe")])
                .unwrap_err()
                .contains("ELDER_PLUGIN_WATCH")
        );
        assert!(
            with(&[("ELDER_PLUGIN_DRAIN_SECS", "0")])
                .unwrap_err()
                .contains("ELDER_PLUGIN_DRAIN_SECS")
        );
        assert_eq!(
            with(&[
                ("ELDER_PLUGIN_DRAIN_SECS", "5"),
                ("ELDER_PLUGIN_AUTO_APPROVE", "yes")
            ])
            .map(|s| (s.drain_deadline, s.auto_approve))
            .unwrap(),
            (Duration::from_secs(5), true)
        );
    }
}
