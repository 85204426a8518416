//! Shared setup of the component-level e2e tests (`tests/{github,gitlab,jira,trello,
//! openproject}.rs`): one runtime (plain HTTP allowed, for the simulators) and one compiled
//! connector per test binary, a connector config from key/value pairs, the
//! simulator/connector/config triple each test works on, and walking a listing's pages.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use elder_sync_model::{ConnectorError, Item, Kind};
use elder_sync_runtime::{CallError, ConnectorSettings, LoadedConnector, Runtime, RuntimeSettings};

use crate::connector_component;

/// A listing walks at most this many pages before the test fails as non-terminating.
const MAX_PAGES: usize = 50;

/// The built connector `target/connectors/<name>.wasm`, compiled once per test binary in
/// a runtime that allows plain HTTP (the simulators listen on `http://127.0.0.1`).
pub fn shared_connector(name: &str) -> Arc<LoadedConnector> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    static LOADED: OnceLock<Mutex<BTreeMap<String, Arc<LoadedConnector>>>> = OnceLock::new();
    let mut loaded = LOADED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(connector) = loaded.get(name) {
        return connector.clone();
    }
    let runtime = RUNTIME.get_or_init(|| {
        Runtime::new(RuntimeSettings {
            allow_plain_http: true,
            allow_private_networks: true,
            ..Default::default()
        })
        .expect("runtime")
    });
    let connector = runtime
        .load(&connector_component(name))
        .unwrap_or_else(|e| panic!("connector {name} does not load: {e}"));
    loaded.insert(name.to_string(), connector.clone());
    connector
}

/// A connector config of `values`, then `extra` (which wins on the same key).
pub fn connector_settings(values: &[(&str, &str)], extra: &[(&str, &str)]) -> ConnectorSettings {
    let values = values
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ConnectorSettings::new(values)
}

/// The connector's own error of a failed call; panics on a host-side failure.
pub fn connector_error(e: CallError) -> ConnectorError {
    match e {
        CallError::Connector(c) => c,
        other => panic!("expected a connector error, got {other:?}"),
    }
}

/// A platform simulator with the connector for it and a config pointing at it.
pub struct ComponentEnv<S> {
    pub sim: S,
    pub connector: Arc<LoadedConnector>,
    pub config: ConnectorSettings,
}

/// Everything one walk of `list_changes` returned.
#[derive(Debug)]
pub struct Listing {
    pub items: Vec<Item>,
    pub deleted_ids: Vec<String>,
    /// The cursor of the last page (what a poller stores).
    pub cursor: Option<String>,
    pub pages: usize,
}

impl<S> ComponentEnv<S> {
    /// `sim` with the shared connector `name` and `config`.
    pub fn new(sim: S, name: &str, config: ConnectorSettings) -> Self {
        ComponentEnv {
            sim,
            connector: shared_connector(name),
            config,
        }
    }

    /// Lists `kind` from `cursor` page by page until `has_more` is false.
    pub async fn list_all(&self, kind: Kind, cursor: Option<String>, page_size: u32) -> Listing {
        let mut listing = Listing {
            items: Vec::new(),
            deleted_ids: Vec::new(),
            cursor,
            pages: 0,
        };
        loop {
            let page = self
                .connector
                .list_changes(&self.config, kind, listing.cursor.clone(), page_size)
                .await
                .unwrap();
            listing.pages += 1;
            listing.items.extend(page.items);
            listing.deleted_ids.extend(page.deleted_ids);
            listing.cursor = page.next_cursor;
            if !page.has_more {
                return listing;
            }
            assert!(listing.pages < MAX_PAGES, "listing does not terminate");
        }
    }
}
