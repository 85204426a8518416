//! A connector that breaks, one way each, every rule the conformance kit
//! (`elder-sync plugin check`) checks: its describe disagrees with its manifest and
//! declares webhooks no host could verify, validate-config accepts a config without its
//! required key, parse-webhook traps on garbage, list-changes never ends, and get traps.
//! Built from the frozen 1.0 contract with wit-bindgen (test only).

wit_bindgen::generate!({
    path: "../../../wit/since_v1.0.0",
    world: "connector-world",
    generate_all,
});

use elder::connector::types::{
    Change, Config, ConnectorError, Item, ItemPatch, Kind, NewItem, Page,
};
use exports::elder::connector::connector::{ConfigField, ConnectorInfo, Guest, WebhookInfo};

struct Breaker;

fn unsupported<T>() -> Result<T, ConnectorError> {
    Err(ConnectorError::Unsupported("not supported".into()))
}

impl Guest for Breaker {
    fn describe() -> ConnectorInfo {
        ConnectorInfo {
            id: "contract-breaker".into(),
            // Its manifest says 1.0.0.
            version: "1.0.1".into(),
            platform: "breaker".into(),
            kinds: vec![Kind::Issue, Kind::Label],
            config_schema: vec![ConfigField {
                key: "project".into(),
                description: "Required, yet never checked".into(),
                required: true,
                secret: false,
            }],
            auth: Vec::new(),
            webhooks: Some(WebhookInfo {
                schemes: Vec::new(),
                delivery_id_headers: Vec::new(),
            }),
            hosts: Vec::new(),
        }
    }

    fn validate_config(_: Config) -> Result<(), ConnectorError> {
        Ok(())
    }

    fn test_connection(_: Config) -> Result<String, ConnectorError> {
        Ok("fine".into())
    }

    fn list_changes(
        _: Config,
        _: Kind,
        cursor: Option<String>,
        _: u32,
    ) -> Result<Page, ConnectorError> {
        let next = cursor.and_then(|c| c.parse::<u64>().ok()).unwrap_or(0) + 1;
        Ok(Page {
            items: Vec::new(),
            deleted_ids: Vec::new(),
            next_cursor: Some(next.to_string()),
            has_more: true,
        })
    }

    fn get(_: Config, _: Kind, external_id: String) -> Result<Item, ConnectorError> {
        panic!("get({external_id}) was never written")
    }

    fn create(_: Config, _: NewItem) -> Result<Item, ConnectorError> {
        unsupported()
    }

    fn update(_: Config, _: Kind, _: String, _: ItemPatch) -> Result<Item, ConnectorError> {
        unsupported()
    }

    fn close(_: Config, _: Kind, _: String) -> Result<Item, ConnectorError> {
        unsupported()
    }

    fn reopen(_: Config, _: Kind, _: String) -> Result<Item, ConnectorError> {
        unsupported()
    }

    fn delete(_: Config, _: Kind, _: String) -> Result<(), ConnectorError> {
        unsupported()
    }

    fn parse_webhook(
        _: Config,
        _: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<Vec<Change>, ConnectorError> {
        let text = String::from_utf8(body).expect("webhook bodies are always UTF-8");
        panic!("cannot parse {text}")
    }
}

// Exported symbols exist only in the wasm build: a native build (cargo test --workspace)
// type-checks the impl and exports nothing.
#[cfg(target_arch = "wasm32")]
export!(Breaker);
