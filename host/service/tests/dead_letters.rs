//! Issue 13, dead letters, against the real `elder-sync serve` and the GitHub simulator, on
//! SQLite and PostgreSQL: work that failed for good is listed with its last error at
//! `GET /api/v1/sync/dead-letters` (by config and source), counted in `/api/v1/sync/status`
//! and `/metrics`, retried (`POST .../{id}/retry`, admin only) or dropped (`DELETE`); a
//! platform's redelivery of a parked delivery queues it again instead of "duplicate".

use std::time::Duration;

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{GithubOptions, GithubSim, SeedIssue, sign};
use serde_json::{Value, json};

mod common;

use common::{SECRET, github_settings, imported_github_config};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");
const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_retried_and_dropped_on_sqlite() {
    dead_letters(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_retried_and_dropped_on_postgres() {
    dead_letters(TestEngine::Postgres).await;
}

async fn dead_letters(engine: TestEngine) {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    let number = github.seed_issue(SeedIssue {
        title: "Crash on save".into(),
        ..SeedIssue::default()
    });
    let service = Service::start(
        BIN,
        ServiceOptions::new(engine)
            .connectors(&["github"])
            .env("ELDER_ALLOW_HTTP_EGRESS", "true")
            .env("ELDER_EGRESS_ALLOW_PRIVATE", "true"),
    )
    .await;
    let (config_id, _) = imported_github_config(&service, &github).await;

    // An inbox dead letter: a signed delivery the connector refuses as malformed.
    let (status, _) = deliver(&service, config_id, "delivery-1").await;
    assert_eq!(status, 202);
    let parked = one_dead_letter(&service, "?source=inbox").await;
    let id = parked["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("inbox-"), "{parked}");
    assert_eq!(parked["source"], "inbox");
    assert_eq!(parked["sync_config_id"], config_id);
    assert_eq!(parked["delivery_id"], "delivery-1");
    assert_eq!(parked["attempts"], 1, "given up at once, not retried");
    let why = parked["last_error"].as_str().unwrap();
    assert!(why.contains("malformed"), "{why}");
    let (_, status_page) = service.get("/sync/status").await;
    assert_eq!(status_page["dead_letters"]["inbox"], 1, "{status_page}");
    assert_eq!(
        status_page["configs"][0]["dead_letters"], 1,
        "{status_page}"
    );
    let metrics = service.metrics().await;
    assert!(
        metrics.contains("sync_dead_letters{source=\"inbox\"} 1"),
        "{metrics}"
    );
    let (_, filtered) = service
        .get(&format!("/sync/dead-letters?config_id={}", config_id + 1))
        .await;
    assert_eq!(filtered["total"], 0, "{filtered}");

    // The platform redelivers it: queued again (not "duplicate"), and parked again.
    let (status, body) = deliver(&service, config_id, "delivery-1").await;
    assert_eq!(
        (status, &body["status"]),
        (202, &json!("requeued")),
        "{body}"
    );
    let again = parked_again(&service, &id, &parked["parked_at"]).await;
    assert_eq!(again["attempts"], 1, "attempts were reset: {again}");

    // Retry: admin only; a read-only token is refused and nothing changes.
    let (status, _) = service
        .send(
            service
                .http()
                .post(service.api(&format!("/sync/dead-letters/{id}/retry"))),
            &service.read_token,
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = service
        .post(&format!("/sync/dead-letters/{id}/retry"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"id": id, "status": "pending"}));
    let third = parked_again(&service, &id, &again["parked_at"]).await;
    assert_eq!(third["attempts"], 1, "attempts were reset: {third}");

    // Drop: gone for good; unknown and malformed ids are told apart.
    let (status, _) = service.delete(&format!("/sync/dead-letters/{id}")).await;
    assert_eq!(status, 204);
    let (status, body) = service.delete(&format!("/sync/dead-letters/{id}")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    for bad in ["12", "mailbox-3", "inbox-0"] {
        let (status, body) = service
            .post(&format!("/sync/dead-letters/{bad}/retry"), &json!({}))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_path", "{body}");
    }
    let (_, listed) = service.get("/sync/dead-letters").await;
    assert_eq!(listed["total"], 0, "{listed}");

    // An outbox dead letter: GitHub refuses the push (a revoked token); fixed, then retried.
    let (status, body) = service
        .patch(
            &format!("/sync/configs/{config_id}"),
            &json!({"config_json": github_settings(&github, "ghp_revoked")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, issues) = service.get("/issues").await;
    let issue_id = issues["items"][0]["id"].as_i64().unwrap();
    let (status, body) = service
        .patch(
            &format!("/issues/{issue_id}"),
            &json!({"title": "Crash on save (fixed in Elder)"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let parked = one_dead_letter(&service, &format!("?source=outbox&config_id={config_id}")).await;
    let id = parked["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("outbox-"), "{parked}");
    assert_eq!(parked["resource_type"], "issue");
    assert_eq!(parked["resource_id"], issue_id);
    assert_eq!(parked["operation"], "update");
    assert_eq!(parked["sync_config_id"], config_id);
    let why = parked["last_error"].as_str().unwrap().to_ascii_lowercase();
    assert!(why.contains("unauthorized"), "{why}");
    assert!(!why.contains("ghp_"), "no token in the error: {why}");
    assert_eq!(github.issue(number).unwrap().title, "Crash on save");

    let (status, _) = service
        .patch(
            &format!("/sync/configs/{config_id}"),
            &json!({"config_json": github_settings(&github, &github.token())}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = service
        .post(&format!("/sync/dead-letters/{id}/retry"), &json!({}))
        .await;
    assert_eq!(status, 200);
    service
        .eventually(WAIT, "the retried push reaches GitHub", || async {
            (github.issue(number).unwrap().title == "Crash on save (fixed in Elder)").then_some(())
        })
        .await;
    let (_, listed) = service.get("/sync/dead-letters").await;
    assert_eq!(listed["total"], 0, "{listed}");
    let (_, status_page) = service.get("/sync/status").await;
    assert_eq!(
        status_page["dead_letters"],
        json!({"inbox": 0, "outbox": 0}),
        "{status_page}"
    );
}

/// Posts a signed `issues` delivery whose body the connector cannot read.
async fn deliver(service: &Service, config_id: i64, delivery_id: &str) -> (u16, Value) {
    let body = br#"{"action": "opened", "issue": "not an issue"}"#;
    let (status, answer) = service
        .webhook(
            config_id,
            &[
                ("X-GitHub-Event", "issues"),
                ("X-GitHub-Delivery", delivery_id),
                ("X-Hub-Signature-256", &sign(SECRET, body)),
                ("Content-Type", "application/json"),
            ],
            body,
        )
        .await;
    (status.as_u16(), answer)
}

/// Waits for exactly one dead letter under `query`; returns it.
async fn one_dead_letter(service: &Service, query: &str) -> Value {
    service
        .eventually(WAIT, "a dead letter", || async {
            let (_, page) = service.get(&format!("/sync/dead-letters{query}")).await;
            (page["total"] == 1).then(|| page["items"][0].clone())
        })
        .await
}

/// Waits until dead letter `id` (parked at `before`) was tried again, once, and parked
/// again; returns it.
async fn parked_again(service: &Service, id: &str, before: &Value) -> Value {
    service
        .eventually(WAIT, "the dead letter parked again", || async {
            let (_, page) = service.get("/sync/dead-letters?source=inbox").await;
            let item = &page["items"][0];
            (page["total"] == 1 && item["id"] == id && item["parked_at"] != *before)
                .then(|| item.clone())
        })
        .await
}
