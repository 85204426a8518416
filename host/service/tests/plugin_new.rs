//! Issue 12: `elder-sync plugin new <name>` scaffolds a connector crate that, outside any
//! checkout, builds to a component with the project's wasm recipe
//! (`scripts/build-wasm.sh --crate`), passes its own native tests, and passes the
//! conformance kit as it is, under the id it was given.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn new_crate(name: &str, dir: &Path) -> String {
    run(Command::new(BIN)
        .args(["plugin", "new", name, "--dir"])
        .arg(dir))
}

#[test]
fn a_new_connector_builds_and_passes_the_kit_out_of_the_box() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("acme-tracker");
    let said = new_crate("acme-tracker", &dir);
    assert!(said.contains("plugin check"), "{said}");
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).unwrap();
    assert!(manifest.contains("id = \"acme-tracker\""), "{manifest}");
    let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains("name = \"acme-tracker-connector\""),
        "{cargo}"
    );
    assert!(cargo.contains("[workspace]"), "a crate of its own: {cargo}");

    // Its native tests (FakeHttp) pass as generated; a target dir shared between runs.
    let native_target = root().join("target/plugin-new-native");
    run(Command::new("cargo")
        .args(["test", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&native_target));

    // The project's wasm recipe builds it to a component.
    let wasm = work.path().join("acme-tracker.wasm");
    run(Command::new("bash")
        .arg(root().join("scripts/build-wasm.sh"))
        .arg("--crate")
        .arg(&dir)
        .arg(&wasm));
    assert!(work.path().join("acme-tracker.toml").exists());

    // And the conformance kit passes it, under its new id.
    let table = run(Command::new(BIN)
        .args(["plugin", "check"])
        .arg(&wasm)
        .arg("--manifest")
        .arg(dir.join("plugin.toml")));
    assert!(table.contains("conformance: passed"), "{table}");
    assert!(table.contains("acme-tracker 0.1.0"), "{table}");
}

#[test]
fn bad_names_and_occupied_directories_are_refused() {
    let work = tempfile::tempdir().unwrap();
    for bad in ["Acme", "1st", "a b", ""] {
        let out = Command::new(BIN)
            .args(["plugin", "new", bad, "--dir"])
            .arg(work.path().join("x"))
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?} was accepted");
    }
    std::fs::write(work.path().join("keep.txt"), "mine").unwrap();
    let out = Command::new(BIN)
        .args(["plugin", "new", "fine", "--dir"])
        .arg(work.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(work.path().join("keep.txt")).unwrap(),
        "mine"
    );
}
