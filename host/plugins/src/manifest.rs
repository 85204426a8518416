//! The plugin manifest: a small TOML file next to each component (`<name>.toml` beside
//! `<name>.wasm`) saying what the connector is (id, version), which hosts it may reach,
//! and limits that can tighten (never loosen) the host's own. Also the diff between two
//! versions shown to an operator asked to approve new hosts or a changed security
//! surface (see [`crate::surface`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::PluginError;

/// One connector's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The connector id; must equal what `describe` reports.
    pub id: String,
    /// The connector version; must equal what `describe` reports.
    pub version: String,
    /// Hosts the connector may reach, as `describe` declares them (templates such as
    /// `{base_url}` included). Every host `describe` declares must be listed here.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Optional per-connector limits.
    #[serde(default)]
    pub limits: Limits,
}

/// Limits of one connector; each is capped by the host's setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PluginLimits)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The longest one call may run, in seconds.
    pub call_deadline_secs: Option<u64>,
    /// Memory cap of one instance, in MiB.
    pub memory_mb: Option<u64>,
}

impl Manifest {
    /// Parses and checks a manifest's text.
    pub fn parse(text: &str) -> Result<Manifest, PluginError> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| PluginError::Manifest {
            field: "manifest".into(),
            message: format!("not a valid plugin manifest: {}", e.message()),
        })?;
        manifest.check()?;
        Ok(manifest)
    }

    /// The manifest as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    fn check(&self) -> Result<(), PluginError> {
        let bad = |field: &str, message: String| {
            Err(PluginError::Manifest {
                field: field.into(),
                message,
            })
        };
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !id_ok {
            return bad(
                "id",
                format!(
                    "id {:?} must be 1-64 lowercase letters, digits, - or _",
                    self.id
                ),
            );
        }
        if self.version.trim().is_empty() {
            return bad("version", "version must not be empty".into());
        }
        if let Some(h) = self.hosts.iter().find(|h| h.trim().is_empty()) {
            return bad("hosts", format!("host {h:?} is empty"));
        }
        if self.limits.call_deadline_secs == Some(0) {
            return bad(
                "limits.call_deadline_secs",
                "must be greater than zero".into(),
            );
        }
        if self.limits.memory_mb == Some(0) {
            return bad("limits.memory_mb", "must be greater than zero".into());
        }
        Ok(())
    }

    /// The call deadline this manifest asks for, if any.
    pub fn call_deadline(&self) -> Option<Duration> {
        self.limits.call_deadline_secs.map(Duration::from_secs)
    }

    /// The memory cap this manifest asks for, in bytes, if any.
    pub fn memory_limit_bytes(&self) -> Option<usize> {
        self.limits
            .memory_mb
            .map(|mb| usize::try_from(mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX))
    }
}

/// What changed between an approved manifest and a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PluginManifestDiff)]
pub struct ManifestDiff {
    /// Hosts the new version may reach that the approved one could not.
    pub added_hosts: Vec<String>,
    /// Hosts the new version no longer asks for.
    pub removed_hosts: Vec<String>,
    /// A line diff of the two manifests: `-` old only, `+` new only.
    pub lines: Vec<String>,
    /// Security-surface changes from `describe` (secret flags, auth rules and the host
    /// they apply to, webhook schemes), one line each.
    pub surface: Vec<String>,
}

impl ManifestDiff {
    /// Compares `old` (approved) with `new`.
    pub fn between(old: &Manifest, new: &Manifest) -> ManifestDiff {
        let added_hosts = new
            .hosts
            .iter()
            .filter(|h| !old.hosts.contains(h))
            .cloned()
            .collect();
        let removed_hosts = old
            .hosts
            .iter()
            .filter(|h| !new.hosts.contains(h))
            .cloned()
            .collect();
        ManifestDiff {
            added_hosts,
            removed_hosts,
            lines: line_diff(&old.to_toml(), &new.to_toml()),
            surface: Vec::new(),
        }
    }

    /// The same diff with the security-surface changes.
    pub fn with_surface(mut self, surface: Vec<String>) -> ManifestDiff {
        self.surface = surface;
        self
    }

    /// True when the new version asks to reach a host the old one could not, or changes
    /// its security surface.
    pub fn needs_approval(&self) -> bool {
        !self.added_hosts.is_empty() || !self.surface.is_empty()
    }
}

fn line_diff(old: &str, new: &str) -> Vec<String> {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let removed = old_lines
        .iter()
        .filter(|l| !new_lines.contains(l))
        .map(|l| format!("- {l}"));
    let added = new_lines
        .iter()
        .filter(|l| !old_lines.contains(l))
        .map(|l| format!("+ {l}"));
    removed.chain(added).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GITHUB: &str = r#"
id = "github"
version = "0.1.0"
hosts = ["api.github.com", "{base_url}"]

[limits]
call_deadline_secs = 20
memory_mb = 32
"#;

    #[test]
    fn a_full_manifest_parses_with_its_limits() {
        let m = Manifest::parse(GITHUB).unwrap();
        assert_eq!(m.id, "github");
        assert_eq!(m.hosts, vec!["api.github.com", "{base_url}"]);
        assert_eq!(m.call_deadline(), Some(Duration::from_secs(20)));
        assert_eq!(m.memory_limit_bytes(), Some(32 << 20));
        assert_eq!(Manifest::parse(&m.to_toml()).unwrap(), m);
    }

    #[test]
    fn limits_are_optional() {
        let m = Manifest::parse("id = \"jira\"\nversion = \"1.0.0\"\n").unwrap();
        assert!(m.hosts.is_empty());
        assert_eq!(m.call_deadline(), None);
        assert_eq!(m.memory_limit_bytes(), None);
    }

    #[test]
    fn bad_manifests_name_the_field() {
        let field = |text: &str| match Manifest::parse(text).unwrap_err() {
            PluginError::Manifest { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(field("id = \"Git Hub\"\nversion = \"1\""), "id");
        assert_eq!(field("id = \"x\"\nversion = \" \""), "version");
        assert_eq!(
            field("id = \"x\"\nversion = \"1\"\n[limits]\nmemory_mb = 0"),
            "limits.memory_mb"
        );
        assert_eq!(field("id = \"x\"\nversion = \"1\"\nhostz = []"), "manifest");
        assert_eq!(field("not toml at all ["), "manifest");
    }

    #[test]
    fn the_diff_shows_new_hosts_and_changed_lines() {
        let old = Manifest::parse(GITHUB).unwrap();
        let mut new = old.clone();
        new.hosts.push("evil.example.com".into());
        new.hosts.retain(|h| h != "api.github.com");
        let diff = ManifestDiff::between(&old, &new);
        assert_eq!(diff.added_hosts, vec!["evil.example.com"]);
        assert_eq!(diff.removed_hosts, vec!["api.github.com"]);
        assert!(diff.needs_approval());
        assert!(
            diff.lines
                .iter()
                .any(|l| l.starts_with('+') && l.contains("evil"))
        );
        assert!(diff.lines.iter().any(|l| l.starts_with('-')));
        assert!(
            !ManifestDiff::between(&new, &old)
                .added_hosts
                .contains(&"evil.example.com".to_string())
        );
        let same = ManifestDiff::between(&old, &old);
        assert!(!same.needs_approval() && same.lines.is_empty());
    }
}
