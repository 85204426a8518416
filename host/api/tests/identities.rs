//! `/api/v1/identities` and the people/status fields on SQLite and PostgreSQL: create, list,
//! get, patch (accounts added, replaced and removed per platform), delete; 4xx answers with
//! a JSON body naming the problem; reads for any token, writes for admin ones only; and
//! `config_json.status_map` validated with a 422 naming the entry.

mod common;

use axum::http::{Method, StatusCode};
use common::{Api, both_engines, err};
use serde_json::{Value, json};

both_engines!(
    identities_crud,
    identity_errors_name_the_problem,
    identity_writes_need_an_admin_token,
    status_map_is_validated,
    issues_carry_a_status_name,
);

fn ada() -> Value {
    json!({"handle": "ada", "name": "Ada Lovelace", "email": "Ada@Example.com",
           "accounts": {"github": "octocat", "jira": "557058:ada"}})
}

async fn identities_crud(engine: elder_sync_store::testing::TestEngine) {
    let api = Api::new(engine).await;
    let (st, created) = api.post("/api/v1/identities", ada()).await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["handle"], "ada");
    assert_eq!(
        created["accounts"],
        json!({"github": "octocat", "jira": "557058:ada"})
    );

    let (st, one) = api.get(&format!("/api/v1/identities/{id}")).await;
    assert_eq!(
        (st, one["email"].as_str()),
        (StatusCode::OK, Some("Ada@Example.com"))
    );

    let (st, patched) = api
        .patch(
            &format!("/api/v1/identities/{id}"),
            json!({"accounts": {"jira": null, "trello": "5f1a"}, "name": "Ada L."}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{patched}");
    assert_eq!(
        patched["accounts"],
        json!({"github": "octocat", "trello": "5f1a"})
    );
    assert_eq!(patched["name"], "Ada L.");
    assert_eq!(patched["handle"], "ada", "unchanged");

    api.post("/api/v1/identities", json!({"handle": "bob"}))
        .await;
    let (st, page) = api.get("/api/v1/identities?page=1&per_page=1").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    assert_eq!(page["items"][0]["handle"], "ada");

    let (st, _) = api.delete(&format!("/api/v1/identities/{id}")).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, gone) = api.get(&format!("/api/v1/identities/{id}")).await;
    assert_eq!(
        (st, err(&gone).0.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    // Its accounts went with it: the login can belong to someone else now.
    let (st, b) = api
        .post(
            "/api/v1/identities",
            json!({"handle": "ada2", "accounts": {"github": "octocat"}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
}

async fn identity_errors_name_the_problem(engine: elder_sync_store::testing::TestEngine) {
    let api = Api::new(engine).await;
    let (st, _) = api.post("/api/v1/identities", ada()).await;
    assert_eq!(st, StatusCode::CREATED);
    let cases = [
        (json!({"handle": " "}), "handle"),
        (json!({"handle": "x".repeat(201)}), "handle"),
        (json!({"handle": "c", "email": "not an email"}), "email"),
        (
            json!({"handle": "c", "accounts": {"GitHub!": "x"}}),
            "accounts.GitHub!",
        ),
        (
            json!({"handle": "c", "accounts": {"github": ""}}),
            "accounts.github",
        ),
    ];
    for (body, field) in cases {
        let (st, resp) = api.post("/api/v1/identities", body.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {resp}");
        assert_eq!(
            err(&resp),
            ("validation_failed".into(), Some(field.into())),
            "{body}"
        );
    }
    // Taken: the handle, the email (case-insensitively), an account.
    for body in [
        json!({"handle": "ada"}),
        json!({"handle": "c", "email": "ada@example.COM"}),
        json!({"handle": "c", "accounts": {"github": "octocat"}}),
    ] {
        let (st, resp) = api.post("/api/v1/identities", body.clone()).await;
        assert_eq!(
            (st, err(&resp).0.as_str()),
            (StatusCode::CONFLICT, "conflict"),
            "{body}"
        );
    }
    let (st, resp) = api
        .post("/api/v1/identities", json!({"handle": "c", "login": "x"}))
        .await;
    assert!(st.is_client_error(), "unknown field: {st}");
    err(&resp);
    let (st, resp) = api
        .patch("/api/v1/identities/999", json!({"name": "x"}))
        .await;
    assert_eq!(
        (st, err(&resp).0.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (st, resp) = api
        .patch("/api/v1/identities/1", json!({"email": "nope"}))
        .await;
    assert_eq!(
        err(&resp),
        ("validation_failed".into(), Some("email".into())),
        "{st}"
    );
}

async fn identity_writes_need_an_admin_token(engine: elder_sync_store::testing::TestEngine) {
    let api = Api::new(engine).await;
    api.post("/api/v1/identities", ada()).await;
    let reader = api.reader.clone();
    let (st, _) = api
        .call(Method::GET, "/api/v1/identities", Some(&reader), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    for (m, path) in [
        (Method::POST, "/api/v1/identities"),
        (Method::PATCH, "/api/v1/identities/1"),
        (Method::DELETE, "/api/v1/identities/1"),
    ] {
        let (st, b) = api
            .call(m.clone(), path, Some(&reader), Some(json!({"handle": "x"})))
            .await;
        assert_eq!(
            (st, err(&b).0.as_str()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{m} {path}"
        );
    }
    let (st, _) = api
        .call(Method::GET, "/api/v1/identities", None, None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

async fn status_map_is_validated(engine: elder_sync_store::testing::TestEngine) {
    let api = Api::new(engine).await;
    let body = |map: Value| {
        json!({"name": "t", "platform": "trello", "webhook_enabled": false, "config_json": {
            "board_id": "b1", "api_key": "k", "api_token": "t", "status_map": map}})
    };
    let cases = [
        (json!(["Review"]), "config_json.status_map"),
        (json!("not json"), "config_json.status_map"),
        (json!({"In Review": 7}), "config_json.status_map.In Review"),
        (
            json!({"In Review": "Review", "QA": "review"}),
            "config_json.status_map.QA",
        ),
    ];
    for (map, field) in cases {
        let (st, resp) = api.post("/api/v1/sync/configs", body(map.clone())).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{map} -> {resp}");
        assert_eq!(
            err(&resp),
            ("validation_failed".into(), Some(field.into())),
            "{map}"
        );
    }
    let (st, resp) = api
        .post(
            "/api/v1/sync/configs",
            body(json!({"In Review": "Review", "closed": "Done"})),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{resp}");
    let (st, resp) = api
        .patch(
            "/api/v1/sync/configs/1",
            json!({"config_json": {"status_map": {"A": ""}}}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{resp}");
    assert_eq!(err(&resp).1.as_deref(), Some("config_json.status_map.A"));
}

async fn issues_carry_a_status_name(engine: elder_sync_store::testing::TestEngine) {
    let api = Api::new(engine).await;
    let (st, issue) = api
        .post(
            "/api/v1/issues",
            json!({"title": "T", "status_name": "In Review"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{issue}");
    assert_eq!(issue["status_name"], "In Review");
    let id = issue["id"].as_i64().unwrap();
    let (_, patched) = api
        .patch(
            &format!("/api/v1/issues/{id}"),
            json!({"status_name": null}),
        )
        .await;
    assert_eq!(patched["status_name"], Value::Null);
    let (st, resp) = api
        .patch(&format!("/api/v1/issues/{id}"), json!({"status_name": " "}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err(&resp).1.as_deref(), Some("status_name"));
}
