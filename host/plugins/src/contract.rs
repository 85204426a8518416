//! Contract versions: which `elder:connector` version this host implements (read from
//! `wit/since_v1.1.0/connector.wit`, the newest frozen contract, at build time) and which one a component was built against (read
//! from the names of its imports and exports, before anything is compiled). Same major
//! and a minor no newer than the host's loads; anything else is refused naming both.

use wasmparser::{Parser, Payload};

use crate::error::PluginError;

const WIT: &str = include_str!("../../../wit/since_v1.1.0/connector.wit");
const PACKAGE: &str = "elder:connector";

/// A `major.minor.patch` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Bumped for incompatible changes: a component of another major never loads.
    pub major: u64,
    /// Bumped for backward-compatible additions: a component's may be no newer than the host's.
    pub minor: u64,
    /// Bumped for fixes that leave the contract's shape unchanged.
    pub patch: u64,
}

impl Version {
    fn parse(text: &str) -> Option<Version> {
        let mut parts = text.trim().splitn(3, '.');
        let mut next = || parts.next()?.parse::<u64>().ok();
        Some(Version {
            major: next()?,
            minor: next()?,
            patch: next()?,
        })
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The `elder:connector` version this host implements.
pub fn host_version() -> Version {
    WIT.lines()
        .filter_map(|l| l.trim().strip_prefix("package "))
        .filter_map(|rest| rest.trim_end_matches(';').strip_prefix(PACKAGE))
        .filter_map(|rest| rest.strip_prefix('@'))
        .find_map(Version::parse)
        .expect("the newest frozen contract declares package elder:connector@x.y.z")
}

/// The `elder:connector` version a component's imports and exports name (the highest
/// one when they differ); an error when it is not a readable component or names none.
pub fn component_version(bytes: &[u8]) -> Result<Version, PluginError> {
    if !Parser::is_component(bytes) {
        let what = if Parser::is_core_wasm(bytes) {
            "a core WebAssembly module; wrap it into a component (tools/componentize)"
        } else {
            "the bytes do not start with the WebAssembly component header"
        };
        return Err(PluginError::NotAComponent(what.into()));
    }
    let mut found: Option<Version> = None;
    for name in interface_names(bytes)? {
        if let Some(v) = version_in(&name) {
            found = Some(found.map_or(v, |f| f.max(v)));
        }
    }
    found.ok_or_else(|| {
        PluginError::NotAComponent(format!(
            "the component neither imports nor exports any {PACKAGE} interface"
        ))
    })
}

/// Checks that a component built against `component` runs on this host.
pub fn check_compatible(component: Version) -> Result<(), PluginError> {
    check_against(component, host_version())
}

fn check_against(component: Version, host: Version) -> Result<(), PluginError> {
    let refuse = |why: &str| {
        Err(PluginError::Contract {
            component: component.to_string(),
            host: host.to_string(),
            why: why.into(),
        })
    };
    if component.major != host.major {
        return refuse("a different major version is not compatible");
    }
    if component.minor > host.minor {
        return refuse("the component needs a newer minor version than this host has");
    }
    Ok(())
}

/// Every import and export name of the component (nested components included).
fn interface_names(bytes: &[u8]) -> Result<Vec<String>, PluginError> {
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload
            .map_err(|e| PluginError::NotAComponent(format!("unreadable component: {e}")))?;
        let unreadable = |e: wasmparser::BinaryReaderError| {
            PluginError::NotAComponent(format!("unreadable component: {e}"))
        };
        match payload {
            Payload::ComponentImportSection(reader) => {
                for import in reader {
                    names.push(import.map_err(unreadable)?.name.0.to_string());
                }
            }
            Payload::ComponentExportSection(reader) => {
                for export in reader {
                    names.push(export.map_err(unreadable)?.name.0.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

/// The version in a name like `elder:connector/http@1.0.0`.
fn version_in(name: &str) -> Option<Version> {
    let rest = name.strip_prefix(PACKAGE)?.strip_prefix('/')?;
    let (_, version) = rest.split_once('@')?;
    Version::parse(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u64, minor: u64) -> Version {
        Version {
            major,
            minor,
            patch: 0,
        }
    }

    #[test]
    fn the_host_version_comes_from_the_wit_file() {
        assert_eq!(host_version().major, 1);
    }

    #[test]
    fn older_minors_load_and_other_majors_are_refused_naming_both() {
        assert!(check_against(v(1, 0), v(1, 2)).is_ok());
        assert!(check_against(v(1, 2), v(1, 2)).is_ok());
        let err = check_against(v(2, 0), v(1, 2)).unwrap_err().to_string();
        assert!(
            err.contains("elder:connector@2.0.0") && err.contains("elder:connector@1.2.0"),
            "{err}"
        );
        assert!(check_against(v(1, 3), v(1, 2)).is_err());
        assert!(check_against(v(0, 9), v(1, 0)).is_err());
    }

    #[test]
    fn names_without_the_package_carry_no_version() {
        assert_eq!(
            version_in("elder:connector/connector@1.4.2"),
            Some(Version {
                major: 1,
                minor: 4,
                patch: 2
            })
        );
        assert_eq!(version_in("wasi:io/streams@0.2.0"), None);
        assert_eq!(version_in("elder:connector/http"), None);
    }

    #[test]
    fn non_components_are_refused() {
        let core = [0, b'a', b's', b'm', 1, 0, 0, 0];
        let err = component_version(&core).unwrap_err().to_string();
        assert!(err.contains("core WebAssembly module"), "{err}");
        assert!(component_version(b"hello").is_err());
    }
}
