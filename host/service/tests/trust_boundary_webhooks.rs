//! Issue 11, "webhooks are signed, always", against the real `elder-sync serve` over HTTP,
//! on SQLite and PostgreSQL. Each hole the issue names is reproduced and shown closed:
//! - a config created without a secret gets a generated one, shown once (never on GET),
//!   and a delivery signed with it is accepted and applied;
//! - an unsigned delivery is 401, stored nowhere, applied never;
//! - ten forged deliveries leave the config in webhook mode and are counted in
//!   `/api/v1/sync/status` and `/metrics`;
//! - unknown id, webhooks off and a missing secret variable all answer byte for byte what a
//!   bad signature answers, and so does a forged delivery to a disabled config (a signed one
//!   is accepted and held: issue 13);
//! - secret-bearing headers never reach the inbox;
//! - blank and short `whsec_` secrets are 422 naming `webhook_secret`.

use std::time::Duration;

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{Delivery, GithubOptions, GithubSim, IssueEdit, SeedIssue};
use serde_json::{Value, json};
use sqlx::Row;

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");
const PUBLIC_URL: &str = "https://sync.example.test";
/// An environment variable the service does not have.
const MISSING_VAR: &str = "ELDER_SECRET_TRUST_BOUNDARY_UNSET";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_always_on_sqlite() {
    webhooks_are_signed_always(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_always_on_postgres() {
    webhooks_are_signed_always(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_indistinguishable_and_secrets_checked_on_sqlite() {
    refusals_are_indistinguishable(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_indistinguishable_and_secrets_checked_on_postgres() {
    refusals_are_indistinguishable(TestEngine::Postgres).await;
}

async fn start(engine: TestEngine) -> Service {
    Service::start(
        BIN,
        ServiceOptions::new(engine)
            .env("ELDER_ALLOW_HTTP_EGRESS", "true")
            // The GitHub simulator listens on loopback.
            .env("ELDER_EGRESS_ALLOW_PRIVATE", "true")
            .env("ELDER_PUBLIC_URL", PUBLIC_URL),
    )
    .await
}

fn github_config(name: &str, github: &GithubSim, project_id: i64, extra: Value) -> Value {
    let mut config = json!({
        "name": name,
        "platform": "github",
        "elder_project_id": project_id,
        "two_way_create": true,
        "config_json": {
            "owner": "octocat",
            "repo": "Hello-World",
            "base_url": github.base_url(),
            "api_token": github.token(),
        },
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    config
}

async fn webhooks_are_signed_always(engine: TestEngine) {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    let number = github.seed_issue(SeedIssue {
        title: "Crash on save".into(),
        ..SeedIssue::default()
    });
    let service = start(engine).await;
    let (_, project) = service.post("/projects", &json!({"title": "Apollo"})).await;
    let project_id = project["id"].as_i64().unwrap();

    // Created without a secret: one is generated and shown this once, with the URL.
    let (status, created) = service
        .post(
            "/sync/configs",
            &github_config("widgets", &github, project_id, json!({})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let secret = created["webhook_secret"]
        .as_str()
        .unwrap_or_else(|| panic!("no generated secret in {created}"))
        .to_string();
    assert!(secret.len() >= 43, "at least 32 random bytes: {secret}");
    assert_eq!(
        created["webhook_url"],
        format!("{PUBLIC_URL}/api/v1/webhooks/{id}")
    );
    let (_, shown) = service.get(&format!("/sync/configs/{id}")).await;
    assert_eq!(shown["webhook_secret"]["set"], true, "{shown}");
    let (_, listed) = service.get("/sync/configs").await;
    for answer in [&shown, &listed] {
        assert!(
            !answer.to_string().contains(&secret),
            "shown again: {answer}"
        );
    }

    let (status, run) = service
        .post(&format!("/sync/configs/{id}/run"), &json!({}))
        .await;
    assert!(status.is_success(), "{run}");
    let issue_id = elder_issue_titled(&service, project_id, "Crash on save").await;

    // The platform-side edit an attacker would like to push without the secret.
    github
        .user_edit_issue(
            number,
            IssueEdit {
                title: Some("Renamed on GitHub".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    let genuine = github.build_delivery(&secret, "issues", "edited", &number.to_string());

    // Unsigned: 401, nothing stored, nothing applied.
    let unsigned: Vec<(String, String)> = genuine
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("X-Hub-Signature-256"))
        .cloned()
        .collect();
    let (status, body) = post_raw(&service, id, &unsigned, &genuine.body).await;
    assert_eq!(status, 401, "{body}");
    // Ten forged deliveries: refused, counted, and no switch to polling.
    for _ in 0..10 {
        let forged =
            github.build_delivery("not the secret", "issues", "edited", &number.to_string());
        let (status, body) = post_raw(&service, id, &forged.headers, &forged.body).await;
        assert_eq!(status, 401, "{body}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        inbox_rows(&service).await.len(),
        0,
        "a refused delivery was stored"
    );
    assert_eq!(elder_title(&service, issue_id).await, "Crash on save");

    let (_, overview) = service.get("/sync/status").await;
    let entry = overview["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(entry["webhooks"]["mode"], "webhook", "{entry}");
    assert_eq!(entry["webhooks"]["health"], "healthy", "{entry}");
    assert_eq!(entry["webhooks"]["rejected_deliveries"], 11, "{entry}");
    assert!(entry["webhooks"]["last_rejected_at"].is_string(), "{entry}");
    let metrics = service.metrics().await;
    assert_eq!(
        rejected_metric(&metrics, "bad_signature"),
        Some(10),
        "{metrics}"
    );
    assert_eq!(rejected_metric(&metrics, "unsigned"), Some(1), "{metrics}");

    // Signed with the generated secret, carrying credentials in headers: accepted,
    // applied, and the credentials are not in the inbox.
    let mut headers = genuine.headers.clone();
    for (k, v) in [
        ("Authorization", "Bearer leaked-authorization"),
        ("Cookie", "session=leaked-cookie"),
        ("Proxy-Authorization", "Basic leaked-proxy"),
        ("X-Gitlab-Token", "leaked-gitlab-token"),
    ] {
        headers.push((k.to_string(), v.to_string()));
    }
    let (status, body) = post_raw(&service, id, &headers, &genuine.body).await;
    assert_eq!(status, 202, "{body}");
    service
        .eventually(
            Duration::from_secs(30),
            "the signed edit applied",
            || async {
                (elder_title(&service, issue_id).await == "Renamed on GitHub").then_some(())
            },
        )
        .await;
    let rows = inbox_rows(&service).await;
    assert_eq!(rows.len(), 1);
    let stored = rows[0].to_ascii_lowercase();
    assert!(stored.contains("x-github-event"), "{stored}");
    for leaked in ["leaked", "authorization", "cookie", "x-gitlab-token"] {
        assert!(!stored.contains(leaked), "{leaked} stored: {stored}");
    }
    assert!(!service.logs().contains(&secret), "the secret was logged");
}

async fn refusals_are_indistinguishable(engine: TestEngine) {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    let number = github.seed_issue(SeedIssue {
        title: "Crash on save".into(),
        ..SeedIssue::default()
    });
    let service = start(engine).await;
    let (_, project) = service.post("/projects", &json!({"title": "Apollo"})).await;
    let project_id = project["id"].as_i64().unwrap();
    let secret = "a shared secret of reasonable length";
    let mut ids = Vec::new();
    for (name, extra) in [
        ("live", json!({"webhook_secret": secret})),
        (
            "disabled",
            json!({"webhook_secret": secret, "enabled": false}),
        ),
        ("hooks-off", json!({"webhook_enabled": false})),
        (
            "missing-env",
            json!({"webhook_secret": {"env": MISSING_VAR}}),
        ),
    ] {
        let (status, body) = service
            .post(
                "/sync/configs",
                &github_config(name, &github, project_id, extra),
            )
            .await;
        assert_eq!(status, 201, "{name}: {body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    let delivery = github.build_delivery(secret, "issues", "edited", &number.to_string());
    let forged = github.build_delivery("wrong", "issues", "edited", &number.to_string());

    let reference = post_bytes(&service, ids[0], &forged).await;
    assert_eq!(reference.0, 401);
    let body: Value = serde_json::from_slice(&reference.1).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    for (what, id, delivery) in [
        ("unknown config", 987_654, &delivery),
        ("forged, to a disabled config", ids[1], &forged),
        ("webhooks off", ids[2], &delivery),
        ("missing secret variable", ids[3], &delivery),
    ] {
        let answer = post_bytes(&service, id, delivery).await;
        assert_eq!(
            answer,
            reference,
            "{what}: {}",
            String::from_utf8_lossy(&answer.1)
        );
    }
    let logs = service.logs();
    assert!(!String::from_utf8_lossy(&reference.1).contains(MISSING_VAR));
    assert!(
        logs.contains("webhook delivery refused"),
        "the reason is logged"
    );
    assert_eq!(inbox_rows(&service).await.len(), 0);
    // A signed delivery to the disabled config is accepted and held (issue 13): answering
    // 4xx would make GitLab disable the hook.
    let held = post_bytes(&service, ids[1], &delivery).await;
    assert_eq!(held.0, 202, "{}", String::from_utf8_lossy(&held.1));
    assert_eq!(inbox_rows(&service).await.len(), 1);

    // Blank or short secrets are refused, naming the field.
    for (i, bad) in ["", "  ", "whsec_", "whsec_AAAAAAAAAAA="]
        .into_iter()
        .enumerate()
    {
        let (status, body) = service
            .post(
                "/sync/configs",
                &github_config(
                    &format!("bad-{i}"),
                    &github,
                    project_id,
                    json!({"webhook_secret": bad}),
                ),
            )
            .await;
        assert_eq!(status, 422, "{bad:?}: {body}");
        assert_eq!(body["error"]["field"], "webhook_secret", "{body}");
    }
    let (status, body) = service
        .patch(
            &format!("/sync/configs/{}", ids[0]),
            &json!({"webhook_secret": "whsec_"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "webhook_secret", "{body}");

    // Turning webhooks on by PATCH without a secret generates one, shown this once.
    let (status, body) = service
        .patch(
            &format!("/sync/configs/{}", ids[2]),
            &json!({"webhook_enabled": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let generated = body["webhook_secret"]
        .as_str()
        .expect("generated")
        .to_string();
    let (_, shown) = service.get(&format!("/sync/configs/{}", ids[2])).await;
    assert!(!shown.to_string().contains(&generated), "{shown}");
    let signed = github.build_delivery(&generated, "issues", "edited", &number.to_string());
    let (status, body) = post_raw(&service, ids[2], &signed.headers, &signed.body).await;
    assert_eq!(status, 202, "{body}");
}

/// Posts a delivery; the status and the body as JSON text.
async fn post_raw(
    service: &Service,
    id: i64,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, String) {
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, body) = service.webhook(id, &pairs, body).await;
    (status.as_u16(), body.to_string())
}

/// Posts a delivery; the status and the exact bytes of the answer.
async fn post_bytes(service: &Service, id: i64, d: &Delivery) -> (u16, Vec<u8>) {
    let mut request = service
        .http()
        .post(service.api(&format!("/webhooks/{id}")))
        .body(d.body.clone());
    for (k, v) in &d.headers {
        request = request.header(k, v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// The stored headers of every inbox row, read straight from the database.
async fn inbox_rows(service: &Service) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(service.database_url())
        .await
        .unwrap();
    let rows = sqlx::query("SELECT headers FROM webhook_inbox ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let out = rows
        .iter()
        .map(|r| r.try_get::<String, _>("headers").unwrap())
        .collect();
    pool.close().await;
    out
}

/// `sync_webhook_rejected_total{platform="github",reason=...}`.
fn rejected_metric(metrics: &str, reason: &str) -> Option<u64> {
    metrics
        .lines()
        .filter(|l| l.starts_with("sync_webhook_rejected_total{"))
        .filter(|l| {
            l.contains(r#"platform="github""#) && l.contains(&format!(r#"reason="{reason}""#))
        })
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

async fn elder_issue_titled(service: &Service, project_id: i64, title: &str) -> i64 {
    service
        .eventually(Duration::from_secs(30), "the imported issue", || async {
            let (_, page) = service
                .get(&format!("/issues?project_id={project_id}"))
                .await;
            page["items"]
                .as_array()?
                .iter()
                .find(|i| i["title"] == title)
                .and_then(|i| i["id"].as_i64())
        })
        .await
}

async fn elder_title(service: &Service, issue_id: i64) -> String {
    let (_, issue) = service.get(&format!("/issues/{issue_id}")).await;
    issue["title"].as_str().unwrap_or_default().to_string()
}
