//! The contract is versioned for real: each released version's WIT files are frozen under
//! `wit/since_vX.Y.Z/` (their hash is pinned here, so an edit to a released contract fails
//! the suite); a component built straight from the frozen 1.0 files, not through the SDK
//! (`tests/guests/frozen-v1-0`), loads on this host, answers every call and is asked for
//! no comments; a component built through the SDK on the newest contract (1.1) loads with
//! the comment kinds it declares.

mod common;

use std::sync::{Arc, Mutex};

use common::{cfg, guest, runtime};
use elder_sync_model::{ConnectorError, Kind};
use elder_sync_runtime::{CallError, Runtime, RuntimeObserver, RuntimeSettings};
use sha2::{Digest, Sha256};

/// SHA-256 of each released `wit/since_vX.Y.Z/connector.wit`. Never change one: a change
/// to the contract is a new `wit/since_v1.x.0/` folder.
const FROZEN: &[(&str, &str)] = &[
    (
        "since_v1.0.0",
        "a783ca15f54ff2fb68d39fe2002698add9418d7ed96668713e424c6d9293d7bc",
    ),
    (
        "since_v1.1.0",
        "c8a08e0bb3d73fd2237ed394228f40482a921578923771c1d1b00d744876b053",
    ),
];

#[test]
fn the_released_contracts_are_frozen() {
    for (folder, pinned) in FROZEN {
        let path = format!(
            "{}/../../wit/{folder}/connector.wit",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read(&path).expect("a released contract file");
        assert_eq!(
            hex::encode(Sha256::digest(&text)),
            *pinned,
            "wit/{folder} was edited: released contracts are frozen; add a new minor instead"
        );
    }
}

/// Records which functions reached a guest.
#[derive(Default)]
struct Calls(Mutex<Vec<String>>);

impl RuntimeObserver for Calls {
    fn call_finished(&self, _connector: &str, function: &str, _outcome: &str, _secs: f64) {
        self.0.lock().unwrap().push(function.to_string());
    }
}

#[tokio::test]
async fn a_1_0_component_syncs_no_comments_and_is_never_asked_for_them() {
    let calls = Arc::new(Calls::default());
    let rt = Runtime::new(RuntimeSettings {
        observer: Some(calls.clone()),
        ..common::test_config()
    })
    .unwrap();
    let conn = rt
        .load(&guest("frozen-v1-0"))
        .expect("a 1.0 component loads");
    assert!(conn.comment_kinds().is_empty());

    let config = cfg(&[("project", "ACME")]);
    let unsupported = |r: Result<_, CallError>, what: &str| match r {
        Err(CallError::Connector(ConnectorError::Unsupported(m))) => assert_eq!(m, what),
        other => panic!("expected unsupported {what}, got {other:?}"),
    };
    unsupported(
        conn.list_comments(&config, Kind::Issue, "4")
            .await
            .map(|_| ()),
        "list-comments for issue",
    );
    unsupported(
        conn.create_comment(&config, Kind::Issue, "4", "hi")
            .await
            .map(|_| ()),
        "create-comment for issue",
    );
    unsupported(
        conn.update_comment(&config, Kind::Issue, "4", "1", "hi")
            .await
            .map(|_| ()),
        "update-comment for issue",
    );
    unsupported(
        conn.delete_comment(&config, Kind::Issue, "4", "1").await,
        "delete-comment for issue",
    );
    // None of them reached the guest; its 1.0 calls still do.
    assert!(calls.0.lock().unwrap().is_empty());
    conn.get(&config, Kind::Issue, "4").await.expect("get");
    assert_eq!(*calls.0.lock().unwrap(), ["get"]);
}

#[test]
fn a_1_1_component_built_through_the_sdk_loads_with_its_comment_kinds() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/connectors/github.wasm"
    );
    let bytes =
        std::fs::read(path).expect("target/connectors/github.wasm: run scripts/build-wasm.sh");
    let export = b"elder:connector/comments@1.1.0";
    assert!(
        bytes.windows(export.len()).any(|w| w == export),
        "the SDK builds 1.1 components (exporting comments)"
    );
    let conn = runtime().load(&bytes).expect("a 1.1 component loads");
    assert_eq!(conn.info().id, "github");
    assert_eq!(conn.comment_kinds(), [Kind::Issue]);
}

#[tokio::test]
async fn a_component_built_from_the_frozen_1_0_files_loads_and_answers() {
    let rt = runtime();
    let conn = rt
        .load(&guest("frozen-v1-0"))
        .expect("a 1.0 component loads on this host");
    assert_eq!(conn.info().id, "frozen-v1-0");
    assert_eq!(conn.info().kinds, vec![Kind::Issue]);

    let config = cfg(&[("project", "ACME")]);
    conn.validate_config(&config).await.expect("valid config");
    match conn.validate_config(&cfg(&[])).await {
        Err(CallError::Connector(ConnectorError::InvalidConfig(m))) => {
            assert!(m.contains("project"), "{m}")
        }
        other => panic!("expected invalid-config, got {other:?}"),
    }

    let mut cursor = None;
    let mut titles = Vec::new();
    loop {
        let page = conn
            .list_changes(&config, Kind::Issue, cursor.clone(), 3)
            .await
            .expect("list-changes");
        titles.extend(page.items.iter().map(|i| i.title.clone()));
        if !page.has_more {
            break;
        }
        cursor = page.next_cursor;
    }
    assert_eq!(titles.len(), 7);
    assert_eq!(titles[6], "ACME issue 7");

    let item = conn.get(&config, Kind::Issue, "4").await.expect("get");
    assert_eq!(item.title, "ACME issue 4");
    let changes = conn
        .parse_webhook(&config, Vec::new(), br#"{"issue": 5}"#.to_vec())
        .await
        .expect("a delivery parses");
    assert_eq!(changes[0].external_id, "5");
}
