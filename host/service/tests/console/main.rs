//! Issue 16, the operator console in a real browser: headless Chromium over WebDriver against
//! a real `elder-sync serve` with the GitHub simulator. An admin signs in, creates a GitHub
//! config from the form the connector's schema generates, tests and runs it, sees the
//! imported item and the run in the history, settles a conflict made on both sides with a
//! field-by-field merge, disables and re-enables the plugin; a read-only token sees no write
//! buttons and a form it forges is refused. Screenshots of every page are written to
//! `target/console-screenshots/` (SQLite run).

mod browser;

use std::time::Duration;

use browser::{Browser, LAPTOP, PHONE};
use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{GithubOptions, GithubSim, IssueEdit, SeedIssue, sign};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");
const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_console_on_sqlite() {
    operator_console(TestEngine::Sqlite, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_console_on_postgres() {
    operator_console(TestEngine::Postgres, false).await;
}

struct Run<'a> {
    service: &'a Service,
    github: &'a GithubSim,
    browser: &'a Browser,
    screenshots: bool,
}

impl Run<'_> {
    fn url(&self, path: &str) -> String {
        self.service.url(path)
    }

    async fn shot(&self, name: &str) {
        if self.screenshots {
            self.browser.shot(name).await;
        }
    }

    async fn sign_in(&self, token: &str) {
        self.browser.goto(&self.url("/sign-in")).await;
        self.browser.fill("#token", token).await;
        self.browser.press("Sign in").await;
    }
}

async fn operator_console(engine: TestEngine, screenshots: bool) {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    github.seed_issue(SeedIssue {
        title: "Imported from GitHub".into(),
        body: Some("Seeded on the simulator".into()),
        ..SeedIssue::default()
    });
    let service = Service::start(
        BIN,
        ServiceOptions::new(engine)
            .connectors(&["github"])
            .reaching_local_simulators(),
    )
    .await;
    let (status, project) = service.post("/projects", &json!({"title": "Apollo"})).await;
    assert_eq!(status, 201, "{project}");
    let browser = Browser::start().await;
    let run = Run {
        service: &service,
        github: &github,
        browser: &browser,
        screenshots,
    };

    signs_in(&run).await;
    let config_id = creates_a_config(&run, project["id"].as_i64().unwrap()).await;
    runs_it_and_sees_items_and_history(&run, config_id).await;
    settles_a_conflict_with_a_merge(&run, config_id).await;
    disables_and_enables_the_plugin(&run).await;
    dashboard_shows_the_config(&run).await;
    retries_and_drops_a_dead_letter(&run, config_id).await;
    read_only_changes_nothing(&run, config_id).await;
    browser.close().await;
}

async fn signs_in(run: &Run<'_>) {
    let b = run.browser;
    b.goto(&run.url("/")).await;
    assert!(
        b.client.current_url().await.unwrap().path() == "/sign-in",
        "a visitor without a session is sent to sign in"
    );
    run.shot("sign-in").await;
    run.sign_in("est_not-a-token").await;
    assert!(b.text().await.contains("invalid or revoked API token"));
    run.sign_in(&run.service.admin_token).await;
    let text = b.text().await;
    assert!(
        text.contains("Dashboard") && text.contains("No sync configs yet"),
        "{text}"
    );
    let cookie: Value = b
        .client
        .execute("return document.cookie", vec![])
        .await
        .unwrap();
    assert_eq!(cookie, json!(""), "the session cookie is HttpOnly");
}

async fn creates_a_config(run: &Run<'_>, project_id: i64) -> i64 {
    let b = run.browser;
    b.goto(&run.url("/configs/new")).await;
    b.follow("a[href='/configs/new?platform=github']").await;
    let text = b.text().await;
    for key in ["api_token", "owner", "repo", "base_url"] {
        assert!(
            text.contains(key),
            "the form has the schema's {key}: {text}"
        );
    }
    assert_eq!(
        b.find("#cfg\\.api_token")
            .await
            .attr("type")
            .await
            .unwrap()
            .as_deref(),
        Some("password"),
        "secrets are typed into password fields"
    );
    b.fill("#name", "widgets").await;
    b.select("#elder_project_id", &project_id.to_string()).await;
    b.select("#conflict_strategy", "manual").await;
    b.click("#two_way_create").await;
    b.click("#webhook_enabled").await;
    b.fill("#cfg\\.owner", "octocat").await;
    b.fill("#cfg\\.repo", "Hello-World").await;
    b.fill("#cfg\\.base_url", &run.github.base_url()).await;
    b.fill("#cfg\\.api_token", &run.github.token()).await;
    run.shot("config-new").await;
    b.press("Create config").await;
    let text = b.text().await;
    assert!(text.contains("Config \"widgets\" created."), "{text}");
    let source = b.client.source().await.unwrap();
    assert!(
        !source.contains(&run.github.token()),
        "the secret is never shown again"
    );
    assert!(text.contains("api_token: set"), "{text}");
    let path = b.client.current_url().await.unwrap().path().to_string();
    let id: i64 = path.trim_start_matches("/configs/").parse().expect(&path);

    // An API error, in words: a second config with the same name.
    b.goto(&run.url("/configs/new?platform=github")).await;
    b.fill("#name", "widgets").await;
    b.fill("#cfg\\.owner", "octocat").await;
    b.fill("#cfg\\.repo", "Hello-World").await;
    b.fill("#cfg\\.api_token", "x").await;
    b.press("Create config").await;
    let text = b.text().await;
    assert!(
        text.contains("a sync config with this name exists")
            && text.contains("Error code: conflict"),
        "{text}"
    );
    // The refused form comes back as typed, its secret blank.
    for (css, typed) in [("#cfg\\.owner", "octocat"), ("#cfg\\.api_token", "")] {
        let value = b.find(css).await.prop("value").await.unwrap();
        assert_eq!(value.as_deref(), Some(typed), "{css}");
    }
    id
}

/// The correlation id quoted in a run's result.
fn correlation_id(text: &str) -> String {
    let at = text.find("correlation id ").expect(text) + "correlation id ".len();
    text[at..at + 36].to_string()
}

async fn runs_it_and_sees_items_and_history(run: &Run<'_>, id: i64) {
    let b = run.browser;
    b.goto(&run.url(&format!("/configs/{id}"))).await;
    b.press("Test connection").await;
    let text = b.text().await;
    assert!(text.contains("Connection works"), "{text}");
    b.press("Run now").await;
    let text = b.text().await;
    // The scheduler may have imported the issue already (the config is due at once).
    assert!(
        text.contains("Run finished.") && text.contains("0 failed"),
        "{text}"
    );
    let cid = correlation_id(&text);
    assert!(
        text.contains("Imported from GitHub"),
        "the imported item is listed: {text}"
    );
    run.shot("config").await;

    // A dry run sees the platform's new issue and writes nothing.
    run.github.seed_issue(SeedIssue {
        title: "Second from GitHub".into(),
        ..SeedIssue::default()
    });
    b.press("Dry run").await;
    let text = b.text().await;
    assert!(
        text.contains("Dry run, nothing was written. In Elder: 1 to create (Second from GitHub)"),
        "{text}"
    );
    let (_, issues) = run.service.get("/issues?per_page=100").await;
    assert!(
        !issues.to_string().contains("Second from GitHub"),
        "the dry run wrote nothing: {issues}"
    );

    b.goto(&run.url(&format!("/history?config_id={id}"))).await;
    let text = b.text().await;
    assert!(text.contains(&cid) && text.contains("manual"), "{text}");
    run.shot("history").await;
    b.select("#outcome", "failed").await;
    b.press("Filter").await;
    let text = b.text().await;
    assert!(text.contains("0 runs") && !text.contains(&cid), "{text}");
}

async fn elder_issue(service: &Service) -> Value {
    let (_, page) = service.get("/issues").await;
    page["items"][0].clone()
}

async fn settles_a_conflict_with_a_merge(run: &Run<'_>, id: i64) {
    let b = run.browser;
    // The platform changes first, so Elder's change cannot reach it before it does.
    run.github
        .user_edit_issue(
            1,
            IssueEdit {
                title: Some("Title from GitHub".into()),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    let issue = elder_issue(run.service).await;
    let (status, patched) = run
        .service
        .patch(
            &format!("/issues/{}", issue["id"]),
            &json!({"title": "Title from Elder", "description": "Body from Elder"}),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    b.goto(&run.url(&format!("/configs/{id}"))).await;
    b.press("Run now").await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        b.goto(&run.url("/conflicts")).await;
        if b.exists("table a[href^='/conflicts/']").await {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no conflict: {}",
            b.text().await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    run.shot("conflicts").await;
    b.follow("table a[href^='/conflicts/']").await;
    let text = b.text().await;
    assert!(
        text.contains("Title from GitHub") && text.contains("Title from Elder"),
        "both sides side by side: {text}"
    );
    b.click("input[name='pick.title'][value='platform']").await;
    b.click("input[name='pick.body'][value='elder']").await;
    run.shot("conflict").await;
    b.press("Merge with the chosen fields").await;
    let text = b.text().await;
    assert!(text.contains("resolved (merge)"), "{text}");
    let issue = elder_issue(run.service).await;
    assert_eq!(issue["title"], "Title from GitHub");
    assert_eq!(issue["description"], "Body from Elder");
    let gh = run.github.issue(1).unwrap();
    assert_eq!(gh.title, "Title from GitHub");
    assert_eq!(gh.body.as_deref(), Some("Body from Elder"));
}

async fn plugin_enabled(service: &Service) -> bool {
    let (_, list) = service.get("/plugins").await;
    list["plugins"][0]["enabled"].as_bool().unwrap()
}

async fn disables_and_enables_the_plugin(run: &Run<'_>) {
    let b = run.browser;
    b.goto(&run.url("/plugins")).await;
    b.press("Disable").await;
    assert!(b.text().await.contains("Plugin github disabled"));
    assert!(!plugin_enabled(run.service).await);
    b.press("Enable").await;
    assert!(b.text().await.contains("Plugin github enabled"));
    assert!(plugin_enabled(run.service).await);
    // Uploading the version already serving, as a multipart form from the page.
    let file = |ext: &str| run.service.plugin_dir.join(format!("github.{ext}"));
    b.attach("#manifest", &file("toml")).await;
    b.attach("#component", &file("wasm")).await;
    b.press("Upload").await;
    let text = b.text().await;
    assert!(
        text.contains("Plugin github 1.0.0 was already serving"),
        "{text}"
    );
    run.shot("plugins").await;
}

async fn dashboard_shows_the_config(run: &Run<'_>) {
    let b = run.browser;
    b.goto(&run.url("/")).await;
    let text = b.text().await;
    assert!(
        text.contains("widgets") && text.contains("github"),
        "{text}"
    );
    assert!(
        b.exists("svg.chart rect.ops").await,
        "the chart shows the runs"
    );
    run.shot("dashboard").await;
    b.resize(PHONE).await;
    b.goto(&run.url("/")).await;
    run.shot("dashboard-phone").await;
    b.resize(LAPTOP).await;
}

/// Waits until the dead-letter list holds `n` entries.
async fn dead_letters_total(service: &Service, n: i64) {
    service
        .eventually(WAIT, "the dead letters", || async {
            let (_, page) = service.get("/sync/dead-letters").await;
            (page["total"] == n).then_some(())
        })
        .await
}

async fn retries_and_drops_a_dead_letter(run: &Run<'_>, id: i64) {
    let secret = "console-test-webhook-secret-0123456789";
    let (status, config) = run
        .service
        .patch(
            &format!("/sync/configs/{id}"),
            &json!({"webhook_enabled": true, "webhook_secret": secret}),
        )
        .await;
    assert_eq!(status, 200, "{config}");
    // A signed delivery the connector refuses as malformed is parked at once.
    let payload = br#"{"action": "opened", "issue": "not an issue"}"#;
    let (status, _) = run
        .service
        .webhook(
            id,
            &[
                ("X-GitHub-Event", "issues"),
                ("X-GitHub-Delivery", "console-dead-1"),
                ("X-Hub-Signature-256", &sign(secret, payload)),
                ("Content-Type", "application/json"),
            ],
            payload,
        )
        .await;
    assert_eq!(status, 202);
    dead_letters_total(run.service, 1).await;
    let b = run.browser;
    b.goto(&run.url("/dead-letters")).await;
    let text = b.text().await;
    assert!(
        text.contains("delivery console-dead-1") && text.contains("malformed"),
        "{text}"
    );
    run.shot("dead-letters").await;
    b.press("Retry").await;
    let text = b.text().await;
    assert!(text.contains("is back in its queue"), "{text}");
    // Refused again by the connector: parked again, then dropped from the page.
    run.service
        .eventually(WAIT, "the retried delivery parked again", || async {
            let (_, page) = run.service.get("/sync/dead-letters").await;
            (page["total"] == 1 && page["items"][0]["attempts"] == 1).then_some(())
        })
        .await;
    b.goto(&run.url("/dead-letters")).await;
    b.press("Drop").await;
    let text = b.text().await;
    assert!(text.contains("was dropped"), "{text}");
    dead_letters_total(run.service, 0).await;
}

async fn read_only_changes_nothing(run: &Run<'_>, id: i64) {
    let b = run.browser;
    b.press("Sign out").await;
    assert_eq!(b.client.current_url().await.unwrap().path(), "/sign-in");
    b.goto(&run.url("/")).await;
    assert_eq!(b.client.current_url().await.unwrap().path(), "/sign-in");
    run.sign_in(&run.service.read_token).await;
    for page in [
        format!("/configs/{id}"),
        "/plugins".into(),
        "/conflicts/1".into(),
        "/dead-letters".into(),
        "/".into(),
    ] {
        b.goto(&run.url(&page)).await;
        assert_eq!(
            b.buttons().await,
            vec!["Sign out".to_string()],
            "{page}: {}",
            b.text().await
        );
    }
    // A form forged in the page, with the session's own CSRF token: refused in words.
    b.goto(&run.url(&format!("/configs/{id}"))).await;
    let forge = format!(
        "const f = document.createElement('form'); f.method = 'post'; \
         f.action = '/configs/{id}/disable'; \
         f.appendChild(document.querySelector('input[name=csrf]').cloneNode()); \
         document.body.appendChild(f); f.submit();"
    );
    b.submit_script(&forge).await;
    let text = b.text().await;
    assert!(text.contains("this token is read-only"), "{text}");
    let (_, config) = run.service.get(&format!("/sync/configs/{id}")).await;
    assert_eq!(config["enabled"], true, "the forged form changed nothing");
}
