//! Issue 17 through the real `elder-sync` process, on SQLite and PostgreSQL: the scheduler's
//! first import of a GitHub repository (the simulator, 1,500 issues, pages answered slowly)
//! shows its progress in `GET /api/v1/sync/status`; the process is killed with SIGKILL in the
//! middle; after a restart `elder-sync sync run <config>` (not on a terminal: plain lines)
//! resumes from the saved cursor, prints its progress and what it did, and every issue is in
//! Elder exactly once.

use std::collections::HashSet;
use std::time::Duration;

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{GithubOptions, GithubSim, SeedIssue};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

const ISSUES: usize = 1_500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_first_import_resumes_without_duplicates_on_sqlite() {
    killed_import_resumes(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_first_import_resumes_without_duplicates_on_postgres() {
    killed_import_resumes(TestEngine::Postgres).await;
}

async fn killed_import_resumes(engine: TestEngine) {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    let now = chrono::Utc::now().timestamp();
    for i in 0..ISSUES {
        github.seed_issue(SeedIssue {
            title: format!("Issue {i}"),
            labels: vec!["bug".into()],
            updated_at: Some(now - 60 * (ISSUES - i) as i64),
            ..SeedIssue::default()
        });
    }
    github.delay_list_answers(Duration::from_millis(250));
    let mut service =
        Service::start(BIN, ServiceOptions::new(engine).reaching_local_simulators()).await;
    let (_, project) = service.post("/projects", &json!({"title": "Apollo"})).await;
    let project_id = project["id"].as_i64().unwrap();
    let (status, created) = service
        .post(
            "/sync/configs",
            &json!({
                "name": "widgets",
                "platform": "github",
                "elder_project_id": project_id,
                "webhook_secret": "a webhook secret of reasonable length",
                "config_json": {
                    "owner": "octocat",
                    "repo": "Hello-World",
                    "base_url": github.base_url(),
                    "api_token": github.token(),
                },
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let config_id = created["id"].as_i64().unwrap();

    // The scheduler starts the first import; its progress shows in the status.
    let progress = service
        .eventually(
            Duration::from_secs(60),
            "the backfill's progress",
            || async {
                let (_, status) = service.get("/sync/status").await;
                let running = running_of(&status, config_id)?;
                (running["items_done"].as_i64()? >= 300).then_some(running)
            },
        )
        .await;
    assert_eq!(progress["sync_type"], "backfill", "{progress}");
    assert!(
        progress["items_per_second"].as_f64().unwrap() > 0.0,
        "{progress}"
    );
    let total = progress["estimated_total"].as_i64().expect("an estimate");
    assert!(
        (1_200..=1_800).contains(&total),
        "estimated {total} of {ISSUES}: {progress}"
    );
    assert!(progress["eta_secs"].as_i64().is_some(), "{progress}");

    service.kill();
    service.restart().await;
    let before = issue_count(&service, project_id).await;
    assert!(
        (250..ISSUES as i64).contains(&before),
        "killed mid-import: {before} issues"
    );

    let (url, token) = (service.url(""), service.admin_token.clone());
    let cli = tokio::task::spawn_blocking(move || {
        std::process::Command::new(BIN)
            .args(["sync", "run", "widgets"])
            .env("ELDER_API_URL", url)
            .env("ELDER_API_TOKEN", token)
            .output()
    })
    .await
    .expect("the CLI's thread")
    .expect("elder-sync sync run");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&cli.stdout),
        String::from_utf8_lossy(&cli.stderr),
    );
    assert!(cli.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.lines().any(|l| l.contains(" items/s")),
        "plain progress lines on stderr: {stderr}"
    );
    assert!(
        stdout.contains("finished:") && stdout.contains(" 0 failed"),
        "{stdout}"
    );

    assert_eq!(issue_count(&service, project_id).await, ISSUES as i64);
    let titles = all_titles(&service, project_id).await;
    assert_eq!(titles.len(), ISSUES, "no issue imported twice");
    let (_, status) = service.get("/sync/status").await;
    // Every issue's mapping, and the label `bug`'s.
    assert_eq!(status["mappings_total"], ISSUES + 1, "{status}");
    assert!(running_of(&status, config_id).is_none(), "{status}");
}

fn running_of(status: &Value, id: i64) -> Option<Value> {
    status["configs"]
        .as_array()?
        .iter()
        .find(|c| c["id"].as_i64() == Some(id))
        .map(|c| c["running"].clone())
        .filter(Value::is_object)
}

async fn issue_count(service: &Service, project_id: i64) -> i64 {
    let (_, page) = service
        .get(&format!("/issues?project_id={project_id}&per_page=1"))
        .await;
    page["total"].as_i64().expect("a total")
}

async fn all_titles(service: &Service, project_id: i64) -> HashSet<String> {
    let mut titles = HashSet::new();
    for page in 1.. {
        let (_, body) = service
            .get(&format!(
                "/issues?project_id={project_id}&per_page=100&page={page}"
            ))
            .await;
        let items = body["items"].as_array().cloned().unwrap_or_default();
        titles.extend(
            items
                .iter()
                .filter_map(|i| i["title"].as_str().map(str::to_string)),
        );
        if items.len() < 100 {
            break;
        }
    }
    titles
}
