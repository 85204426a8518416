//! Issue 12: sdk/README.md walks a newcomer from `plugin new` to a connector installed in a
//! running host, and every code block in it is built here or by rustdoc: its Rust blocks are
//! the SDK's doctests, its manifest (TOML) blocks are parsed as the host parses manifests,
//! and its shell blocks (marked `<!-- readme-test: NAME -->`) run as written: the scaffold
//! block outside any checkout (new crate, native tests, wasm build, conformance kit), the
//! install block against a running service.

use std::path::{Path, PathBuf};
use std::process::Command;

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_plugins::Manifest;
use elder_sync_store::testing::TestEngine;

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn readme() -> String {
    std::fs::read_to_string(root().join("sdk/README.md")).unwrap()
}

/// The fenced block right after the marker `<!-- readme-test: name -->`.
fn marked_block(text: &str, name: &str) -> String {
    let marker = format!("<!-- readme-test: {name} -->");
    let after = &text[text.find(&marker).unwrap_or_else(|| panic!("no {marker}")) + marker.len()..];
    let body = after
        .trim_start()
        .strip_prefix("```sh\n")
        .expect("a ```sh block");
    body[..body.find("```").expect("closed")].to_string()
}

/// Every fenced block of `lang`.
fn blocks<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    let fence = format!("```{lang}\n");
    text.split(&fence)
        .skip(1)
        .map(|rest| &rest[..rest.find("```").expect("closed")])
        .collect()
}

/// Runs a README shell block with `bash -euo pipefail` in `dir`, the built `elder-sync`
/// first on PATH; its output, or a panic with it.
fn run_block(block: &str, dir: &Path, env: &[(&str, String)]) -> String {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", block])
        .current_dir(dir)
        .env("PATH", path)
        .env("ELDER_SYNC_CHECKOUT", root())
        // Native builds of generated crates share one target dir between runs.
        .env("CARGO_TARGET_DIR", root().join("target/readme-native"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the README block failed:\n{block}\n---\n{text}"
    );
    text
}

#[test]
fn the_manifest_blocks_are_manifests_the_host_accepts() {
    let text = readme();
    let tomls = blocks(&text, "toml");
    assert!(!tomls.is_empty());
    for block in tomls {
        Manifest::parse(block).unwrap_or_else(|e| panic!("{e}:\n{block}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_runs_from_plugin_new_to_a_config_in_a_running_host() {
    let text = readme();
    let work = tempfile::tempdir().unwrap();

    let said = run_block(&marked_block(&text, "scaffold"), work.path(), &[]);
    assert!(said.contains("conformance: passed"), "{said}");
    assert!(
        said.contains("acme-tracker 0.1.0"),
        "the kit saw the new id:\n{said}"
    );
    let crate_dir = work.path().join("acme-tracker");
    assert!(crate_dir.join("acme-tracker.wasm").exists());

    let service = Service::start(
        BIN,
        ServiceOptions::new(TestEngine::Sqlite).connectors(&["github"]),
    )
    .await;
    let said = run_block(
        &marked_block(&text, "install"),
        &crate_dir,
        &[
            ("ELDER_API_URL", service.url("")),
            ("ELDER_API_TOKEN", service.admin_token.clone()),
        ],
    );
    assert!(
        said.contains("\"config_schema\""),
        "the schema was shown:\n{said}"
    );
    assert!(
        said.contains("\"webhook_secret\""),
        "a generated secret, once:\n{said}"
    );
    let (status, configs) = service.get("/sync/configs").await;
    assert_eq!(status, 200, "{configs}");
    assert!(
        configs
            .to_string()
            .contains("\"platform\":\"acme-tracker\""),
        "the config serves the new connector: {configs}"
    );
    assert!(
        !configs.to_string().contains("tok-123"),
        "the token came back: {configs}"
    );
}
