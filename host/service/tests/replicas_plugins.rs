//! Issue 15, plugins shared by the replicas: three `elder-sync serve` processes on one
//! PostgreSQL database (the harness of `replicas.rs`: each with its own data and plugin
//! directories holding GitHub 1.0.0). A new GitHub version uploaded through the REST API of
//! replica A is served by B and C within seconds (their `/readyz`), and a sync run through B
//! uses it; disabling it on B is seen by A and C; a replica started after all this serves the
//! uploaded version, disabled, though its plugin directory still holds 1.0.0.

use std::time::{Duration, Instant};

use base64::Engine as _;
use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{GithubOptions, GithubSim, SeedIssue};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");
const WAIT: Duration = Duration::from_secs(90);
/// How long a change may take to reach another replica (compiling the new version there
/// included: each replica compiles it once into its own cache).
const PROPAGATION: Duration = Duration::from_secs(120);

fn options(options: ServiceOptions) -> ServiceOptions {
    options.connectors(&["github"]).reaching_local_simulators()
}

fn workspace_file(path: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// GitHub's build, reporting version 1.0.1 instead of 1.0.0: its `describe` data holds the
/// id, version and first host side by side, patched in place (same length, same behaviour).
fn github_1_0_1() -> (Vec<u8>, String) {
    let mut component = workspace_file("target/connectors/github.wasm");
    let (from, to) = (&b"github1.0.0api.github"[..], &b"github1.0.1api.github"[..]);
    let at = component
        .windows(from.len())
        .position(|w| w == from)
        .expect("the github build names its id, version and host together");
    component[at..at + to.len()].copy_from_slice(to);
    let manifest = String::from_utf8(workspace_file("connectors/github/plugin.toml"))
        .unwrap()
        .replace("version = \"1.0.0\"", "version = \"1.0.1\"");
    (component, manifest)
}

/// The GitHub version a replica's `/readyz` says it serves (`None` when it serves none,
/// as when the plugin is disabled).
async fn ready_version(replica: &Service) -> Option<String> {
    let ready: Value = replica
        .http()
        .get(replica.url("/readyz"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    ready["replica"]["plugins"]["github"]
        .as_str()
        .map(str::to_string)
}

async fn plugin(replica: &Service) -> Value {
    let (status, body) = replica.get("/plugins/github").await;
    assert_eq!(status, 200, "{body}");
    body["plugin"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_changes_on_one_replica_reach_every_replica_on_postgres() {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    github.seed_issue(SeedIssue {
        title: "Issue before the upgrade".into(),
        ..SeedIssue::default()
    });
    let engine = TestEngine::Postgres;
    let a = Service::start(BIN, options(ServiceOptions::new(engine))).await;
    let b = Service::start(BIN, options(a.replica_options(engine))).await;
    let c = Service::start(BIN, options(a.replica_options(engine))).await;
    for r in [&a, &b, &c] {
        assert_eq!(ready_version(r).await.as_deref(), Some("1.0.0"));
    }

    let (_, project) = a.post("/projects", &json!({"title": "Apollo"})).await;
    let (status, config) = a
        .post(
            "/sync/configs",
            &json!({
                "name": "widgets", "platform": "github", "webhook_secret": "a webhook secret of reasonable length",
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
    let issues_path = format!("/issues?project_id={}&per_page=100", project["id"]);
    let titled = |title: &'static str| {
        let path = issues_path.clone();
        let a = &a;
        async move {
            let (_, page) = a.get(&path).await;
            page["items"]
                .as_array()?
                .iter()
                .any(|i| i["title"] == title)
                .then_some(())
        }
    };
    a.eventually(WAIT, "the backfill", || titled("Issue before the upgrade"))
        .await;

    // GitHub 1.0.1 uploaded through A's REST API: B and C serve it within seconds.
    let (component, manifest) = github_1_0_1();
    let hash = elder_sync_plugins::cache::sha256_hex(&component);
    let upload = json!({
        "manifest": manifest,
        "component": base64::engine::general_purpose::STANDARD.encode(&component),
    });
    let uploaded_at = Instant::now();
    let (status, body) = a.post("/plugins", &upload).await;
    assert_eq!(status, 201, "{body}");
    println!(
        "the upload to A (validation and compiling included) took {:.1} s",
        uploaded_at.elapsed().as_secs_f64()
    );
    assert_eq!(ready_version(&a).await.as_deref(), Some("1.0.1"));
    for (name, r) in [("B", &b), ("C", &c)] {
        r.eventually(
            PROPAGATION,
            &format!("replica {name} serving 1.0.1"),
            || async { (ready_version(r).await.as_deref() == Some("1.0.1")).then_some(()) },
        )
        .await;
        println!(
            "replica {name} serves the upload {:.1} s after it was made on A",
            uploaded_at.elapsed().as_secs_f64()
        );
    }
    let on_b = plugin(&b).await;
    assert_eq!(on_b["source_hash"], hash.as_str(), "{on_b}");
    assert_eq!(on_b["previous"]["version"], "1.0.0", "{on_b}");

    // A sync run through B uses 1.0.1 (the only version B serves; its calls rise).
    let calls_before = on_b["calls"].as_u64().unwrap();
    github.seed_issue(SeedIssue {
        title: "Issue after the upgrade".into(),
        ..SeedIssue::default()
    });
    let (status, run) = b
        .post(&format!("/sync/configs/{config_id}/run"), &json!({}))
        .await;
    assert!(status.is_success(), "{status} {run}");
    assert_eq!(run["success"], true, "{run}");
    a.eventually(WAIT, "the issue the run through B imported", || {
        titled("Issue after the upgrade")
    })
    .await;
    let on_b = plugin(&b).await;
    assert_eq!(on_b["version"], "1.0.1", "{on_b}");
    assert!(
        on_b["calls"].as_u64().unwrap() > calls_before,
        "the run called the connector B serves: {on_b}"
    );

    // Disabled on B: A and C see it within seconds.
    let disabled_at = Instant::now();
    let (status, body) = b.post("/plugins/github/disable", &json!({})).await;
    assert_eq!(status, 200, "{body}");
    for (name, r) in [("A", &a), ("C", &c)] {
        r.eventually(
            PROPAGATION,
            &format!("replica {name} seeing GitHub disabled"),
            || async {
                (plugin(r).await["enabled"] == false && ready_version(r).await.is_none())
                    .then_some(())
            },
        )
        .await;
        println!(
            "replica {name} sees the disable {:.1} s after it was made on B",
            disabled_at.elapsed().as_secs_f64()
        );
    }

    // A replica started now (its plugin directory holds 1.0.0) serves 1.0.1, disabled.
    let d = Service::start(BIN, options(a.replica_options(engine))).await;
    let on_d = plugin(&d).await;
    assert_eq!(on_d["version"], "1.0.1", "{on_d}");
    assert_eq!(on_d["source_hash"], hash.as_str(), "{on_d}");
    assert_eq!(on_d["enabled"], false, "{on_d}");

    // Enabled again through D: the others serve 1.0.1 again.
    let (status, body) = d.post("/plugins/github/enable", &json!({})).await;
    assert_eq!(status, 200, "{body}");
    for r in [&a, &b, &c] {
        r.eventually(PROPAGATION, "GitHub enabled again", || async {
            (ready_version(r).await.as_deref() == Some("1.0.1")).then_some(())
        })
        .await;
    }
}
