//! `/api/v1/issues/{id}/comments` on SQLite and PostgreSQL: add, list (oldest first, paged),
//! edit (optionally at an expected version), delete; 404 for an unknown issue or comment,
//! 422 naming an empty body or author, 400 for a bad id; reads for any token, writes for
//! admin ones only; and every write queues the issue's outbox work (one waiting row covers
//! several writes) so the sync engine carries it to the platforms.

mod common;

use axum::http::{Method, StatusCode};
use common::{Api, both_engines, err};
use elder_sync_model::Kind;
use elder_sync_store::OutboxOperation;
use serde_json::json;

both_engines!(
    comments_crud,
    comment_errors_name_the_problem,
    comment_writes_need_an_admin_token,
    comment_writes_queue_the_issues_outbox_work,
);

async fn issue(api: &Api) -> i64 {
    let (st, created) = api
        .post("/api/v1/issues", json!({"title": "Crash on save"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

async fn comments_crud(engine: elder_sync_store::testing::TestEngine) {
    let api = Api::new(engine).await;
    let id = issue(&api).await;
    let path = format!("/api/v1/issues/{id}/comments");
    let (st, first) = api
        .post(
            &path,
            json!({"body": "Seen on **1.2** too", "author": "ada"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    assert_eq!(
        (
            &first["body"],
            &first["author"],
            &first["origin"],
            &first["version"]
        ),
        (
            &json!("Seen on **1.2** too"),
            &json!("ada"),
            &json!("elder"),
            &json!(1)
        )
    );
    assert_eq!(first["issue_id"], id);
    let (_, second) = api
        .post(
            &path,
            json!({"body": "Fixed in 1.3", "author": "Bob Smith"}),
        )
        .await;

    let (st, page) = api.get(&format!("{path}?per_page=1&page=2")).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["body"], "Fixed in 1.3", "oldest first");

    let cid = first["id"].as_i64().unwrap();
    let (st, edited) = api
        .patch(
            &format!("{path}/{cid}"),
            json!({"body": "Seen on 1.2 and 1.1"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{edited}");
    assert_eq!(
        (&edited["body"], &edited["version"]),
        (&json!("Seen on 1.2 and 1.1"), &json!(2))
    );
    let (st, stale) = api
        .patch(
            &format!("{path}/{cid}"),
            json!({"body": "x", "expected_version": 1}),
        )
        .await;
    assert_eq!(
        (st, err(&stale).0.as_str()),
        (StatusCode::CONFLICT, "conflict")
    );

    let (st, _) = api.delete(&format!("{path}/{cid}")).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, page) = api.get(&path).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], second["id"]);
    let (st, again) = api.delete(&format!("{path}/{cid}")).await;
    assert_eq!(
        (st, err(&again).0.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

async fn comment_errors_name_the_problem(engine: elder_sync_store::testing::TestEngine) {
    let api = Api::new(engine).await;
    let id = issue(&api).await;
    let path = format!("/api/v1/issues/{id}/comments");
    let (st, b) = api
        .post(&path, json!({"body": "  ", "author": "ada"}))
        .await;
    assert_eq!(
        (st, err(&b)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ("validation_failed".to_string(), Some("body".to_string()))
        )
    );
    // A missing required field is a malformed body (400), as for every create in the API.
    let (st, b) = api.post(&path, json!({"body": "hi"})).await;
    assert_eq!(
        (st, err(&b).1),
        (StatusCode::BAD_REQUEST, Some("author".to_string()))
    );
    let (st, b) = api.post(&path, json!({"body": "hi", "author": " "})).await;
    assert_eq!(
        (st, err(&b).1),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("author".to_string()))
    );
    let (_, c) = api
        .post(&path, json!({"body": "hi", "author": "ada"}))
        .await;
    let cid = c["id"].as_i64().unwrap();
    let (st, b) = api
        .patch(&format!("{path}/{cid}"), json!({"body": ""}))
        .await;
    assert_eq!(
        (st, err(&b).1),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("body".to_string()))
    );

    for (m, p) in [
        (Method::GET, "/api/v1/issues/999/comments".to_string()),
        (Method::POST, "/api/v1/issues/999/comments".to_string()),
        (Method::PATCH, format!("/api/v1/issues/{id}/comments/999")),
        (Method::DELETE, format!("/api/v1/issues/{id}/comments/999")),
        (Method::PATCH, format!("/api/v1/issues/999/comments/{cid}")),
    ] {
        let admin = api.admin.clone();
        let body = match m {
            Method::POST => json!({"body": "x", "author": "a"}),
            _ => json!({"body": "x"}),
        };
        let (st, b) = api.call(m.clone(), &p, Some(&admin), Some(body)).await;
        assert_eq!(
            (st, err(&b).0.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{m} {p}"
        );
    }
    let (st, b) = api.delete(&format!("{path}/abc")).await;
    assert_eq!(
        (st, err(&b)),
        (
            StatusCode::BAD_REQUEST,
            ("invalid_path".to_string(), Some("cid".to_string()))
        )
    );
    // A deleted issue has no comments to show or take.
    api.delete(&format!("/api/v1/issues/{id}")).await;
    let (st, _) = api.get(&path).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    api.assert_no_secret_leaked();
}

async fn comment_writes_need_an_admin_token(engine: elder_sync_store::testing::TestEngine) {
    let api = Api::new(engine).await;
    let id = issue(&api).await;
    let path = format!("/api/v1/issues/{id}/comments");
    let (_, c) = api
        .post(&path, json!({"body": "hi", "author": "ada"}))
        .await;
    let one = format!("{path}/{}", c["id"]);
    let reader = api.reader.clone();
    let (st, _) = api.call(Method::GET, &path, Some(&reader), None).await;
    assert_eq!(st, StatusCode::OK);
    for (m, p) in [
        (Method::POST, &path),
        (Method::PATCH, &one),
        (Method::DELETE, &one),
    ] {
        let (st, b) = api
            .call(
                m.clone(),
                p,
                Some(&reader),
                Some(json!({"body": "x", "author": "a"})),
            )
            .await;
        assert_eq!(
            (st, err(&b).0.as_str()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{m} {p}"
        );
    }
    let (st, _) = api.call(Method::GET, &path, None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (_, page) = api.get(&path).await;
    assert_eq!(
        page["items"][0]["body"], "hi",
        "nothing a reader sent was written"
    );
}

async fn comment_writes_queue_the_issues_outbox_work(
    engine: elder_sync_store::testing::TestEngine,
) {
    let api = Api::new(engine).await;
    let id = issue(&api).await;
    let issue_rows = |rows: &[elder_sync_store::OutboxEntry]| {
        rows.iter()
            .filter(|e| e.resource_type == Kind::Issue && e.resource_id == id)
            .count()
    };
    let before = api.store.list_outbox(None, 100).await.unwrap();
    assert_eq!(issue_rows(&before), 1, "the issue's create");
    // The create row is still waiting: it covers the comment too.
    let path = format!("/api/v1/issues/{id}/comments");
    let (_, c) = api
        .post(&path, json!({"body": "hi", "author": "ada"}))
        .await;
    assert_eq!(
        issue_rows(&api.store.list_outbox(None, 100).await.unwrap()),
        1
    );
    // Once that row was taken by the engine, the next comment write queues a row of its own.
    let claimed = api
        .store
        .claim_outbox(10, std::time::Duration::from_secs(30), "test")
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    api.patch(&format!("{path}/{}", c["id"]), json!({"body": "hello"}))
        .await;
    let rows = api.store.list_outbox(None, 100).await.unwrap();
    assert_eq!(issue_rows(&rows), 2);
    assert_eq!(rows[0].operation, OutboxOperation::Update);
    assert_eq!(rows[0].snapshot["id"], id);
    // A second write while that row waits adds none.
    api.delete(&format!("{path}/{}", c["id"])).await;
    assert_eq!(
        issue_rows(&api.store.list_outbox(None, 100).await.unwrap()),
        2
    );
}
