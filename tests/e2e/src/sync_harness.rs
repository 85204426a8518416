//! A whole sync host for end-to-end tests: a fresh database (SQLite or PostgreSQL), the
//! GitHub component loaded in a real runtime, the engine's routes served on a loopback
//! port, and its workers running, next to a GitHub simulator whose webhooks point at it.

use std::sync::{Arc, OnceLock};

use elder_sync_engine::poll::poll_config;
use elder_sync_engine::run::RunReport;
use elder_sync_engine::{ConnectorRegistry, EngineSettings, SyncEngine, routes, workers};
use elder_sync_model::Kind;
use elder_sync_runtime::{LoadedConnector, Runtime, RuntimeSettings};
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{
    Conflict, Mapping, NewResource, NewSyncConfig, PageRequest, Resource, ResourcePatch, Store,
    SyncMethod,
};
use elder_sync_telemetry::Metrics;
use platform_simulators::github::{GithubOptions, GithubSim, HookConfig, IssueEdit, SeedIssue};
use platform_simulators::server::SimServer;
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// The webhook secret the simulator signs with and the config holds.
pub const WEBHOOK_SECRET: &str = "It's a Secret to Everybody";

/// A running host + GitHub simulator pair.
pub struct SyncHost {
    pub db: TestDb,
    pub store: Store,
    pub engine: SyncEngine,
    pub github: GithubSim,
    pub host: SimServer,
    pub config_id: i64,
    pub project_id: i64,
    stop: CancellationToken,
}

/// Options of a host.
#[derive(Debug, Clone)]
pub struct HostOptions {
    pub db: TestEngine,
    pub two_way_create: bool,
    pub strategy: &'static str,
    /// Start the inbox/outbox workers (off to test a crash before processing).
    pub workers: bool,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            db: TestEngine::Sqlite,
            two_way_create: true,
            strategy: "last_modified_wins",
            workers: true,
        }
    }
}

impl SyncHost {
    /// Starts everything; the simulator's webhook points at the host.
    pub async fn start(opts: HostOptions) -> SyncHost {
        let db = TestDb::new(opts.db).await;
        let store = Store::open_with(&db.url, Some(test_secret_key()))
            .await
            .expect("open store");
        let github = GithubSim::start(GithubOptions::default())
            .await
            .expect("github sim");
        let engine = engine_over(store.clone());
        let host = SimServer::start(
            axum::Router::new()
                .merge(routes::webhook_routes(engine.clone()))
                .merge(routes::action_routes(engine.clone())),
        )
        .await
        .expect("host server");
        let project = store
            .create_resource(
                Kind::Project,
                &NewResource {
                    title: "Hello-World".into(),
                    ..NewResource::default()
                },
            )
            .await
            .expect("project");
        let config = store
            .create_config(&config_body(&github, project.id, &opts))
            .await
            .expect("sync config");
        github.set_webhook(HookConfig {
            url: Some(format!("{}/api/v1/webhooks/{}", host.base_url(), config.id)),
            secret: WEBHOOK_SECRET.into(),
            hook_id: 1,
        });
        let stop = CancellationToken::new();
        if opts.workers {
            workers::spawn_workers(&engine, stop.clone());
        }
        SyncHost {
            db,
            store,
            engine,
            github,
            host,
            config_id: config.id,
            project_id: project.id,
            stop,
        }
    }

    /// A second GitHub repository (a simulator of its own) synced into the same Elder
    /// project under config `name`, its webhooks pointing at the host: hub and spoke. Returns
    /// the simulator and the config's id.
    pub async fn add_github_spoke(&self, name: &str, opts: &HostOptions) -> (GithubSim, i64) {
        let github = GithubSim::start(GithubOptions::default())
            .await
            .expect("github sim");
        let mut body = config_body(&github, self.project_id, opts);
        body.name = name.into();
        let config = self.store.create_config(&body).await.expect("sync config");
        github.set_webhook(HookConfig {
            url: Some(format!(
                "{}/api/v1/webhooks/{}",
                self.host.base_url(),
                config.id
            )),
            secret: WEBHOOK_SECRET.into(),
            hook_id: 1,
        });
        (github, config.id)
    }

    /// Elder issues of the config's project, by id.
    pub async fn elder_issues(&self) -> Vec<Resource> {
        crate::project_issues(&self.store, self.project_id).await
    }

    /// Waits until every outbox row was handled (the dispatcher is idle).
    pub async fn outbox_drained(&self) {
        self.eventually("the outbox is drained", || async {
            self.store
                .list_outbox(Some(elder_sync_store::OutboxStatus::Pending), 100)
                .await
                .unwrap()
                .is_empty()
        })
        .await;
    }

    /// The Elder issue mapped to GitHub issue `number`.
    pub async fn elder_issue_for(&self, number: u64) -> Option<Resource> {
        let m = self
            .store
            .find_mapping_by_external(self.config_id, Kind::Issue, &number.to_string())
            .await
            .ok()
            .flatten()?;
        self.store.get_resource(Kind::Issue, m.elder_id).await.ok()
    }

    /// Waits (bounded) until `cond` holds, polling every 50 ms.
    pub async fn eventually<F, Fut>(&self, what: &str, mut cond: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        for _ in 0..200 {
            if cond().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for: {what}");
    }

    /// Stops the workers.
    pub fn stop_workers(&self) {
        self.stop.cancel();
    }

    /// Seeds `n` GitHub issues ("Issue {i}", label `bug`), numbered from 1.
    pub fn seed_issues(&self, n: usize) {
        for i in 0..n {
            self.github.seed_issue(SeedIssue {
                title: format!("Issue {i}"),
                body: Some(format!("Body of issue {i}")),
                labels: vec!["bug".into()],
                updated_at: Some(1_700_000_000 + i as i64),
                ..SeedIssue::default()
            });
        }
    }

    /// Runs one poll of the config (recorded as `sync_type`), panicking on an engine error.
    pub async fn poll(&self, sync_type: &str) -> RunReport {
        poll_config(&self.engine, self.config_id, sync_type, SyncMethod::Poll)
            .await
            .expect("poll")
    }

    /// Applies `patch` to the Elder issue mapped to GitHub issue `number`.
    pub async fn edit_elder(&self, number: u64, patch: ResourcePatch) -> Resource {
        let issue = self.elder_issue_for(number).await.expect("mapped issue");
        self.store
            .update_resource(Kind::Issue, issue.id, &patch)
            .await
            .expect("update Elder issue")
    }

    /// Edits GitHub issue `number` as a user would (a webhook follows).
    pub fn edit_github(&self, number: u64, edit: IssueEdit) {
        self.github
            .user_edit_issue(number, edit)
            .expect("edit GitHub issue");
    }

    /// Conflicts, newest first (`resolved`: filter).
    pub async fn conflicts(&self, resolved: Option<bool>) -> Vec<Conflict> {
        self.store
            .list_conflicts(
                resolved,
                PageRequest {
                    page: 1,
                    per_page: 100,
                },
            )
            .await
            .expect("list conflicts")
            .items
    }

    /// The mapping of GitHub issue `number`.
    pub async fn mapping_for(&self, number: u64) -> Option<Mapping> {
        self.store
            .find_mapping_by_external(self.config_id, Kind::Issue, &number.to_string())
            .await
            .expect("find mapping")
    }

    /// `POST {path}` on the host with a JSON body: the status and the JSON answer.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let resp = reqwest::Client::new()
            .post(format!("{}{path}", self.host.base_url()))
            .json(&body)
            .send()
            .await
            .expect("request to the host");
        let status = resp.status().as_u16();
        let json = resp.json().await.unwrap_or(serde_json::Value::Null);
        (status, json)
    }
}

impl Drop for SyncHost {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// An engine over `store` with the GitHub component loaded (plain-http egress for the
/// loopback simulator).
pub fn engine_over(store: Store) -> SyncEngine {
    engine_with(
        store,
        RuntimeSettings {
            allow_plain_http: true,
            allow_private_networks: true,
            ..RuntimeSettings::default()
        },
    )
}

/// An engine over `store` with the GitHub component loaded in a runtime made with `cfg`
/// (e.g. a short call deadline).
pub fn engine_with(store: Store, cfg: RuntimeSettings) -> SyncEngine {
    let runtime = Runtime::new(cfg).expect("runtime");
    let registry = Arc::new(ConnectorRegistry::new());
    registry.install(load_github(&runtime), 0);
    SyncEngine::new(
        store,
        registry,
        Metrics::new().expect("metrics"),
        EngineSettings::default(),
    )
}

/// The GitHub component, compiled once per test process: compiling it is most of a host's
/// start-up, and every runtime made here has the same engine settings.
fn load_github(runtime: &Runtime) -> Arc<LoadedConnector> {
    static COMPILED: OnceLock<(String, Vec<u8>, String)> = OnceLock::new();
    if let Some((compat, bytes, source_hash)) = COMPILED.get()
        && *compat == runtime.compatibility_hash()
    {
        // SAFETY: the bytes are this process's own `precompile` output for an engine with
        // the same compatibility hash, never read from outside.
        return unsafe { runtime.load_precompiled(bytes, source_hash.clone()) }
            .expect("load precompiled github.wasm");
    }
    let wasm = crate::connector_component("github");
    let loaded = runtime.load(&wasm).expect("load github.wasm");
    let bytes = runtime.precompile(&wasm).expect("precompile github.wasm");
    let _ = COMPILED.set((
        runtime.compatibility_hash(),
        bytes,
        loaded.source_hash().to_string(),
    ));
    loaded
}

fn config_body(github: &GithubSim, project_id: i64, opts: &HostOptions) -> NewSyncConfig {
    serde_json::from_value(json!({
        "name": "hello-world",
        "platform": "github",
        "two_way_create": opts.two_way_create,
        "webhook_secret": WEBHOOK_SECRET,
        "elder_project_id": project_id,
        "config_json": {
            "owner": "octocat",
            "repo": "Hello-World",
            "base_url": github.base_url(),
            "api_token": github.token(),
            "conflict_strategy": opts.strategy,
        },
    }))
    .expect("config body")
}
