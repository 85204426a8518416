//! The API's OpenAPI document is kept true: it lists exactly this API's routes, and every documented operation of this API is served by its router
//! (neither "no such route" nor 405). The sync engine and the plugin host document
//! their own routes; the document the service serves (all of them) is checked in
//! host/service/tests/openapi_conformance.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::Api;
use elder_sync_store::testing::TestEngine;

fn expected() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut add = |m: &str, p: &str| out.insert((m.to_string(), p.to_string()));
    add("get", "/api/v1/sync/configs");
    add("post", "/api/v1/sync/configs");
    for m in ["get", "patch", "delete"] {
        add(m, "/api/v1/sync/configs/{id}");
    }
    add("get", "/api/v1/sync/history");
    add("get", "/api/v1/sync/status");
    add("get", "/api/v1/sync/conflicts");
    add("get", "/api/v1/sync/mappings");
    add("get", "/api/v1/sync/dead-letters");
    add("post", "/api/v1/sync/dead-letters/{id}/retry");
    add("delete", "/api/v1/sync/dead-letters/{id}");
    add("get", "/api/v1/issues/{id}/comments");
    add("post", "/api/v1/issues/{id}/comments");
    add("patch", "/api/v1/issues/{id}/comments/{cid}");
    add("delete", "/api/v1/issues/{id}/comments/{cid}");
    for r in ["issues", "projects", "milestones", "labels", "identities"] {
        add("get", &format!("/api/v1/{r}"));
        add("post", &format!("/api/v1/{r}"));
        for m in ["get", "patch", "delete"] {
            add(m, &format!("/api/v1/{r}/{{id}}"));
        }
    }
    out
}

fn documented() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(elder_sync_api::openapi()).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "patch", "delete", "put"].contains(&method.as_str()) {
                out.insert((method.clone(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn document_lists_exactly_the_api() {
    assert_eq!(documented(), expected());
}

#[test]
fn every_operation_has_responses_and_schemas_resolve() {
    let doc = serde_json::to_value(elder_sync_api::openapi()).unwrap();
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (start, _) in text.match_indices("#/components/schemas/") {
        let name: String = text[start + 21..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        assert!(
            schemas.contains_key(&name),
            "dangling schema reference {name}"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let api = Api::new(TestEngine::Sqlite).await;
    for (method, path) in documented() {
        let path = path.replace("{id}", "1");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = (m != Method::GET && m != Method::DELETE).then(|| serde_json::json!({}));
        let (st, b) = api.call(m, &path, Some(&api.admin.clone()), body).await;
        assert_ne!(st, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(b["error"]["code"], "route_not_found", "{method} {path}");
    }
    let (st, served) = api
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        served,
        serde_json::to_value(elder_sync_api::openapi()).unwrap()
    );
}
