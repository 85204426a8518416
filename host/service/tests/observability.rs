//! Issue 13, "observability of what sync did", against the real `elder-sync serve` and the
//! GitHub simulator, on SQLite and PostgreSQL:
//! - the first scrape of a fresh service shows every sync metric with a 0 series for each
//!   installed platform, and the queue and dead-letter gauges;
//! - `sync_mappings_total{platform}` follows the mappings table;
//! - a run's history row says what it did per kind and action;
//! - an outbox push is a `push` history row with its correlation id, counted in
//!   `sync_operations_total`;
//! - a failed item is named in its history row, with why.

use std::time::Duration;

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{GithubOptions, GithubSim, IssueEdit, SeedIssue};
use serde_json::{Value, json};

mod common;

use common::{SECRET, github_settings, imported_github_config};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");
const WAIT: Duration = Duration::from_secs(30);
const PLATFORMS: [&str; 5] = ["github", "gitlab", "jira", "trello", "openproject"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_sync_did_is_observable_on_sqlite() {
    observable(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_sync_did_is_observable_on_postgres() {
    observable(TestEngine::Postgres).await;
}

async fn observable(engine: TestEngine) {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    for title in ["Crash on save", "Slow start"] {
        github.seed_issue(SeedIssue {
            title: title.into(),
            updated_at: Some(1_700_000_000),
            ..SeedIssue::default()
        });
    }
    let service = Service::start(
        BIN,
        ServiceOptions::new(engine)
            .connectors(&PLATFORMS)
            .env("ELDER_ALLOW_HTTP_EGRESS", "true")
            .env("ELDER_EGRESS_ALLOW_PRIVATE", "true"),
    )
    .await;

    // The first scrape: every metric, a 0 series per installed platform.
    let first = service.metrics().await;
    for platform in PLATFORMS {
        for series in [
            format!("sync_operations_total{{platform=\"{platform}\",status=\"success\"}}"),
            format!("sync_operations_total{{platform=\"{platform}\",status=\"failure\"}}"),
            format!("sync_duration_seconds_count{{platform=\"{platform}\"}}"),
            format!("sync_conflicts_total{{platform=\"{platform}\",type=\"field_mismatch\"}}"),
            format!("sync_mappings_total{{platform=\"{platform}\"}}"),
        ] {
            assert_eq!(value(&first, &series), Some(0.0), "{series} in:\n{first}");
        }
    }
    for series in [
        "sync_inbox_depth",
        "sync_outbox_depth",
        "sync_dead_letters{source=\"inbox\"}",
        "sync_dead_letters{source=\"outbox\"}",
    ] {
        assert_eq!(value(&first, series), Some(0.0), "{series} in:\n{first}");
    }

    // A run imports: its history says what it did; the mapping gauge follows the table.
    let (config_id, run) = imported_github_config(&service, &github).await;
    let row = history_after(&service, config_id, "manual", 0).await;
    assert_eq!(
        row["sync_metadata"]["by_kind"]["issue"]["created"], 2,
        "{row}"
    );
    assert_eq!(row["correlation_id"], run["correlation_id"]);
    let (_, mappings) = service
        .get(&format!("/sync/mappings?config_id={config_id}"))
        .await;
    let mapped = mappings["total"].as_f64().unwrap();
    assert!(mapped >= 2.0, "{mappings}");
    let after = service.metrics().await;
    assert_eq!(
        value(&after, "sync_mappings_total{platform=\"github\"}"),
        Some(mapped),
        "{after}"
    );
    assert_eq!(
        value(
            &after,
            "sync_operations_total{platform=\"github\",status=\"success\"}"
        ),
        Some(1.0),
        "{after}"
    );

    // An Elder edit is pushed: a `push` row with its correlation id, and a counted operation.
    let (_, issues) = service.get("/issues?q=crash").await;
    let issue_id = issues["items"][0]["id"].as_i64().unwrap();
    let pushes = rows(&service, config_id, "push").await;
    let (status, _) = service
        .patch(
            &format!("/issues/{issue_id}"),
            &json!({"title": "Crash on save!"}),
        )
        .await;
    assert_eq!(status, 200);
    let push = history_after(&service, config_id, "push", pushes).await;
    assert_eq!(push["success"], true, "{push}");
    assert_eq!(push["sync_metadata"]["action"], "updated", "{push}");
    assert_eq!(push["sync_metadata"]["resource"]["id"], issue_id, "{push}");
    assert!(
        push["correlation_id"]
            .as_str()
            .is_some_and(|c| c.len() == 36)
    );
    assert!(
        service
            .logs()
            .contains(push["correlation_id"].as_str().unwrap()),
        "the push logged under its row's correlation id"
    );
    let pushed = service.metrics().await;
    assert_eq!(
        value(
            &pushed,
            "sync_operations_total{platform=\"github\",status=\"success\"}"
        ),
        Some(2.0),
        "{pushed}"
    );

    // A failed item is named, with why: the token is revoked, Elder and GitHub both edit.
    let (status, _) = service
        .patch(
            &format!("/sync/configs/{config_id}"),
            &json!({"config_json": github_settings(&github, "ghp_revoked")}),
        )
        .await;
    assert_eq!(status, 200);
    let pushes = rows(&service, config_id, "push").await;
    let (status, _) = service
        .patch(
            &format!("/issues/{issue_id}"),
            &json!({"title": "Crash on save!!"}),
        )
        .await;
    assert_eq!(status, 200);
    let number = 1;
    github
        .user_edit_issue(
            number,
            IssueEdit {
                body: Some(Some("Steps to reproduce".into())),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    let delivery = github.build_delivery(SECRET, "issues", "edited", &number.to_string());
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for (k, v) in &delivery.headers {
        headers.push((k.as_str(), v.as_str()));
    }
    let deliveries = rows(&service, config_id, "webhook").await;
    let (status, _) = service.webhook(config_id, &headers, &delivery.body).await;
    assert_eq!(status, 202);
    let row = history_after(&service, config_id, "webhook", deliveries).await;
    let why = row["error_message"].as_str().unwrap_or_default();
    assert!(
        why.starts_with("1 item failed: issue 1: ") && why.contains("unauthorized"),
        "{row}"
    );
    let failure = &row["sync_metadata"]["failures"][0];
    assert_eq!(
        (&failure["kind"], &failure["external_id"]),
        (&json!("issue"), &json!("1")),
        "{row}"
    );
    assert_eq!(
        row["sync_metadata"]["by_kind"]["issue"]["failed"], 1,
        "{row}"
    );
    let push = history_after(&service, config_id, "push", pushes).await;
    assert_eq!(push["success"], false, "{push}");
    assert_eq!(push["sync_metadata"]["action"], "failed", "{push}");
    assert!(
        push["error_message"]
            .as_str()
            .is_some_and(|e| e.contains("unauthorized")),
        "{push}"
    );
}

/// How many history rows of `sync_type` `config_id` has.
async fn rows(service: &Service, config_id: i64, sync_type: &str) -> i64 {
    let path = format!("/sync/history?config_id={config_id}&sync_type={sync_type}");
    service.get(&path).await.1["total"].as_i64().unwrap_or(0)
}

/// The oldest finished history row of `sync_type` for `config_id` after the first `seen`.
async fn history_after(service: &Service, config_id: i64, sync_type: &str, seen: i64) -> Value {
    let path = format!("/sync/history?config_id={config_id}&sync_type={sync_type}&per_page=100");
    service
        .eventually(WAIT, &format!("a {sync_type} history row"), || async {
            let (_, page) = service.get(&path).await;
            let items = page["items"].as_array()?;
            // Newest first: the row after the first `seen` ones.
            let index = items.len().checked_sub(usize::try_from(seen).ok()? + 1)?;
            let row = &items[index];
            (!row["completed_at"].is_null()).then(|| row.clone())
        })
        .await
}

/// The value of the series named exactly `series` (name and labels) in `text`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}
