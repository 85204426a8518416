//! The plugin host's OpenAPI document (from the handlers' annotations and the derives on its
//! real view types) lists exactly the routes it serves ([`ROUTES`]), and the one schema
//! written by hand, a connector's `config_schema` (the model's `ConfigField` carries no
//! derive), has exactly the fields a `ConfigField` serializes to. That each route is served
//! is checked over HTTP in `tests/api.rs`, and the answers against the schemas in
//! host/service/tests/openapi_conformance.

use std::collections::BTreeSet;

use elder_sync_model::ConfigField;
use elder_sync_plugins::api::{ROUTES, openapi};
use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(openapi()).unwrap()
}

#[test]
fn document_lists_exactly_the_plugin_routes() {
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, listed);
}

#[test]
fn the_config_schema_schema_has_the_fields_a_config_field_serializes_to() {
    let doc = document();
    let documented: BTreeSet<String> = doc["components"]["schemas"]["PluginConnector"]
        ["properties"]["config_schema"]["items"]["properties"]
        .as_object()
        .expect("config_schema items with properties")
        .keys()
        .cloned()
        .collect();
    let field = ConfigField {
        key: "api_token".into(),
        description: "token".into(),
        required: true,
        secret: true,
    };
    let served: BTreeSet<String> = serde_json::to_value(&field)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(documented, served);
}
