//! Shared helpers for the end-to-end tests in `tests/e2e/tests/`: where the built
//! components are, and how to load one into a runtime.

use std::path::PathBuf;

pub mod component_harness;
pub mod platform_comments;
pub mod platform_harness;
pub mod platform_milestones;
pub mod platform_people;
pub mod service;
pub mod sync_harness;

/// Every Elder issue of `project_id`, across pages.
pub async fn project_issues(
    store: &elder_sync_store::Store,
    project_id: i64,
) -> Vec<elder_sync_store::Resource> {
    let filter = elder_sync_store::ResourceFilter {
        project_id: Some(project_id),
        ..elder_sync_store::ResourceFilter::default()
    };
    let mut out = Vec::new();
    for page in 1.. {
        let p = store
            .list_resources(
                elder_sync_model::Kind::Issue,
                &filter,
                elder_sync_store::PageRequest {
                    page,
                    per_page: 100,
                },
            )
            .await
            .expect("list issues");
        let n = p.items.len();
        out.extend(p.items);
        if n < 100 {
            break;
        }
    }
    out
}

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
