//! Issue 13 (day one), the configuration examples of the specification as written: a GitHub
//! config with `org_name`/`repo_name`, a GitLab `base_url` ending in `/api/v4`, and a Jira
//! site without `https://` are accepted by the running service; the first two import from
//! their simulators over a manual run (SQLite).

use std::time::Duration;

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{GithubOptions, GithubSim, SeedIssue};
use platform_simulators::gitlab::{GitlabOptions, GitlabSim, IssueEdit};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_specification_examples_are_accepted_as_written() {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    github.seed_issue(SeedIssue {
        title: "From the spec".into(),
        ..SeedIssue::default()
    });
    let o = GitlabOptions::default();
    let gitlab = GitlabSim::start(o.clone()).await.unwrap();
    gitlab.create_issue("GitLab via /api/v4", IssueEdit::default());
    let service = Service::start(
        BIN,
        ServiceOptions::new(TestEngine::Sqlite)
            .connectors(&["github", "gitlab", "jira"])
            .reaching_local_simulators(),
    )
    .await;

    let gh = config(
        &service,
        "github",
        json!({
            "org_name": "octocat", "repo_name": "Hello-World",
            "base_url": github.base_url(), "api_token": github.token(),
        }),
    )
    .await;
    imports(&service, gh, "From the spec").await;

    let gl = config(
        &service,
        "gitlab",
        json!({
            "project_id": o.project_id.to_string(),
            "base_url": format!("{}/api/v4", gitlab.base_url()),
            "api_token": o.token,
        }),
    )
    .await;
    imports(&service, gl, "GitLab via /api/v4").await;

    config(
        &service,
        "jira",
        json!({
            "jira_url": "acme.atlassian.net", "email": "ops@acme.example",
            "project_key": "ELD", "api_token": "jira-token",
        }),
    )
    .await;
}

/// Creates a config of `platform` with `config_json` in a project of its own; its id.
async fn config(service: &Service, platform: &str, config_json: Value) -> i64 {
    let (status, project) = service
        .post(
            "/projects",
            &json!({"title": format!("{platform} project")}),
        )
        .await;
    assert_eq!(status, 201, "{project}");
    let (status, created) = service
        .post(
            "/sync/configs",
            &json!({
                "name": platform, "platform": platform,
                "elder_project_id": project["id"],
                "config_json": config_json,
            }),
        )
        .await;
    assert_eq!(status, 201, "{platform}: {created}");
    created["id"].as_i64().unwrap()
}

async fn imports(service: &Service, config_id: i64, title: &str) {
    let (status, run) = service
        .post(&format!("/sync/configs/{config_id}/run"), &json!({}))
        .await;
    assert!(status.is_success(), "run: {status} {run}");
    service
        .eventually(Duration::from_secs(30), title, || async {
            let (_, page) = service.get("/issues").await;
            page["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["title"] == title))
                .then_some(())
        })
        .await;
}
