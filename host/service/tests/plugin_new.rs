//! Issue 12: `elder-sync plugin new <name>` scaffolds a connector crate renamed for its id,
//! a crate of its own outside a checkout, and refuses bad names and occupied directories.
//! (That the crate builds, passes its tests and the kit as generated is run by
//! `sdk_readme.rs`, which follows the SDK README's steps.)

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
fn the_crate_is_renamed_for_its_id_and_stands_alone_outside_a_checkout() {
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
    let sdk = root().join("sdk");
    assert!(
        cargo.contains(&format!("path = \"{}\"", sdk.display())),
        "{cargo}"
    );
    assert!(cargo.contains("[profile.connector]"), "{cargo}");
    // That it builds, passes its tests and the kit: sdk_readme.rs runs the README's steps.
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
