//! The plugin routes' entries in the API's OpenAPI document (host/api `plugin_routes.rs`)
//! stay true to this crate: they are exactly [`PLUGIN_ROUTES`], and the documented bodies
//! have exactly the fields the handlers answer. That each is served is checked over HTTP
//! in `tests/api.rs`.

use std::collections::BTreeSet;

use elder_sync_api::PLUGIN_ROUTES;
use elder_sync_model::{ConfigField, ConnectorInfo, Kind, WebhookInfo, WebhookScheme};
use elder_sync_plugins::host::VersionView;
use elder_sync_plugins::{
    CacheStats, ConnectorView, Limits, ManifestDiff, PendingView, PluginDetail, PluginView,
};
use serde::Serialize;
use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(elder_sync_api::openapi()).unwrap()
}

/// The property names of a component schema of the document.
fn schema_fields(doc: &Value, name: &str) -> BTreeSet<String> {
    let props = doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {name} with properties in the document"));
    props.keys().cloned().collect()
}

/// The field names `value` serializes to.
fn fields(value: &impl Serialize) -> BTreeSet<String> {
    let value = serde_json::to_value(value).unwrap();
    value.as_object().unwrap().keys().cloned().collect()
}

fn plugin_view() -> PluginView {
    PluginView {
        id: "github".into(),
        version: "1.0.0".into(),
        platform: "github".into(),
        enabled: true,
        source_hash: "ab".repeat(32),
        loaded_at: "2026-01-01T00:00:00Z".into(),
        calls: 3,
        errors: 1,
        hosts: vec!["api.github.com".into()],
        limits: Limits::default(),
        previous: None,
        draining: 0,
    }
}

#[test]
fn document_lists_exactly_the_plugin_routes() {
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/api/v1/plugins") {
            for method in item.as_object().unwrap().keys() {
                documented.insert((method.clone(), path.clone()));
            }
        }
    }
    let listed: BTreeSet<(String, String)> = PLUGIN_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, listed);
}

#[test]
fn documented_bodies_have_the_fields_the_handlers_answer() {
    let doc = document();
    let view = plugin_view();
    assert_eq!(schema_fields(&doc, "Plugin"), fields(&view));
    assert_eq!(schema_fields(&doc, "PluginLimits"), fields(&view.limits));
    let previous = VersionView {
        version: "0.9.0".into(),
        source_hash: "cd".repeat(32),
    };
    assert_eq!(schema_fields(&doc, "PluginVersion"), fields(&previous));
    let diff = ManifestDiff {
        added_hosts: vec!["evil.example".into()],
        removed_hosts: vec![],
        lines: vec!["+hosts = [\"evil.example\"]".into()],
        surface: vec!["secret flag dropped: api_token (still withheld from the connector)".into()],
    };
    assert_eq!(schema_fields(&doc, "PluginManifestDiff"), fields(&diff));
    let pending = PendingView {
        id: "github".into(),
        version: "1.1.0".into(),
        source_hash: "ef".repeat(32),
        diff,
    };
    assert_eq!(schema_fields(&doc, "PendingPlugin"), fields(&pending));
    assert_eq!(
        schema_fields(&doc, "PluginCacheStats"),
        fields(&CacheStats::default())
    );

    let info = ConnectorInfo {
        id: "tracker".into(),
        version: "1.0.0".into(),
        platform: "tracker".into(),
        kinds: vec![Kind::Issue],
        config_schema: vec![ConfigField {
            key: "api_token".into(),
            description: "token".into(),
            required: true,
            secret: true,
        }],
        auth: vec![],
        webhooks: Some(WebhookInfo {
            schemes: vec![WebhookScheme::SharedToken("X-Token".into())],
            delivery_id_headers: vec![],
        }),
        hosts: vec!["{base_url}".into()],
    };
    let detail = PluginDetail {
        plugin: view,
        connector: ConnectorView::of(&info),
    };
    assert_eq!(schema_fields(&doc, "PluginDetail"), fields(&detail));
    assert_eq!(
        schema_fields(&doc, "PluginConnector"),
        fields(&detail.connector)
    );
    assert_eq!(
        schema_fields(&doc, "PluginConfigField"),
        fields(&detail.connector.config_schema[0])
    );
    let webhooks = detail.connector.webhooks.as_ref().unwrap();
    assert_eq!(schema_fields(&doc, "PluginWebhooks"), fields(webhooks));
    assert_eq!(
        schema_fields(&doc, "PluginWebhookScheme"),
        fields(&webhooks.schemes[0])
    );
}
