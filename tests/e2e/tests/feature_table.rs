//! Issue 14: README's feature table (platform × kind × direction) is generated from what
//! the connectors declare (`describe`: kinds and comment kinds, read from the built
//! components) and what `tests/e2e/proofs.toml` says the end-to-end tests prove. These tests
//! fail when a test the table names is renamed or deleted, when a declared kind lacks an
//! entry (or an entry claims an undeclared one), and when README's section is out of date;
//! `ELDER_UPDATE_README=1` rewrites the section instead (`make readme`).

#[path = "feature_table/proofs.rs"]
mod proofs;
#[path = "feature_table/readme.rs"]
mod readme;
#[path = "feature_table/render.rs"]
mod render;

use std::path::PathBuf;

use elder_sync_e2e::component_harness::shared_connector;
use elder_sync_e2e::workspace_root;
use proofs::{Declared, PLATFORMS, Proofs};

/// How to bring README up to date.
const REGENERATE: &str = "ELDER_UPDATE_README=1 cargo nextest run --workspace --test feature_table";

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_proofs() -> Proofs {
    Proofs::load(&e2e_dir().join("proofs.toml"))
}

/// What each of the five built connectors declares.
fn declared() -> Vec<Declared> {
    PLATFORMS
        .iter()
        .map(|(id, _)| {
            let c = shared_connector(id);
            Declared {
                platform: id,
                kinds: c.info().kinds.clone(),
                comment_kinds: c.comment_kinds().to_vec(),
            }
        })
        .collect()
}

/// Fails listing every problem, one a line.
fn assert_none(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what} (tests/e2e/proofs.toml):\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn every_test_the_table_names_exists() {
    let proofs = load_proofs();
    assert_none("malformed entries", proofs::shape_problems(&proofs));
    let problems = proofs::test_problems(&proofs, &e2e_dir().join("tests"));
    assert_none("named tests that do not exist", problems);
}

/// One test loads the connectors (compiling five components is most of its time): the
/// table must cover exactly what they declare before README is compared or rewritten.
#[test]
fn readme_shows_the_table_of_what_the_connectors_declare_and_the_tests_prove() {
    let proofs = load_proofs();
    let declared = declared();
    assert_none("malformed entries", proofs::shape_problems(&proofs));
    let problems = proofs::coverage_problems(&proofs, &declared);
    assert_none("the table and the connectors disagree", problems);
    let section = readme::section_for(&render::render(&proofs, &declared));
    if std::env::var("ELDER_UPDATE_README").is_ok_and(|v| v == "1") {
        rewrite_readme(&section);
    } else {
        assert_readme_shows(&section);
    }
}

fn readme_path() -> PathBuf {
    workspace_root().join("README.md")
}

/// Replaces README's generated section with `section`.
fn rewrite_readme(section: &str) {
    let text = std::fs::read_to_string(readme_path()).expect("README.md");
    let updated = readme::replace(&text, section).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(readme_path(), updated).expect("write README.md");
}

/// Fails, saying how to regenerate it, when README's section is not `section`.
fn assert_readme_shows(section: &str) {
    let text = std::fs::read_to_string(readme_path()).expect("README.md");
    let range = readme::section(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text[range] == *section,
        "README's feature table is out of date; regenerate it with\n    {REGENERATE}\n(or `make readme`). The table should read:\n{section}"
    );
}
