//! Issue 15, three `elder-sync serve` replicas on one PostgreSQL database and one GitHub
//! simulator. All three schedulers see the new config due: it is backfilled once, not once per
//! replica. Signed webhook deliveries are spread across the replicas (each posted twice, to
//! two different replicas) while one replica is killed with SIGKILL and started again: every
//! acknowledged delivery is applied exactly once. Elder edits made through the three replicas
//! reach GitHub with exactly one write each.

use std::time::Duration;

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{
    GithubOptions, GithubSim, HookConfig, IssueEdit, RateLimitKind, SeedIssue,
};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");
const SECRET: &str = "a webhook secret of reasonable length";
const WAIT: Duration = Duration::from_secs(90);
const ISSUES: usize = 12;

fn options(options: ServiceOptions) -> ServiceOptions {
    options.connectors(&["github"]).reaching_local_simulators()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_share_the_work_on_postgres() {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    github.set_webhook(HookConfig {
        url: None,
        secret: SECRET.into(),
        hook_id: 1,
    });
    let numbers: Vec<u64> = (0..ISSUES)
        .map(|i| {
            github.seed_issue(SeedIssue {
                title: format!("Issue {i}"),
                ..SeedIssue::default()
            })
        })
        .collect();
    let engine = TestEngine::Postgres;
    let a = Service::start(BIN, options(ServiceOptions::new(engine))).await;
    let b = Service::start(BIN, options(a.replica_options(engine))).await;
    let mut c = Service::start(BIN, options(a.replica_options(engine))).await;
    let a = &a;

    // Every replica is up and says who it is; the status lists all three.
    let mut ids = Vec::new();
    for r in [a, &b, &c] {
        let ready: Value = r
            .http()
            .get(r.url("/readyz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["checks"]["database"], "ok", "{ready}");
        assert!(ready["replica"]["plugins"]["github"].is_string(), "{ready}");
        ids.push(ready["replica"]["id"].as_str().unwrap().to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three distinct replica ids: {ids:?}");
    a.eventually(WAIT, "three replicas listed", || async {
        let (_, status) = a.get("/sync/status").await;
        (status["replicas"].as_array().map(Vec::len) == Some(3)).then_some(())
    })
    .await;

    // A config every scheduler sees due at once: one backfill brings the issues.
    let (_, project) = a.post("/projects", &json!({"title": "Apollo"})).await;
    let (status, config) = a
        .post(
            "/sync/configs",
            &json!({
                "name": "widgets", "platform": "github", "webhook_secret": SECRET,
                "elder_project_id": project["id"], "sync_interval": 3600,
                "config_json": {
                    "owner": "octocat", "repo": "Hello-World",
                    "base_url": github.base_url(), "api_token": github.token(),
                },
            }),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let config_id = config["id"].as_i64().unwrap();
    // The backfill's first request is told to wait: the run holds the config for seconds,
    // long enough for every replica's scheduler to see the config due meanwhile.
    github.rate_limit_next(
        1,
        RateLimitKind::TooManyRequests {
            retry_after_secs: Some(8),
        },
    );
    let issues_path = format!("/issues?project_id={}&per_page=100", project["id"]);
    let titles = |suffix: &'static str| {
        let path = issues_path.clone();
        async move {
            let (_, page) = a.get(&path).await;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            let done = items
                .iter()
                .filter(|i| i["title"].as_str().is_some_and(|t| t.ends_with(suffix)))
                .count();
            (done == ISSUES).then_some(items)
        }
    };
    let imported = a.eventually(WAIT, "the backfill", || titles("")).await;
    assert_eq!(imported.len(), ISSUES);

    // Webhook load across the replicas; one is killed mid-run and started again.
    for (i, n) in numbers.iter().enumerate() {
        let edit = IssueEdit {
            title: Some(format!("Issue {i} edited on GitHub")),
            ..IssueEdit::default()
        };
        github.user_edit_issue(*n, edit).unwrap();
    }
    let deliveries = github.deliveries();
    assert_eq!(deliveries.len(), ISSUES);
    let mut acknowledged = 0;
    for (i, d) in deliveries.iter().enumerate() {
        if i == ISSUES / 2 {
            c.kill();
        }
        let up = if i >= ISSUES / 2 {
            vec![a, &b]
        } else {
            vec![a, &b, &c]
        };
        for target in [up[i % up.len()], up[(i + 1) % up.len()]] {
            let headers: Vec<(&str, &str)> = d
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let (status, body) = target.webhook(config_id, &headers, &d.body).await;
            assert!(status.is_success(), "{status} {body}");
        }
        acknowledged += 1;
    }
    c.restart().await;
    a.eventually(WAIT, "every delivery applied", || {
        titles(" edited on GitHub")
    })
    .await;
    // Runs that completed successfully (an attempt cut short by the kill leaves an
    // unfinished row; its delivery is taken up again by another replica).
    let applied = |sync_type: &'static str| async move {
        let path = format!("/sync/history?sync_type={sync_type}&per_page=100");
        let (_, page) = a.get(&path).await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        items.iter().filter(|h| h["success"] == true).count()
    };
    // Settle: a row lost with the killed replica would be retried within a claim lease.
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(
        applied("backfill").await,
        1,
        "one backfill across three replicas"
    );
    assert_eq!(
        applied("poll").await,
        0,
        "no scheduled poll in the interval"
    );
    assert_eq!(
        applied("webhook").await,
        acknowledged,
        "each delivery applied once"
    );

    // Elder edits through every replica: exactly one write each at GitHub.
    let writes = |github: &GithubSim| {
        github
            .requests()
            .iter()
            .filter(|r| r.method == "PATCH" && r.uri.contains("/issues/"))
            .count()
    };
    let before = writes(&github);
    let (_, page) = a.get(&issues_path).await;
    for (i, issue) in page["items"].as_array().unwrap().iter().enumerate() {
        let title = format!("{} edited in Elder", issue["title"].as_str().unwrap());
        let (status, body) = [a, &b, &c][i % 3]
            .patch(
                &format!("/issues/{}", issue["id"]),
                &json!({"title": title}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    a.eventually(WAIT, "every edit on GitHub", || async {
        let all = github.issues();
        let done = all
            .iter()
            .filter(|i| i.title.ends_with(" edited in Elder"))
            .count();
        (done == ISSUES).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        writes(&github) - before,
        ISSUES,
        "one platform write per Elder edit"
    );
}
