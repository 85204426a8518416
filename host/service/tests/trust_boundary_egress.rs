//! Issue 11 against the real `elder-sync serve`, on SQLite and PostgreSQL: a connector never
//! sees a secret, and egress cannot be aimed at the host's own network with credentials.
//!
//! - Without `ELDER_EGRESS_ALLOW_PRIVATE`, a config whose `base_url` is 127.0.0.1, [::1],
//!   169.254.169.254 or a name resolving to loopback (`localhost`) gets `host-not-allowed`
//!   naming the address class and the setting, and no request reaches the listener.
//! - `{"env": "ELDER_SECRET_KEY"}` / `{"env": "DATABASE_URL"}` secret references are 422s.
//! - With the opt-in, the same loopback server is reached; an upstream error body quoting the
//!   token is redacted in the run answer, the history and the `/test` answer.
//! - A new version of the `github` connector that drops the `api_token` secret flag (the
//!   `leaky` test guest) waits for approval with the change in the diff, and once approved
//!   still never receives the token; the responses it gets carry no `Set-Cookie` and no
//!   echoed token.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine as _;
use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");
const TOKEN: &str = "ghp_TrustBoundaryToken0123456789";

/// What the loopback "platform" saw.
#[derive(Default)]
struct Seen {
    /// Every request: method and path.
    requests: Vec<String>,
    /// Bodies posted to `/record` (what the leaky guest was given).
    recorded: Vec<String>,
}

type Shared = Arc<Mutex<Seen>>;

/// A loopback server standing in for a platform. `/record` keeps the body; `/probe` answers
/// with a cookie and echoes the Authorization it got in `Location` and in the body; anything
/// else is a 401 whose body quotes the credential (as some platforms do).
async fn platform() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route("/record", post(record))
        .route("/probe", get(probe))
        .fallback(unauthorized)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn note(seen: &Shared, what: String) {
    seen.lock().unwrap().requests.push(what);
}

async fn record(State(seen): State<Shared>, body: String) -> &'static str {
    note(&seen, "POST /record".into());
    seen.lock().unwrap().recorded.push(body);
    "recorded"
}

fn credential(headers: &HeaderMap) -> String {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    auth.strip_prefix("Bearer ").unwrap_or(auth).to_string()
}

async fn probe(State(seen): State<Shared>, headers: HeaderMap) -> impl IntoResponse {
    note(&seen, "GET /probe".into());
    let token = credential(&headers);
    (
        [
            ("set-cookie", "session=s3ss10n-cookie; HttpOnly".to_string()),
            ("location", format!("/next?token={token}")),
        ],
        format!("echo:{token}:end"),
    )
}

async fn unauthorized(
    State(seen): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> impl IntoResponse {
    note(&seen, uri.path().to_string());
    let token = credential(&headers);
    (
        StatusCode::UNAUTHORIZED,
        format!("{{\"message\": \"Bad credentials: {token} is not valid\"}}"),
    )
}

fn github_config(name: &str, base_url: &str) -> Value {
    json!({
        "name": name,
        "platform": "github",
        "config_json": {"owner": "acme", "repo": "widgets", "base_url": base_url, "api_token": TOKEN},
    })
}

async fn create_config(service: &Service, body: &Value) -> i64 {
    let (status, created) = service.post("/sync/configs", body).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

async fn test_answer(service: &Service, id: i64) -> Value {
    let (status, answer) = service
        .post(&format!("/sync/configs/{id}/test"), &json!({}))
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_addresses_and_foreign_env_refs_are_refused_on_sqlite() {
    internal_addresses_and_foreign_env_refs_are_refused(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_addresses_and_foreign_env_refs_are_refused_on_postgres() {
    internal_addresses_and_foreign_env_refs_are_refused(TestEngine::Postgres).await;
}

async fn internal_addresses_and_foreign_env_refs_are_refused(engine: TestEngine) {
    let (base, seen) = platform().await;
    let port = base.rsplit(':').next().unwrap().to_string();
    // Plain http is allowed (the listener speaks http); private networks are NOT.
    let service = Service::start(
        BIN,
        ServiceOptions::new(engine)
            .env("ELDER_ALLOW_HTTP_EGRESS", "true")
            .connectors(&["github"]),
    )
    .await;

    let targets = [
        (base.clone(), "loopback"),
        (format!("http://localhost:{port}"), "loopback"),
        (format!("http://[::1]:{port}"), "loopback"),
        ("http://169.254.169.254".to_string(), "link-local"),
    ];
    for (i, (url, class)) in targets.iter().enumerate() {
        let id = create_config(&service, &github_config(&format!("inward-{i}"), url)).await;
        let answer = test_answer(&service, id).await;
        assert_eq!(answer["ok"], false, "{url}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("host not allowed")
                && error.contains(&format!("a {class} address"))
                && error.contains("ELDER_EGRESS_ALLOW_PRIVATE=true"),
            "{url}: {answer}"
        );
    }
    assert!(
        seen.lock().unwrap().requests.is_empty(),
        "a refused request reached the listener: {:?}",
        seen.lock().unwrap().requests
    );

    for var in ["ELDER_SECRET_KEY", "DATABASE_URL"] {
        let mut body = github_config(&format!("env-{var}"), "https://ghe.example.com");
        body["config_json"]["api_token"] = json!({"env": var});
        let (status, error) = service.post("/sync/configs", &body).await;
        assert_eq!(status, 422, "{var}: {error}");
        assert_eq!(error["error"]["field"], "config_json.api_token", "{error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("ELDER_SECRET_")),
            "{error}"
        );
    }
    let mut hook = github_config("env-hook", "https://ghe.example.com");
    hook["webhook_secret"] = json!({"env": "DATABASE_URL"});
    let (status, error) = service.post("/sync/configs", &hook).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["field"], "webhook_secret", "{error}");
    let mut fine = github_config("env-ok", "https://ghe.example.com");
    fine["config_json"]["api_token"] = json!({"env": "ELDER_SECRET_GITHUB_TOKEN"});
    let (status, created) = service.post("/sync/configs", &fine).await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_never_sees_or_gets_back_a_secret_on_sqlite() {
    a_connector_never_sees_or_gets_back_a_secret(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connector_never_sees_or_gets_back_a_secret_on_postgres() {
    a_connector_never_sees_or_gets_back_a_secret(TestEngine::Postgres).await;
}

async fn a_connector_never_sees_or_gets_back_a_secret(engine: TestEngine) {
    let (base, seen) = platform().await;
    let service = Service::start(
        BIN,
        ServiceOptions::new(engine)
            .env("ELDER_ALLOW_HTTP_EGRESS", "true")
            // The "platform" listens on loopback: the operator's explicit opt-in.
            .env("ELDER_EGRESS_ALLOW_PRIVATE", "true")
            .connectors(&["github"]),
    )
    .await;
    let id = create_config(&service, &github_config("widgets", &base)).await;

    // The opt-in reaches the listener; the 401 body quoting the token is redacted everywhere.
    let answer = test_answer(&service, id).await;
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(
        !seen.lock().unwrap().requests.is_empty(),
        "nothing reached the platform"
    );
    assert!(
        !answer.to_string().contains(TOKEN),
        "token in /test: {answer}"
    );
    let (_, run) = service
        .post(&format!("/sync/configs/{id}/run"), &json!({}))
        .await;
    assert!(
        !run.to_string().contains(TOKEN),
        "token in the run answer: {run}"
    );
    let (status, history) = service.get("/sync/history").await;
    assert_eq!(status, 200, "{history}");
    let shown = history.to_string();
    assert!(
        shown.contains("Bad credentials"),
        "no failed run recorded: {history}"
    );
    assert!(!shown.contains(TOKEN), "token in the history: {history}");

    // A version that stops marking api_token secret waits for approval, showing the change.
    let component = std::fs::read(test_guest("leaky")).expect("built leaky guest");
    let manifest = "id = \"github\"\nversion = \"9.9.9-leaky\"\nhosts = [\"api.github.com\", \"{base_url}\"]\n";
    let upload = json!({
        "manifest": manifest,
        "component": base64::engine::general_purpose::STANDARD.encode(&component),
    });
    let (status, pending) = service.post("/plugins", &upload).await;
    assert_eq!(status, 202, "{pending}");
    let (_, plugins) = service.get("/plugins").await;
    let surface = plugins["pending"][0]["diff"]["surface"].to_string();
    assert!(
        surface.contains("secret flag dropped: api_token"),
        "the diff does not show the dropped flag: {plugins}"
    );
    let (status, approved) = service.post("/plugins/github/approve", &json!({})).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["plugin"]["version"], "9.9.9-leaky", "{approved}");

    // Approved, it still never receives the token, and gets no cookie and no echoed token.
    let answer = test_answer(&service, id).await;
    assert_eq!(answer["ok"], true, "{answer}");
    let recorded = seen.lock().unwrap().recorded.clone();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert!(recorded[0].contains("owner=acme"), "{recorded:?}");
    assert!(
        !recorded[0].contains(TOKEN) && !recorded[0].contains("api_token"),
        "the guest received the token: {recorded:?}"
    );
    let reached = answer["reached"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(reached.starts_with("200"), "{answer}");
    assert!(
        !reached.contains("set-cookie") && !reached.contains("s3ss10n"),
        "{answer}"
    );
    // The echoed credential came back replaced (the body line is not a `name=value` pair the
    // log redaction of the answer would catch, so only the egress scrub can hide it).
    assert!(reached.contains("echo:redacted:end"), "{answer}");
    assert!(reached.contains("location=/next?token="), "{answer}");
    assert!(!answer.to_string().contains(TOKEN), "{answer}");
    assert!(!service.logs().contains(TOKEN), "the token was logged");
}

fn test_guest(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-guests")
        .join(format!("{name}.wasm"))
}
