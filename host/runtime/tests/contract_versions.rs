//! The contract is versioned for real: each released version's WIT files are frozen under
//! `wit/since_vX.Y.Z/` (their hash is pinned here, so an edit to a released contract fails
//! the suite), and a component built straight from the frozen 1.0 files, not through the
//! SDK (`tests/guests/frozen-v1-0`), loads on this host and answers every call.

mod common;

use common::{cfg, guest, runtime};
use elder_sync_model::{ConnectorError, Kind};
use elder_sync_runtime::CallError;
use sha2::{Digest, Sha256};

/// SHA-256 of `wit/since_v1.0.0/connector.wit` as released. Never change it: a change to
/// the contract is a new `wit/since_v1.x.0/` folder.
const FROZEN_V1_0: &str = "a783ca15f54ff2fb68d39fe2002698add9418d7ed96668713e424c6d9293d7bc";

#[test]
fn the_released_1_0_contract_is_frozen() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../wit/since_v1.0.0/connector.wit"
    );
    let text = std::fs::read(path).expect("wit/since_v1.0.0/connector.wit");
    assert_eq!(
        hex::encode(Sha256::digest(&text)),
        FROZEN_V1_0,
        "wit/since_v1.0.0 was edited: released contracts are frozen; add wit/since_v1.1.0 instead"
    );
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
