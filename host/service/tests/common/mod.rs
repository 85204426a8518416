//! What several service tests share: a GitHub config over the simulator, imported by a run.

use elder_sync_e2e::service::Service;
use platform_simulators::github::GithubSim;
use serde_json::{Value, json};

/// The webhook secret of the configs made here.
pub const SECRET: &str = "a webhook secret of reasonable length";

/// A GitHub config's settings for the simulator, with `token` as its API token.
pub fn github_settings(github: &GithubSim, token: &str) -> Value {
    json!({
        "owner": "octocat", "repo": "Hello-World",
        "base_url": github.base_url(), "api_token": token,
    })
}

/// A project and a GitHub config linked to it (webhook secret [`SECRET`]), imported by a
/// manual run: the config id and the run's answer.
pub async fn imported_github_config(service: &Service, github: &GithubSim) -> (i64, Value) {
    let (_, project) = service.post("/projects", &json!({"title": "Apollo"})).await;
    let (status, config) = service
        .post(
            "/sync/configs",
            &json!({
                "name": "widgets", "platform": "github", "two_way_create": true,
                "elder_project_id": project["id"], "webhook_secret": SECRET,
                "config_json": github_settings(github, &github.token()),
            }),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let config_id = config["id"].as_i64().unwrap();
    let (status, run) = service
        .post(&format!("/sync/configs/{config_id}/run"), &json!({}))
        .await;
    assert_eq!(
        (status.as_u16(), &run["success"]),
        (200, &json!(true)),
        "{run}"
    );
    (config_id, run)
}
