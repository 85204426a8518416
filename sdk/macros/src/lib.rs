//! Compile-time half of the connector SDK: [`manifest!`] reads the connector's
//! `plugin.toml` (the one source of truth for id, version, hosts and limits) while the
//! crate compiles, so a wrong or missing manifest is a compile error, not a runtime one.
//!
//! Use it through `elder_connector_sdk::connector!`; it is not meant to be called directly.

use std::path::PathBuf;

use proc_macro::TokenStream;
use toml::{Table, Value};

/// Expands to the `(id, version, hosts, call_deadline_secs, memory_mb)` of the TOML
/// file named by the string literal argument, relative to the crate's `Cargo.toml`
/// directory; `elder_connector_sdk::connector!` turns it into a `Manifest`.
#[proc_macro]
pub fn manifest(input: TokenStream) -> TokenStream {
    match expand(&input.to_string()) {
        Ok(code) => code,
        Err(message) => error(&message),
    }
    .parse()
    .expect("the manifest expansion is valid Rust")
}

fn error(message: &str) -> String {
    format!("::core::compile_error!({message:?})")
}

fn expand(arg: &str) -> Result<String, String> {
    let rel = literal(arg)?;
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .map_err(|_| "CARGO_MANIFEST_DIR is not set; build with cargo".to_string())?;
    let path = PathBuf::from(dir).join(&rel);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read plugin manifest {}: {e}", path.display()))?;
    let m = Parsed::from_text(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let path = path
        .to_str()
        .ok_or_else(|| format!("manifest path {} is not UTF-8", path.display()))?;
    Ok(m.to_rust(path))
}

/// The path inside a plain string literal argument.
fn literal(arg: &str) -> Result<String, String> {
    let arg = arg.trim();
    arg.strip_prefix('"')
        .and_then(|a| a.strip_suffix('"'))
        .filter(|a| !a.contains(['"', '\\']))
        .map(str::to_string)
        .ok_or_else(|| format!("manifest! expects a plain string literal path, got {arg}"))
}

/// The fields of `plugin.toml` the SDK needs, checked like the host checks them.
#[derive(Debug, PartialEq)]
struct Parsed {
    id: String,
    version: String,
    hosts: Vec<String>,
    call_deadline_secs: Option<u64>,
    memory_mb: Option<u64>,
}

impl Parsed {
    fn from_text(text: &str) -> Result<Parsed, String> {
        let table: Table = text.parse().map_err(|e: toml::de::Error| {
            format!("not a valid plugin manifest: {}", e.message())
        })?;
        only_keys(&table, &["id", "version", "hosts", "limits"], "")?;
        let limits = match table.get("limits") {
            None => Table::new(),
            Some(Value::Table(t)) => t.clone(),
            Some(_) => return Err("`limits` must be a table".into()),
        };
        only_keys(&limits, &["call_deadline_secs", "memory_mb"], "limits.")?;
        Ok(Parsed {
            id: text_key(&table, "id")?,
            version: text_key(&table, "version")?,
            hosts: hosts(&table)?,
            call_deadline_secs: limit(&limits, "call_deadline_secs")?,
            memory_mb: limit(&limits, "memory_mb")?,
        })
    }

    /// A `(id, version, hosts, call_deadline_secs, memory_mb)` tuple expression naming
    /// no crate path (so a renamed SDK dependency works), with the file included so
    /// cargo rebuilds when it changes.
    fn to_rust(&self, path: &str) -> String {
        let hosts: Vec<String> = self.hosts.iter().map(|h| format!("{h:?}")).collect();
        format!(
            "{{ const _: &str = ::core::include_str!({path:?}); \
             ({:?}, {:?}, &[{}] as &[&str], {}, {}) }}",
            self.id,
            self.version,
            hosts.join(", "),
            option(self.call_deadline_secs),
            option(self.memory_mb)
        )
    }
}

fn option(n: Option<u64>) -> String {
    match n {
        Some(n) => format!("::core::option::Option::Some({n}u64)"),
        None => "::core::option::Option::None".into(),
    }
}

fn only_keys(table: &Table, allowed: &[&str], prefix: &str) -> Result<(), String> {
    match table.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown manifest key `{prefix}{k}`")),
        None => Ok(()),
    }
}

fn text_key(table: &Table, key: &str) -> Result<String, String> {
    match table.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(_) => Err(format!("`{key}` must be a non-empty string")),
        None => Err(format!("missing `{key}`")),
    }
}

fn hosts(table: &Table) -> Result<Vec<String>, String> {
    let Some(value) = table.get("hosts") else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = value else {
        return Err("`hosts` must be a list of strings".into());
    };
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            _ => Err("`hosts` must be a list of strings".to_string()),
        })
        .collect()
}

fn limit(table: &Table, key: &str) -> Result<Option<u64>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(Value::Integer(n)) if *n > 0 => Ok(Some(*n as u64)),
        Some(_) => Err(format!("`limits.{key}` must be a positive integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_connector_manifest() {
        let m = Parsed::from_text(
            "id = \"github\"\nversion = \"1.0.0\"\nhosts = [\"api.github.com\", \"{base_url}\"]\n\
             [limits]\ncall_deadline_secs = 30\n",
        )
        .unwrap();
        assert_eq!(m.id, "github");
        assert_eq!(m.hosts, ["api.github.com", "{base_url}"]);
        assert_eq!(m.call_deadline_secs, Some(30));
        assert_eq!(m.memory_mb, None);
        let code = m.to_rust("/x/plugin.toml");
        assert!(code.contains("&[\"api.github.com\", \"{base_url}\"] as &[&str]"));
        assert!(code.contains("Some(30u64), ::core::option::Option::None)"));
        assert!(code.contains("include_str!(\"/x/plugin.toml\")"));
    }

    #[test]
    fn refuses_what_the_host_would_refuse() {
        let err = |t: &str| Parsed::from_text(t).unwrap_err();
        assert!(err("version = \"1\"").contains("missing `id`"));
        assert!(err("id = \"a\"\nversion = \"1\"\nhost = []").contains("`host`"));
        assert!(err("id = \"a\"\nversion = \"1\"\n[limits]\nmemory = 1").contains("limits.memory"));
        assert!(err("id = \"a\"\nversion = \"1\"\nhosts = \"x\"").contains("hosts"));
        assert!(err("id = ").contains("not a valid"));
    }

    #[test]
    fn takes_only_plain_literals() {
        assert_eq!(literal(" \"plugin.toml\" ").unwrap(), "plugin.toml");
        assert!(literal("plugin.toml").is_err());
    }
}
