//! `elder-sync plugin new <name>`: scaffolds a connector crate from the SDK's template
//! (`sdk/template`, embedded in the binary at build time), renamed for `<name>`. Inside
//! an Elder Sync checkout (e.g. `connectors/<name>`) it uses the workspace's dependencies
//! and `make wasm` builds it; anywhere else it is a crate of its own that depends on the
//! SDK by path and builds with `scripts/build-wasm.sh --crate <dir> <out.wasm>`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The template's files, as `(path in the crate, text)`.
const TEMPLATE: [(&str, &str); 3] = [
    (
        "Cargo.toml",
        include_str!("../../../sdk/template/Cargo.toml"),
    ),
    (
        "plugin.toml",
        include_str!("../../../sdk/template/plugin.toml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../sdk/template/src/lib.rs"),
    ),
];

/// The template's connector id and package name, replaced by the new ones.
const TEMPLATE_ID: &str = "\"tasks\"";
const TEMPLATE_PACKAGE: &str = "elder-connector-template";

/// The SDK this binary was built with (the default `--sdk-path` outside a checkout).
const BUILT_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sdk");

/// The command's arguments.
pub struct NewArgs {
    pub name: String,
    pub dir: Option<PathBuf>,
    pub sdk_path: Option<PathBuf>,
}

/// Writes the crate and prints what to do next.
pub fn run(args: NewArgs) -> Result<()> {
    check_name(&args.name)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        bail!("{} exists and is not empty", dir.display());
    }
    let in_checkout = elder_workspace(&dir);
    for (path, text) in TEMPLATE {
        let text = match (path, in_checkout.is_some()) {
            ("Cargo.toml", true) => text.replace(TEMPLATE_PACKAGE, &package(&args.name)),
            ("Cargo.toml", false) => standalone_manifest(&args, text)?,
            _ => text.replace(TEMPLATE_ID, &format!("\"{}\"", args.name)),
        };
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap_or(&dir))?;
        std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
    }
    print_next_steps(&args.name, &dir, in_checkout.as_deref());
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        bail!(
            "the connector name {name:?} must be lowercase letters, digits and dashes, starting with a letter"
        );
    }
    Ok(())
}

fn package(name: &str) -> String {
    format!("{name}-connector")
}

/// The Elder Sync checkout `dir` would be inside (its root), if any: the nearest
/// ancestor whose Cargo.toml is a workspace naming the SDK.
fn elder_workspace(dir: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(dir).ok()?;
    abs.ancestors().skip(1).find_map(|a| {
        let text = std::fs::read_to_string(a.join("Cargo.toml")).ok()?;
        (text.contains("[workspace]") && text.contains("elder-connector-sdk"))
            .then(|| a.to_path_buf())
    })
}

/// The template's Cargo.toml made a crate of its own: concrete package fields, the SDK
/// by path, and the wasm build profile.
fn standalone_manifest(args: &NewArgs, template: &str) -> Result<String> {
    let sdk = args
        .sdk_path
        .clone()
        .unwrap_or_else(|| PathBuf::from(BUILT_SDK));
    let sdk = std::path::absolute(&sdk)
        .ok()
        .filter(|p| p.join("Cargo.toml").exists())
        .with_context(|| format!("no SDK at {} (pass --sdk-path)", sdk.display()))?;
    let sdk = sdk.canonicalize().unwrap_or(sdk);
    let mut out = String::new();
    for line in template.lines() {
        let line = match line.trim() {
            "edition.workspace = true" => "edition = \"2024\"".to_string(),
            "rust-version.workspace = true" => "rust-version = \"1.95\"".to_string(),
            "license.workspace = true" => "license = \"Apache-2.0\"".to_string(),
            "elder-connector-sdk.workspace = true" => {
                format!(
                    "elder-connector-sdk = {{ path = {:?} }}",
                    sdk.display().to_string()
                )
            }
            "serde.workspace = true" => {
                "serde = { version = \"1\", features = [\"derive\"] }".to_string()
            }
            "serde_json.workspace = true" => "serde_json = \"1\"".to_string(),
            _ => line.replace(TEMPLATE_PACKAGE, &package(&args.name)),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(
        "\n# A crate of its own, not a member of another workspace.\n[workspace]\n\n\
         # The wasm build (scripts/build-wasm.sh uses it): small and fast.\n\
         [profile.connector]\ninherits = \"release\"\nopt-level = 3\nlto = true\n\
         codegen-units = 1\npanic = \"abort\"\ndebug = false\n",
    );
    Ok(out)
}

fn print_next_steps(name: &str, dir: &Path, checkout: Option<&Path>) {
    println!("created connector {name} in {}", dir.display());
    println!("next:");
    let wasm = match checkout {
        Some(root) => {
            let in_connectors = std::path::absolute(dir)
                .is_ok_and(|d| d.parent() == Some(root.join("connectors").as_path()));
            if !in_connectors {
                println!(
                    "  add {} to [workspace] members in {}/Cargo.toml",
                    dir.display(),
                    root.display()
                );
            }
            let base = dir
                .file_name()
                .map_or(name.into(), |b| b.to_string_lossy().into_owned());
            println!(
                "  cargo test -p {}   # native unit tests (FakeHttp)",
                package(name)
            );
            println!("  make wasm   # builds target/connectors/{base}.wasm");
            format!("target/connectors/{base}.wasm")
        }
        None => {
            println!(
                "  (cd {} && cargo test)   # native unit tests (FakeHttp)",
                dir.display()
            );
            println!(
                "  bash <elder-sync checkout>/scripts/build-wasm.sh --crate {} {name}.wasm",
                dir.display()
            );
            format!("{name}.wasm")
        }
    };
    let manifest = dir.join("plugin.toml");
    println!(
        "  elder-sync plugin check {wasm} --manifest {}",
        manifest.display()
    );
    println!(
        "  elder-sync plugin install {wasm} --manifest {}",
        manifest.display()
    );
}
