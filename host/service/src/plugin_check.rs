//! `elder-sync plugin check <file.wasm>`: runs the conformance kit
//! (`elder_sync_plugins::conformance`) on a component on this machine, with the same
//! sandbox and egress rules as the service, and prints its table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use elder_sync_plugins::Manifest;
use elder_sync_plugins::conformance::{self, KitInput};
use elder_sync_runtime::RuntimeSettings;

/// How long the kit lets one call run (the service's default is 30 s; a kit run that
/// waits that long on a spinning guest helps nobody).
const CALL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// The command's arguments.
pub struct CheckArgs {
    pub file: PathBuf,
    pub manifest: Option<PathBuf>,
    pub config: Vec<String>,
    pub allow_private_networks: bool,
    pub allow_http: bool,
}

/// Runs the kit and prints the table; true when every check passed.
pub async fn run(args: CheckArgs) -> Result<bool> {
    let component =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let input = KitInput {
        component,
        manifest: manifest(&args.file, args.manifest.as_deref())?,
        config: config(&args.config)?,
        runtime: RuntimeSettings {
            call_deadline: CALL_DEADLINE,
            allow_private_networks: args.allow_private_networks,
            allow_plain_http: args.allow_http,
            ..RuntimeSettings::default()
        },
    };
    let report = conformance::run(input).await;
    println!("conformance kit: {}", args.file.display());
    println!("{report}");
    Ok(report.passed())
}

/// The given manifest, or the `.toml` beside the component when there is one.
fn manifest(file: &Path, given: Option<&Path>) -> Result<Option<Manifest>> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => {
            let beside = file.with_extension("toml");
            if !beside.exists() {
                return Ok(None);
            }
            beside
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the manifest {}", path.display()))?;
    Ok(Some(Manifest::parse(&text).with_context(|| {
        format!("the manifest {} is not valid", path.display())
    })?))
}

/// `key=value` pairs; `None` when none were given.
fn config(pairs: &[String]) -> Result<Option<BTreeMap<String, String>>> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let mut map = BTreeMap::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("--config {pair:?} is not key=value");
        };
        map.insert(k.trim().to_string(), v.to_string());
    }
    Ok(Some(map))
}
