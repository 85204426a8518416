//! Shared helpers for the end-to-end tests in `tests/e2e/tests/`: where the built
//! components are, and how to load one into a runtime.

use std::path::PathBuf;

pub mod component_harness;
pub mod platform_harness;
pub mod platform_people;
pub mod sync_harness;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Bytes of the built connector component `target/connectors/<name>.wasm`.
///
/// Panics with instructions when it has not been built: `make test` builds it first.
pub fn connector_component(name: &str) -> Vec<u8> {
    read_built(&workspace_root().join(format!("target/connectors/{name}.wasm")))
}

/// Bytes of the built test guest `target/test-guests/<name>.wasm`.
pub fn test_guest_component(name: &str) -> Vec<u8> {
    read_built(&workspace_root().join(format!("target/test-guests/{name}.wasm")))
}

fn read_built(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): build the components with `scripts/build-wasm.sh` (`make test` does it first)",
            path.display()
        )
    })
}
