//! A real `elder-sync serve` process for end-to-end tests: its own data directory, a fresh
//! database (SQLite file or a new PostgreSQL database), a copy of the built connectors as its
//! plugin directory, a loopback port, admin and read-only tokens made with the binary's own
//! `token create`, and its log captured to a file. Talk to it over real HTTP; kill it with
//! SIGKILL or stop it with SIGTERM; start it again on the same data.
//!
//! Tests pass the binary: `env!("CARGO_BIN_EXE_elder-sync")` from the service crate's own
//! tests (`host/service/tests/`), which is why this harness takes a path instead of finding it.
//!
//! Compiled connector code is shared between the services a test run starts: the first one to
//! become healthy leaves its verified compiled-code cache in `target/test-plugin-cache`, and
//! later services start from a copy of it (the cache checks every entry, so a stale copy costs
//! a recompile, never a wrong answer).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use elder_sync_store::testing::{TestDb, TestEngine};
use reqwest::StatusCode;
use serde_json::Value;

/// How to start a service.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// The database engine.
    pub engine: TestEngine,
    /// Extra environment (`KEY`, `value`); later entries override the harness defaults.
    pub env: Vec<(String, String)>,
    /// Which built connectors (`target/connectors/<name>.wasm`) to put in the plugin
    /// directory; `None` means all of them.
    pub connectors: Option<Vec<String>>,
    /// More plugins: `(file stem, component bytes, manifest text)`, written to the plugin
    /// directory as `<stem>.wasm` and `<stem>.toml` (e.g. a test guest).
    pub plugins: Vec<(String, Vec<u8>, String)>,
}

impl ServiceOptions {
    /// All built connectors on `engine`, no extra environment.
    pub fn new(engine: TestEngine) -> Self {
        ServiceOptions {
            engine,
            env: Vec::new(),
            connectors: None,
            plugins: Vec::new(),
        }
    }

    /// Adds one environment variable.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// Lets connector egress reach the loopback simulators: plain http and private
    /// addresses (both explicit opt-ins, off by default in the service).
    pub fn reaching_local_simulators(self) -> Self {
        self.env("ELDER_ALLOW_HTTP_EGRESS", "true")
            .env("ELDER_EGRESS_ALLOW_PRIVATE", "true")
    }

    /// Only these connectors in the plugin directory.
    pub fn connectors(mut self, names: &[&str]) -> Self {
        self.connectors = Some(names.iter().map(|n| n.to_string()).collect());
        self
    }

    /// Adds a plugin `<stem>.wasm` with its manifest `<stem>.toml`.
    pub fn plugin(mut self, stem: &str, component: Vec<u8>, manifest: &str) -> Self {
        self.plugins
            .push((stem.to_string(), component, manifest.to_string()));
        self
    }
}

/// A running `elder-sync serve`.
pub struct Service {
    bin: PathBuf,
    env: Vec<(String, String)>,
    child: Option<Child>,
    addr: String,
    /// The admin API token.
    pub admin_token: String,
    /// A read-only API token.
    pub read_token: String,
    /// The plugin directory the service loads connectors from.
    pub plugin_dir: PathBuf,
    /// The data directory.
    pub data_dir: PathBuf,
    log_path: PathBuf,
    http: reqwest::Client,
    db: TestDb,
    _dir: tempfile::TempDir,
}

impl Service {
    /// Starts the service and waits until `/healthz` answers (panics with its log otherwise).
    pub async fn start(bin: impl AsRef<Path>, options: ServiceOptions) -> Service {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        let plugin_dir = dir.path().join("plugins");
        std::fs::create_dir_all(&data_dir).unwrap();
        std::fs::create_dir_all(&plugin_dir).unwrap();
        copy_connectors(&plugin_dir, options.connectors.as_deref());
        for (stem, component, manifest) in &options.plugins {
            std::fs::write(plugin_dir.join(format!("{stem}.wasm")), component).unwrap();
            std::fs::write(plugin_dir.join(format!("{stem}.toml")), manifest).unwrap();
        }
        seed_compiled_cache(&data_dir.join("plugin-cache"));
        let db = TestDb::new(options.engine).await;
        let addr = format!("127.0.0.1:{}", free_port());
        let key = base64::engine::general_purpose::STANDARD.encode(rand_bytes());
        let mut env: Vec<(String, String)> = vec![
            ("ELDER_LISTEN_ADDR".into(), addr.clone()),
            ("ELDER_DATA_DIR".into(), data_dir.display().to_string()),
            ("ELDER_PLUGIN_DIR".into(), plugin_dir.display().to_string()),
            ("DATABASE_URL".into(), db.url.clone()),
            ("ELDER_SECRET_KEY".into(), key),
            ("ELDER_PLUGIN_WATCH".into(), "false".into()),
            ("LOG_FORMAT".into(), "json".into()),
            ("LOG_LEVEL".into(), "info".into()),
        ];
        env.extend(options.env);
        let bin = bin.as_ref().to_path_buf();
        let admin_token = create_token(&bin, &env, "admin");
        let read_token = create_token(&bin, &env, "read-only");
        let mut service = Service {
            bin,
            env,
            child: None,
            addr,
            admin_token,
            read_token,
            plugin_dir,
            data_dir: data_dir.clone(),
            log_path: dir.path().join("service.log"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            db,
            _dir: dir,
        };
        service.spawn().await;
        share_compiled_cache(&data_dir.join("plugin-cache"));
        service
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("service log file");
        let child = Command::new(&self.bin)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawning elder-sync serve");
        self.child = Some(child);
        self.wait_healthy().await;
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "elder-sync serve exited ({status}) before answering /healthz; its log:\n{}",
                    self.logs()
                );
            }
            let ok = self
                .http
                .get(self.url("/healthz"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "elder-sync serve did not answer /healthz within 120 s; its log:\n{}",
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `http://127.0.0.1:<port>` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The `/api/v1` URL of `path` (e.g. `/issues`).
    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    /// The HTTP client the helpers use.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The database URL the service uses.
    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    /// Everything the service has logged so far (every run of it).
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// `GET /api/v1{path}` with the admin token: status and JSON body (`Null` when empty).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(self.api(path)), &self.admin_token.clone())
            .await
    }

    /// `POST /api/v1{path}` with a JSON body and the admin token.
    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(
            self.http.post(self.api(path)).json(body),
            &self.admin_token.clone(),
        )
        .await
    }

    /// `PATCH /api/v1{path}` with a JSON body and the admin token.
    pub async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(
            self.http.patch(self.api(path)).json(body),
            &self.admin_token.clone(),
        )
        .await
    }

    /// `DELETE /api/v1{path}` with the admin token.
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.delete(self.api(path)), &self.admin_token.clone())
            .await
    }

    /// Sends `request` with `token` as its bearer token; status and JSON body.
    pub async fn send(&self, request: reqwest::RequestBuilder, token: &str) -> (StatusCode, Value) {
        let response = request
            .bearer_auth(token)
            .send()
            .await
            .expect("request to elder-sync");
        status_and_json(response).await
    }

    /// The `/metrics` text (no token).
    pub async fn metrics(&self) -> String {
        let response = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("scraping /metrics");
        response.text().await.expect("the /metrics text")
    }

    /// Posts a webhook delivery to `/api/v1/webhooks/{config_id}` (no API token).
    pub async fn webhook(
        &self,
        config_id: i64,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(self.api(&format!("/webhooks/{config_id}")))
            .body(body.to_vec());
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        status_and_json(request.send().await.expect("webhook request")).await
    }

    /// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout` with `what`.
    pub async fn eventually<T, F, Fut>(&self, timeout: Duration, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; service log:\n{}",
                    tail(&self.logs(), 60)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the process with SIGKILL (no shutdown at all) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the process with SIGTERM and waits (up to 30 s) for its orderly shutdown.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the (stopped or killed) service again on the same data, port and environment.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    /// Options for another replica of this service: `engine`'s defaults plus this service's
    /// database (`DATABASE_URL`) and secret key, so both serve the same data (issue 15). The
    /// replica gets its own data and plugin directories, port and tokens.
    pub fn replica_options(&self, engine: TestEngine) -> ServiceOptions {
        let mut options = ServiceOptions::new(engine);
        for key in ["DATABASE_URL", "ELDER_SECRET_KEY"] {
            if let Some((_, value)) = self.env.iter().rev().find(|(k, _)| k == key) {
                options = options.env(key, value.clone());
            }
        }
        options
    }

    /// Starts it again with one environment variable changed or added.
    pub async fn restart_with(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
        self.restart().await;
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

async fn status_and_json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.unwrap_or_default();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, json)
}

fn create_token(bin: &Path, env: &[(String, String)], role: &str) -> String {
    let out = Command::new(bin)
        .args(["token", "create", "--role", role])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("running elder-sync token create");
    assert!(
        out.status.success(),
        "elder-sync token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(16) {
        chunk.copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    bytes
}

fn copy_connectors(plugin_dir: &Path, only: Option<&[String]>) {
    let built = crate::workspace_root().join("target/connectors");
    let entries = std::fs::read_dir(&built).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the connectors first (make wasm, or make test)",
            built.display()
        )
    });
    for entry in entries.flatten() {
        let path = entry.path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if only.is_some_and(|names| !names.contains(&stem)) {
            continue;
        }
        std::fs::copy(&path, plugin_dir.join(path.file_name().unwrap())).unwrap();
    }
}

fn shared_cache() -> PathBuf {
    crate::workspace_root().join("target/test-plugin-cache")
}

fn seed_compiled_cache(cache_dir: &Path) {
    let shared = shared_cache();
    if shared.is_dir() {
        let _ = copy_dir(&shared, cache_dir);
    }
}

/// Publishes a warm compiled-code cache once (written aside, then renamed into place).
fn share_compiled_cache(cache_dir: &Path) {
    let shared = shared_cache();
    if shared.exists() || !cache_dir.is_dir() {
        return;
    }
    let staging = shared.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    if copy_dir(cache_dir, &staging).is_ok() && std::fs::rename(&staging, &shared).is_ok() {
        return;
    }
    let _ = std::fs::remove_dir_all(&staging);
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
