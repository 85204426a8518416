//! The real `elder-sync serve` process, on SQLite and PostgreSQL: it starts with the five
//! connectors, answers health and readiness, keeps read-only tokens from writing, imports a
//! GitHub repository from the simulator over a manual run, and comes back after SIGKILL with
//! its data.

use std::time::Duration;

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{GithubOptions, GithubSim, SeedIssue};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_and_imports_on_sqlite() {
    serves_and_imports(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_and_imports_on_postgres() {
    serves_and_imports(TestEngine::Postgres).await;
}

async fn serves_and_imports(engine: TestEngine) {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    github.seed_issue(SeedIssue {
        title: "Crash on save".into(),
        labels: vec!["bug".into()],
        ..SeedIssue::default()
    });
    let mut service = Service::start(
        BIN,
        // The simulator listens on loopback: explicit plain-http and private-network opt-ins.
        ServiceOptions::new(engine).reaching_local_simulators(),
    )
    .await;

    let ready = service
        .http()
        .get(service.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert!(ready.status().is_success(), "readyz: {}", ready.status());
    let (status, plugins) = service.get("/plugins").await;
    assert_eq!(status, 200, "{plugins}");
    let ids: Vec<String> = as_list(&plugins["plugins"])
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect();
    for id in ["github", "gitlab", "jira", "trello", "openproject"] {
        assert!(ids.iter().any(|i| i == id), "{id} missing from {plugins}");
    }

    let read_only = service
        .send(
            service
                .http()
                .post(service.api("/projects"))
                .json(&json!({"title": "nope"})),
            &service.read_token.clone(),
        )
        .await;
    assert_eq!(read_only.0, 403, "{}", read_only.1);

    let (status, project) = service.post("/projects", &json!({"title": "Apollo"})).await;
    assert_eq!(status, 201, "{project}");
    let project_id = project["id"].as_i64().unwrap();
    let config = json!({
        "name": "widgets",
        "platform": "github",
        "elder_project_id": project_id,
        // No two_way_create: import is the default (issue 13).
        "webhook_secret": "a webhook secret of reasonable length",
        "config_json": {
            "owner": "octocat",
            "repo": "Hello-World",
            "base_url": github.base_url(),
            "api_token": github.token(),
        },
    });
    let (status, created) = service.post("/sync/configs", &config).await;
    assert_eq!(status, 201, "{created}");
    let config_id = created["id"].as_i64().unwrap();
    assert!(
        !created.to_string().contains(&github.token()),
        "the token came back: {created}"
    );

    let (status, run) = service
        .post(&format!("/sync/configs/{config_id}/run"), &json!({}))
        .await;
    assert!(status.is_success(), "run: {status} {run}");
    let titles = imported_titles(&service, project_id).await;
    assert_eq!(titles, vec!["Crash on save".to_string()]);

    service.kill();
    service.restart().await;
    assert_eq!(
        imported_titles(&service, project_id).await,
        vec!["Crash on save".to_string()],
        "the import survives SIGKILL"
    );
    assert!(
        !service.logs().contains(&github.token()),
        "the token was logged"
    );
}

async fn imported_titles(service: &Service, project_id: i64) -> Vec<String> {
    service
        .eventually(Duration::from_secs(30), "the imported issue", || async {
            let (_, page) = service
                .get(&format!("/issues?project_id={project_id}"))
                .await;
            let titles: Vec<String> = as_list(&page)
                .iter()
                .filter_map(|i| i["title"].as_str().map(str::to_string))
                .collect();
            (!titles.is_empty()).then_some(titles)
        })
        .await
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        other => other["items"].as_array().cloned().unwrap_or_default(),
    }
}
