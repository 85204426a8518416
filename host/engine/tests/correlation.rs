//! Every sync operation (a poll run, a webhook delivery) writes a `sync_history` row with a
//! correlation id, and every engine log line of that operation carries the same id: the
//! GitHub component runs against the GitHub simulator with the logs captured as JSON.

use std::io::Write;
use std::sync::{Arc, Mutex};

use elder_sync_engine::ingest::{ingest, process_inbox_batch};
use elder_sync_engine::poll::poll_config;
use elder_sync_engine::{ConnectorRegistry, EngineSettings, SyncEngine};
use elder_sync_model::Kind;
use elder_sync_runtime::{Runtime, RuntimeSettings};
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{HistoryFilter, NewResource, NewSyncConfig, PageRequest, Store, SyncMethod};
use elder_sync_telemetry::Metrics;
use platform_simulators::github::{GithubOptions, GithubSim, IssueEdit, SeedIssue};
use serde_json::{Value, json};
use tracing_subscriber::fmt::MakeWriter;

const SECRET: &str = "correlation-secret";

/// Log lines written by the subscriber, one JSON object per line.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

impl Capture {
    /// Engine lines captured since the last call (other crates' lines are not ours).
    fn take_engine_lines(&self) -> Vec<Value> {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap());
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| {
                v["target"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("elder_sync"))
            })
            .collect()
    }
}

/// The correlation ids on a line's spans.
fn ids_of(line: &Value) -> Vec<String> {
    line["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["correlation_id"].as_str().map(str::to_string))
        .collect()
}

async fn engine(store: Store) -> SyncEngine {
    let runtime = Runtime::new(RuntimeSettings {
        allow_plain_http: true,
        allow_private_networks: true,
        ..RuntimeSettings::default()
    })
    .unwrap();
    let wasm = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/connectors/github.wasm");
    let bytes = std::fs::read(&wasm).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run scripts/build-wasm.sh",
            wasm.display()
        )
    });
    let registry = Arc::new(ConnectorRegistry::new());
    registry.install(runtime.load(&bytes).unwrap(), 0);
    SyncEngine::new(
        store,
        registry,
        Metrics::new().unwrap(),
        EngineSettings::default(),
    )
}

async fn history_ids(store: &Store, sync_type: &str) -> Vec<String> {
    store
        .list_history(
            &HistoryFilter {
                config_id: None,
                sync_type: Some(sync_type.into()),
                ..HistoryFilter::default()
            },
            PageRequest {
                page: 1,
                per_page: 10,
            },
        )
        .await
        .unwrap()
        .items
        .iter()
        .map(|h| h.correlation_id.to_string())
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn every_engine_log_line_of_an_operation_carries_its_correlation_id() {
    let logs = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_span_list(true)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(logs.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let db = TestDb::new(TestEngine::Sqlite).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    for i in 0..3 {
        github.seed_issue(SeedIssue {
            title: format!("Issue {i}"),
            ..SeedIssue::default()
        });
    }
    let project = store
        .create_resource(
            Kind::Project,
            &NewResource {
                title: "Hello-World".into(),
                ..NewResource::default()
            },
        )
        .await
        .unwrap();
    let config: NewSyncConfig = serde_json::from_value(json!({
        "name": "hello-world", "platform": "github", "two_way_create": true,
        "webhook_secret": SECRET, "elder_project_id": project.id,
        "config_json": {"owner": "octocat", "repo": "Hello-World",
            "base_url": github.base_url(), "api_token": github.token()},
    }))
    .unwrap();
    let config = store.create_config(&config).await.unwrap();
    let engine = engine(store.clone()).await;
    logs.take_engine_lines();

    // A poll run.
    let report = poll_config(&engine, config.id, "backfill", SyncMethod::Poll)
        .await
        .unwrap();
    assert_eq!(report.tally.synced, 3, "{report:?}");
    let id = report.correlation_id.to_string();
    assert_eq!(history_ids(&store, "backfill").await, vec![id.clone()]);
    let lines = logs.take_engine_lines();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "sync operation finished"),
        "the run logged: {lines:?}"
    );
    for line in &lines {
        assert_eq!(ids_of(line), vec![id.clone()], "{line}");
    }

    // A webhook delivery, processed by the inbox worker's batch step.
    github
        .user_edit_issue(
            1,
            IssueEdit {
                title: Some("Edited".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    let d = github.build_delivery(SECRET, "issues", "edited", "1");
    ingest(&engine, config.id, &d.headers, &d.body)
        .await
        .unwrap();
    logs.take_engine_lines();
    // The run's config lease is released by a task of its own: a batch step taken at once
    // may find the config still busy and leave its deliveries for the next step.
    let mut processed = 0;
    for _ in 0..50 {
        processed = process_inbox_batch(&engine, 10).await.unwrap();
        if processed > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(processed, 1);
    let webhook = history_ids(&store, "webhook").await;
    assert_eq!(webhook.len(), 1);
    let lines = logs.take_engine_lines();
    assert!(!lines.is_empty());
    for line in &lines {
        let ids = ids_of(line);
        assert!(!ids.is_empty(), "a line without a correlation id: {line}");
        assert!(ids.iter().all(|i| *i == webhook[0]), "{line}");
    }
}
