//! A whole sync host for end-to-end tests of any platform (or several at once): a fresh
//! database, the chosen connector components loaded in one runtime whose HTTP egress is
//! tapped (every request the connectors make is recorded, and a test may act just before
//! one is sent), the engine's webhook routes on a loopback port that is also the engine's
//! `public_url`, one sync config per platform linked to one Elder project, and each
//! platform's simulator sending its signed webhooks to the host.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use elder_sync_engine::{ConnectorRegistry, EngineSettings, SyncEngine, routes, workers};
use elder_sync_model::Kind;
use elder_sync_runtime::{
    Egress, EgressError, EgressRequest, EgressResponse, ReqwestEgress, Runtime, RuntimeSettings,
};
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::{
    Mapping, NewResource, NewSyncConfig, OutboxEntry, OutboxStatus, Resource, ResourcePatch, Store,
};
use elder_sync_telemetry::Metrics;
use platform_simulators::github::{self, GithubOptions, GithubSim};
use platform_simulators::gitlab::{self, GitlabOptions, GitlabSim};
use platform_simulators::jira::{self, JiraOptions, JiraSim};
use platform_simulators::openproject::{OpenProjectOptions, OpenProjectSim};
use platform_simulators::trello::{TrelloOptions, TrelloSim};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

/// GitHub's webhook secret.
pub const GITHUB_SECRET: &str = "It's a Secret to Everybody";
/// GitLab's secret: the Standard Webhooks signing key, also sent as `X-Gitlab-Token`.
pub const GITLAB_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Jira's `X-Hub-Signature` secret.
pub const JIRA_SECRET: &str = "jira-webhook-secret";
/// OpenProject's `X-OP-Signature` secret.
pub const OPENPROJECT_SECRET: &str = "op-webhook-secret";

/// A platform the harness can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Platform {
    Github,
    Gitlab,
    Jira,
    Trello,
    OpenProject,
}

impl Platform {
    /// The platform's name in configs and the connector's file name.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Github => "github",
            Platform::Gitlab => "gitlab",
            Platform::Jira => "jira",
            Platform::Trello => "trello",
            Platform::OpenProject => "openproject",
        }
    }
}

/// What to start.
#[derive(Debug, Clone)]
pub struct PlatformOptions {
    pub db: TestEngine,
    pub platforms: Vec<Platform>,
    pub two_way_create: bool,
    pub strategy: &'static str,
    /// Start the inbox/outbox workers.
    pub workers: bool,
    /// Point the simulators' webhooks at the host at start (otherwise call
    /// [`PlatformHost::connect_webhooks`] later; until then deliveries are only recorded).
    pub webhooks: bool,
    /// Items per polled page (small values force several pages).
    pub batch_size: i64,
    /// Extra `config_json` settings, per platform.
    pub settings: Vec<(Platform, &'static str, &'static str)>,
}

impl PlatformOptions {
    /// One platform with the defaults.
    pub fn one(platform: Platform) -> PlatformOptions {
        PlatformOptions {
            db: TestEngine::Sqlite,
            platforms: vec![platform],
            two_way_create: true,
            strategy: "last_modified_wins",
            workers: true,
            webhooks: true,
            batch_size: 100,
            settings: Vec::new(),
        }
    }
}

/// One request a connector sent.
#[derive(Debug, Clone)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    /// The answer's status (none when no answer came).
    pub status: Option<u16>,
}

type BeforeHook = Box<dyn FnMut(&EgressRequest) -> bool + Send>;

/// The runtime's egress: real HTTP, with every request recorded and optional hooks run
/// just before a request leaves (a hook returning true is removed).
pub struct EgressTap {
    inner: ReqwestEgress,
    sent: Mutex<Vec<SentRequest>>,
    hooks: Mutex<Vec<BeforeHook>>,
}

impl EgressTap {
    fn new() -> EgressTap {
        EgressTap {
            inner: ReqwestEgress::with_private_networks(true).expect(
                "reqwest egress (loopback simulators: private networks allowed explicitly)",
            ),
            sent: Mutex::default(),
            hooks: Mutex::default(),
        }
    }

    /// Runs `hook` before each request until it returns true.
    pub fn before(&self, hook: impl FnMut(&EgressRequest) -> bool + Send + 'static) {
        self.hooks.lock().expect("hooks").push(Box::new(hook));
    }

    /// Every request sent so far.
    pub fn sent(&self) -> Vec<SentRequest> {
        self.sent.lock().expect("sent").clone()
    }

    /// Successful (2xx) requests other than GET/HEAD sent to URLs under `base_url`.
    pub fn writes_to(&self, base_url: &str) -> Vec<SentRequest> {
        self.sent()
            .into_iter()
            .filter(|r| r.url.starts_with(base_url) && r.method != "GET" && r.method != "HEAD")
            .filter(|r| r.status.is_some_and(|s| (200..300).contains(&s)))
            .collect()
    }

    /// Every request sent to URLs under `base_url`.
    pub fn requests_to(&self, base_url: &str) -> usize {
        self.sent()
            .iter()
            .filter(|r| r.url.starts_with(base_url))
            .count()
    }
}

#[async_trait::async_trait]
impl Egress for EgressTap {
    async fn send(&self, req: EgressRequest) -> Result<EgressResponse, EgressError> {
        self.hooks
            .lock()
            .expect("hooks")
            .retain_mut(|hook| !hook(&req));
        let (method, url) = (req.method.clone(), req.url.to_string());
        let answer = self.inner.send(req).await;
        self.sent.lock().expect("sent").push(SentRequest {
            method,
            url,
            status: answer.as_ref().ok().map(|r| r.status),
        });
        answer
    }
}

/// The simulators that were started.
#[derive(Default)]
pub struct Sims {
    pub github: Option<Arc<GithubSim>>,
    pub gitlab: Option<Arc<GitlabSim>>,
    pub jira: Option<Arc<JiraSim>>,
    pub trello: Option<Arc<TrelloSim>>,
    pub openproject: Option<Arc<OpenProjectSim>>,
}

/// A running host with its simulators.
pub struct PlatformHost {
    pub db: TestDb,
    pub store: Store,
    pub engine: SyncEngine,
    pub tap: Arc<EgressTap>,
    /// `http://127.0.0.1:<port>`: the host's routes, and the engine's `public_url`.
    pub base_url: String,
    pub project_id: i64,
    pub sims: Sims,
    configs: BTreeMap<Platform, i64>,
    stop: CancellationToken,
}

impl PlatformHost {
    /// Starts the host and every platform of `opts`, webhooks pointed at the host.
    pub async fn start(opts: PlatformOptions) -> PlatformHost {
        let db = TestDb::new(opts.db).await;
        let store = Store::open_with(&db.url, Some(test_secret_key()))
            .await
            .expect("open store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind host");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let tap = Arc::new(EgressTap::new());
        let engine = engine_with(store.clone(), &opts.platforms, &base_url, tap.clone());
        let stop = CancellationToken::new();
        serve(listener, &engine, stop.clone());
        let project = store
            .create_resource(
                Kind::Project,
                &NewResource {
                    title: "Elder project".into(),
                    ..NewResource::default()
                },
            )
            .await
            .expect("project");
        let mut host = PlatformHost {
            db,
            store,
            engine,
            tap,
            base_url,
            project_id: project.id,
            sims: Sims::default(),
            configs: BTreeMap::new(),
            stop,
        };
        for p in opts.platforms.clone() {
            host.add_platform(p, &opts).await;
        }
        if opts.workers {
            workers::spawn_workers(&host.engine, host.stop.clone());
        }
        host
    }

    async fn add_platform(&mut self, p: Platform, opts: &PlatformOptions) {
        let (settings, secret) = self.start_sim(p).await;
        let mut settings = settings;
        settings.insert("conflict_strategy".into(), json!(opts.strategy));
        for (_, k, v) in opts.settings.iter().filter(|(q, _, _)| *q == p) {
            settings.insert((*k).into(), json!(v));
        }
        let body: NewSyncConfig = serde_json::from_value(json!({
            "name": format!("{} e2e", p.name()),
            "platform": p.name(),
            "two_way_create": opts.two_way_create,
            "batch_size": opts.batch_size,
            "webhook_secret": secret,
            "elder_project_id": self.project_id,
            "config_json": settings,
        }))
        .expect("config body");
        let config = self.store.create_config(&body).await.expect("sync config");
        self.configs.insert(p, config.id);
        if opts.webhooks {
            self.point_webhook(p).await;
        }
    }

    /// Points every simulator's webhook at the host.
    pub async fn connect_webhooks(&self) {
        for p in self.configs.keys() {
            self.point_webhook(*p).await;
        }
    }

    /// Starts `p`'s simulator; returns the config settings and the webhook secret.
    async fn start_sim(&mut self, p: Platform) -> (Map<String, Value>, String) {
        let v = match p {
            Platform::Github => {
                let sim = GithubSim::start(GithubOptions::default())
                    .await
                    .expect("github sim");
                let v = json!({"owner": "octocat", "repo": "Hello-World",
                    "base_url": sim.base_url(), "api_token": sim.token()});
                self.sims.github = Some(Arc::new(sim));
                (v, GITHUB_SECRET.to_string())
            }
            Platform::Gitlab => {
                let o = GitlabOptions::default();
                let sim = GitlabSim::start(o.clone()).await.expect("gitlab sim");
                let v = json!({"project_id": o.project_id.to_string(),
                    "base_url": sim.base_url(), "api_token": o.token});
                self.sims.gitlab = Some(Arc::new(sim));
                (v, GITLAB_SECRET.to_string())
            }
            Platform::Jira => {
                let o = JiraOptions::default();
                let sim = JiraSim::start(o.clone()).await.expect("jira sim");
                let v = json!({"jira_url": sim.base_url(), "email": o.email,
                    "project_key": o.project_key, "api_token": o.api_token});
                self.sims.jira = Some(Arc::new(sim));
                (v, JIRA_SECRET.to_string())
            }
            Platform::Trello => {
                let o = TrelloOptions::default();
                let sim = TrelloSim::start(o.clone()).await.expect("trello sim");
                let v = json!({"board_id": o.board_id, "base_url": sim.base_url(),
                    "api_key": o.key, "api_token": o.token});
                self.sims.trello = Some(Arc::new(sim));
                (v, o.app_secret)
            }
            Platform::OpenProject => {
                let o = OpenProjectOptions::default();
                let sim = OpenProjectSim::start(o.clone())
                    .await
                    .expect("openproject sim");
                let v = json!({"base_url": sim.base_url(), "project_id": o.project_identifier,
                    "api_key": o.api_key});
                self.sims.openproject = Some(Arc::new(sim));
                (v, OPENPROJECT_SECRET.to_string())
            }
        };
        (v.0.as_object().cloned().expect("settings object"), v.1)
    }

    /// Points `p`'s simulator webhook at the host's route for `config_id`.
    async fn point_webhook(&self, p: Platform) {
        let url = self
            .engine
            .callback_url(self.config_id(p))
            .expect("public_url is set");
        match p {
            Platform::Github => self.github().set_webhook(github::HookConfig {
                url: Some(url),
                secret: GITHUB_SECRET.into(),
                hook_id: 1,
            }),
            Platform::Gitlab => self.gitlab().set_webhook(gitlab::HookConfig {
                url: Some(url),
                secret_token: Some(GITLAB_SECRET.into()),
                signing_token: Some(GITLAB_SECRET.into()),
            }),
            Platform::Jira => self.jira().set_webhook(jira::HookConfig {
                url: Some(url),
                secret: Some(JIRA_SECRET.into()),
            }),
            Platform::OpenProject => self
                .openproject()
                .set_webhook(Some(&url), Some(OPENPROJECT_SECRET)),
            Platform::Trello => register_trello_webhook(self.trello(), &url).await,
        }
    }

    /// The sync config of `p`.
    pub fn config_id(&self, p: Platform) -> i64 {
        self.configs[&p]
    }

    pub fn github(&self) -> &GithubSim {
        self.sims.github.as_deref().expect("github was not started")
    }

    pub fn gitlab(&self) -> &GitlabSim {
        self.sims.gitlab.as_deref().expect("gitlab was not started")
    }

    pub fn jira(&self) -> &JiraSim {
        self.sims.jira.as_deref().expect("jira was not started")
    }

    pub fn trello(&self) -> &TrelloSim {
        self.sims.trello.as_deref().expect("trello was not started")
    }

    pub fn openproject(&self) -> &OpenProjectSim {
        self.sims
            .openproject
            .as_deref()
            .expect("openproject was not started")
    }

    /// `p`'s simulator base URL.
    pub fn sim_url(&self, p: Platform) -> String {
        match p {
            Platform::Github => self.github().base_url(),
            Platform::Gitlab => self.gitlab().base_url(),
            Platform::Jira => self.jira().base_url(),
            Platform::Trello => self.trello().base_url(),
            Platform::OpenProject => self.openproject().base_url(),
        }
    }

    /// The host's webhook URL for `p`'s config.
    pub fn webhook_url(&self, p: Platform) -> String {
        format!("{}/api/v1/webhooks/{}", self.base_url, self.config_id(p))
    }

    /// Polls `p`'s config once as a backfill and asserts the run ended without an error or
    /// a failed item.
    pub async fn backfill_clean(&self, p: Platform) {
        let report = elder_sync_engine::poll::poll_config(
            &self.engine,
            self.config_id(p),
            "backfill",
            elder_sync_store::SyncMethod::Poll,
        )
        .await
        .unwrap();
        assert_eq!(report.error, None, "{report:?}");
        assert_eq!(report.tally.failed, 0, "{report:?}");
    }

    /// Elder issues of the project.
    pub async fn elder_issues(&self) -> Vec<Resource> {
        crate::project_issues(&self.store, self.project_id).await
    }

    /// The mapping of `p`'s issue `external_id`.
    pub async fn mapping(&self, p: Platform, external_id: &str) -> Option<Mapping> {
        self.store
            .find_mapping_by_external(self.config_id(p), Kind::Issue, external_id)
            .await
            .ok()
            .flatten()
    }

    /// The Elder issue mapped to `p`'s issue `external_id`.
    pub async fn elder_issue(&self, p: Platform, external_id: &str) -> Option<Resource> {
        let m = self.mapping(p, external_id).await?;
        self.store.get_resource(Kind::Issue, m.elder_id).await.ok()
    }

    /// The external id `p` has for Elder issue `elder_id`.
    pub async fn external_id(&self, p: Platform, elder_id: i64) -> Option<String> {
        self.store
            .find_mapping_by_elder(self.config_id(p), Kind::Issue, elder_id)
            .await
            .ok()
            .flatten()
            .map(|m| m.external_id)
    }

    /// Changes Elder issue `elder_id` as a user of the Elder API would.
    pub async fn edit_in_elder(&self, elder_id: i64, patch: ResourcePatch) -> Resource {
        self.store
            .update_resource(Kind::Issue, elder_id, &patch)
            .await
            .expect("update Elder issue")
    }

    /// Creates an Elder issue in the project as a user of the Elder API would.
    pub async fn create_in_elder(&self, title: &str) -> Resource {
        self.store
            .create_resource(
                Kind::Issue,
                &NewResource {
                    title: title.into(),
                    description: format!("{title}, written in Elder"),
                    project_id: Some(self.project_id),
                    ..NewResource::default()
                },
            )
            .await
            .expect("create Elder issue")
    }

    /// POSTs a raw delivery to `p`'s webhook route: (status, JSON body).
    pub async fn post_webhook(
        &self,
        p: Platform,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> (u16, Value) {
        let mut req = reqwest::Client::new().post(self.webhook_url(p)).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let resp = req.send().await.expect("post delivery");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// What the history `note` rows of `p`'s config say (their `sync_metadata`), newest
    /// first.
    pub async fn notes(&self, p: Platform) -> Vec<Value> {
        let filter = elder_sync_store::HistoryFilter {
            config_id: Some(self.config_id(p)),
            sync_type: Some("note".into()),
            success: None,
        };
        self.store
            .list_history(&filter, elder_sync_store::PageRequest::default())
            .await
            .expect("history")
            .items
            .into_iter()
            .map(|h| h.sync_metadata)
            .collect()
    }

    /// Deliveries waiting in the inbox.
    pub async fn inbox_depth(&self) -> i64 {
        elder_sync_store::inbox_depth(&self.store)
            .await
            .expect("inbox depth")
    }

    /// Waits (bounded, 20 s) until `cond` holds, checking every 50 ms.
    pub async fn eventually<F, Fut>(&self, what: &str, mut cond: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        for _ in 0..400 {
            if cond().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for: {what}");
    }

    /// Waits until the inbox and outbox hold nothing pending and the connectors' request
    /// count stayed the same over `rounds` checks 100 ms apart.
    pub async fn settle(&self, rounds: u32) {
        let mut last = usize::MAX;
        let mut still = 0;
        for _ in 0..600 {
            let now = self.tap.sent().len();
            if now == last && self.queues_empty().await {
                still += 1;
                if still >= rounds {
                    return;
                }
            } else {
                still = 0;
            }
            last = now;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the host never became quiet");
    }

    async fn queues_empty(&self) -> bool {
        let inbox = elder_sync_store::inbox_depth(&self.store).await;
        let outbox = self.store.list_outbox(Some(OutboxStatus::Pending), 1).await;
        inbox.is_ok_and(|n| n == 0) && outbox.is_ok_and(|o| o.is_empty())
    }

    /// Outbox rows parked as failed.
    pub async fn failed_outbox(&self) -> Vec<OutboxEntry> {
        self.store
            .list_outbox(Some(OutboxStatus::Error), 100)
            .await
            .expect("list outbox")
    }

    /// Stops the workers.
    pub fn stop_workers(&self) {
        self.stop.cancel();
    }
}

impl Drop for PlatformHost {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Registers a Trello webhook as the connector's user would (`POST /1/webhooks`): the
/// simulator makes the `HEAD` handshake to `callback` before accepting it.
pub async fn register_trello_webhook(sim: &TrelloSim, callback: &str) {
    let o = sim.options();
    let resp = reqwest::Client::new()
        .post(format!("{}/1/webhooks", sim.base_url()))
        .query(&[
            ("key", o.key.as_str()),
            ("token", o.token.as_str()),
            ("callbackURL", callback),
            ("idModel", o.board_id.as_str()),
        ])
        .send()
        .await
        .expect("trello webhook request");
    assert_eq!(
        resp.status(),
        200,
        "Trello refused the webhook: {:?}",
        resp.text().await
    );
}

fn serve(listener: tokio::net::TcpListener, engine: &SyncEngine, stop: CancellationToken) {
    let router = axum::Router::new()
        .merge(routes::webhook_routes(engine.clone()))
        .merge(routes::action_routes(engine.clone()));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
    });
}

/// `p`'s component compiled to native code once per test binary (compiling a component
/// takes seconds in a debug build; every host of the binary loads the same code).
fn precompiled(p: Platform) -> &'static [u8] {
    static CODE: [OnceLock<Vec<u8>>; 5] = [const { OnceLock::new() }; 5];
    CODE[p as usize].get_or_init(|| {
        let compiler = Runtime::new(RuntimeSettings::default()).expect("runtime");
        compiler
            .precompile(&crate::connector_component(p.name()))
            .unwrap_or_else(|e| panic!("compile {}.wasm: {e}", p.name()))
    })
}

/// An engine over `store` with `platforms`' components loaded, plain-http egress through
/// `tap`, and `public_url` set to the host's address.
pub fn engine_with(
    store: Store,
    platforms: &[Platform],
    public_url: &str,
    tap: Arc<EgressTap>,
) -> SyncEngine {
    let runtime = Runtime::new(RuntimeSettings {
        allow_plain_http: true,
        allow_private_networks: true,
        egress: Some(tap),
        ..RuntimeSettings::default()
    })
    .expect("runtime");
    let registry = Arc::new(ConnectorRegistry::new());
    for p in platforms {
        // SAFETY: the bytes are this process's own `precompile` output, never altered.
        let c = unsafe { runtime.load_precompiled(precompiled(*p), format!("e2e-{}", p.name())) }
            .unwrap_or_else(|e| panic!("load {}.wasm: {e}", p.name()));
        registry.install(c, 0);
    }
    SyncEngine::new(
        store,
        registry,
        Metrics::new().expect("metrics"),
        EngineSettings {
            public_url: Some(public_url.to_string()),
            ..EngineSettings::default()
        },
    )
}
