//! Issue 13 (day one), against the running service and the GitHub simulator, on SQLite and
//! PostgreSQL: `conflict_strategy` is a typed field; alias keys (`org_name`) are stored and
//! shown under their canonical keys (`owner`); existing pairs are linked by hand
//! (`POST/GET/DELETE /api/v1/sync/mappings`) and the next run reconciles them from a fresh
//! base; a dry run (`run?dry_run=true`) says what a run would do and writes nothing, and
//! the real run afterwards does what it said. Configs are created disabled, so the
//! scheduler's backfill does not run before the test does.

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_model::Strategy;
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::{GithubOptions, GithubSim, SeedIssue};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{AnyPool, Row};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

elder_sync_store::both_engines!(
    conflict_strategy_is_typed,
    aliases_are_shown_under_their_canonical_keys,
    links_reconcile_from_a_fresh_base,
    a_dry_run_writes_nothing_and_the_run_does_what_it_said,
);

async fn start(engine: TestEngine) -> (Service, GithubSim) {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    let service = Service::start(
        BIN,
        ServiceOptions::new(engine)
            .connectors(&["github"])
            .reaching_local_simulators(),
    )
    .await;
    (service, github)
}

fn seed(github: &GithubSim, title: &str, body: &str) -> u64 {
    seed_at(github, title, body, None)
}

/// Seeds an issue last updated at `updated_at` (epoch seconds; `None`: now).
fn seed_at(github: &GithubSim, title: &str, body: &str, updated_at: Option<i64>) -> u64 {
    github.seed_issue(SeedIssue {
        title: title.into(),
        body: Some(body.into()),
        updated_at,
        ..SeedIssue::default()
    })
}

async fn project(service: &Service, title: &str) -> i64 {
    let (status, p) = service.post("/projects", &json!({"title": title})).await;
    assert_eq!(status, 201, "{p}");
    p["id"].as_i64().unwrap()
}

async fn issue(service: &Service, project_id: i64, title: &str, body: &str) -> Value {
    let (status, i) = service
        .post(
            "/issues",
            &json!({"title": title, "description": body, "project_id": project_id}),
        )
        .await;
    assert_eq!(status, 201, "{i}");
    i
}

/// A disabled GitHub config (import default, no two_way_create) with `strategy`.
async fn config(service: &Service, github: &GithubSim, project_id: i64, strategy: &str) -> i64 {
    let (status, created) = service
        .post(
            "/sync/configs",
            &json!({
                "name": format!("hello-world-{strategy}"), "platform": "github",
                "enabled": false, "elder_project_id": project_id,
                "config_json": {
                    "owner": "octocat", "repo": "Hello-World",
                    "base_url": github.base_url(), "api_token": github.token(),
                    "conflict_strategy": strategy,
                },
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["config_json"]["conflict_strategy"], strategy);
    created["id"].as_i64().unwrap()
}

/// `PATCH /sync/configs/{id}` with `{"config_json": changes}`.
async fn patch_config_json(service: &Service, id: i64, changes: Value) -> (StatusCode, Value) {
    service
        .patch(
            &format!("/sync/configs/{id}"),
            &json!({"config_json": changes}),
        )
        .await
}

/// A manual run of config `id`, which must succeed; its answer.
async fn run(service: &Service, id: i64) -> Value {
    let (status, answer) = service
        .post(&format!("/sync/configs/{id}/run"), &json!({}))
        .await;
    assert_eq!(
        (status.as_u16(), &answer["success"]),
        (200, &json!(true)),
        "{answer}"
    );
    answer
}

async fn link(service: &Service, body: Value) -> (StatusCode, Value) {
    service.post("/sync/mappings", &body).await
}

fn error_field(body: &Value) -> (&str, Option<&str>) {
    (
        body["error"]["code"].as_str().unwrap_or_default(),
        body["error"]["field"].as_str(),
    )
}

/// Requests the simulator received that could change something (anything but GET).
fn writes(github: &GithubSim) -> Vec<String> {
    github
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect()
}

async fn conflict_strategy_is_typed(engine: TestEngine) {
    let (service, github) = start(engine).await;
    let project_id = project(&service, "Apollo").await;
    let body = |strategy: Value| {
        json!({
            "name": "typed", "platform": "github", "elder_project_id": project_id,
            "config_json": {"owner": "o", "repo": "r", "api_token": "t", "conflict_strategy": strategy},
        })
    };
    for bad in [json!("newest"), json!(7), json!(null)] {
        let (status, answer) = service.post("/sync/configs", &body(bad.clone())).await;
        assert_eq!(status, 422, "{bad}: {answer}");
        assert_eq!(
            error_field(&answer),
            ("validation_failed", Some("config_json.conflict_strategy")),
            "{answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap();
        for allowed in Strategy::ALL {
            assert!(message.contains(allowed.as_str()), "{message}");
        }
    }
    let id = config(&service, &github, project_id, "manual").await;
    let (status, answer) = patch_config_json(
        &service,
        id,
        json!({"conflict_strategy": "elder-or-whatever"}),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        error_field(&answer).1,
        Some("config_json.conflict_strategy")
    );
    let (_, stored) = service.get(&format!("/sync/configs/{id}")).await;
    assert_eq!(stored["config_json"]["conflict_strategy"], "manual");
    let (status, answer) =
        patch_config_json(&service, id, json!({"conflict_strategy": "field_merge"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["config_json"]["conflict_strategy"], "field_merge");
}

async fn aliases_are_shown_under_their_canonical_keys(engine: TestEngine) {
    let (service, github) = start(engine).await;
    seed(&github, "Imported", "");
    let project_id = project(&service, "Apollo").await;
    let (status, created) = service
        .post(
            "/sync/configs",
            &json!({
                "name": "spec example", "platform": "github", "enabled": false,
                "elder_project_id": project_id,
                "config_json": {
                    "org_name": "octocat", "repo_name": "Hello-World",
                    "base_url": github.base_url(), "api_token": github.token(),
                },
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (_, shown) = service.get(&format!("/sync/configs/{id}")).await;
    for answer in [&created, &shown] {
        let keys: Vec<&String> = answer["config_json"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["base_url", "owner", "repo"], "{answer}");
        assert_eq!(answer["config_json"]["owner"], "octocat");
    }
    // A patch through the alias replaces the canonical value.
    let (status, patched) =
        patch_config_json(&service, id, json!({"repo_name": "Hello-World-2"})).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["config_json"]["repo"], "Hello-World-2", "{patched}");
    assert!(
        patched["config_json"].get("repo_name").is_none(),
        "{patched}"
    );
    let (status, _) = patch_config_json(&service, id, json!({"repo_name": "Hello-World"})).await;
    assert_eq!(status, 200);
    // The connector reads the canonical keys: the run imports.
    run(&service, id).await;
    let (_, issues) = service
        .get(&format!("/issues?project_id={project_id}"))
        .await;
    assert_eq!(issues["items"][0]["title"], "Imported", "{issues}");
}

async fn links_reconcile_from_a_fresh_base(engine: TestEngine) {
    let (service, github) = start(engine).await;
    // `same` is older than the cursor the first run leaves, so later runs do not list it.
    let same = seed_at(&github, "Same on both", "Agreed body", Some(1_700_000_000));
    let differs = seed_at(
        &github,
        "Title on GitHub",
        "Agreed too",
        Some(1_700_000_100),
    );
    let project_id = project(&service, "Apollo").await;
    let other_project = project(&service, "Elsewhere").await;
    let e_same = issue(&service, project_id, "Same on both", "Agreed body").await;
    let e_differs = issue(&service, project_id, "Title in Elder", "Agreed too").await;
    let e_elsewhere = issue(&service, other_project, "Not this config's", "").await;
    let config_id = config(&service, &github, project_id, "external_wins").await;
    let pair = |elder: &Value, external: u64| json!({"config_id": config_id, "elder_id": elder["id"], "external_id": external.to_string()});

    // Refusals: each names what is wrong, and nothing is stored.
    let refusals = [
        (
            json!({"config_id": 999, "elder_id": e_same["id"], "external_id": "1"}),
            404,
            None,
        ),
        (
            json!({"config_id": config_id, "elder_id": 999, "external_id": "1"}),
            404,
            None,
        ),
        (pair(&e_same, 999), 404, Some("external_id")),
        (pair(&e_elsewhere, same), 422, Some("elder_id")),
        (
            json!({"config_id": config_id, "elder_type": "project", "elder_id": project_id, "external_id": "1"}),
            422,
            Some("elder_type"),
        ),
    ];
    for (body, status, field) in refusals {
        let (got, answer) = link(&service, body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
        if field.is_some() {
            assert_eq!(error_field(&answer).1, field, "{answer}");
        }
    }
    let read_only = service
        .send(
            service
                .http()
                .post(service.api("/sync/mappings"))
                .json(&pair(&e_same, same)),
            &service.read_token.clone(),
        )
        .await;
    assert_eq!(read_only.0, 403, "{}", read_only.1);

    let (status, linked) = link(&service, pair(&e_same, same)).await;
    assert_eq!(status, 201, "{linked}");
    assert_eq!(linked["external_id"], same.to_string());
    assert_eq!(linked["sync_status"], "pending");
    let (status, second) = link(&service, pair(&e_differs, differs)).await;
    assert_eq!(status, 201, "{second}");
    for taken in [pair(&e_same, differs), pair(&e_differs, same)] {
        let (status, answer) = link(&service, taken.clone()).await;
        assert_eq!(
            (status.as_u16(), error_field(&answer).0),
            (409, "conflict"),
            "{taken}: {answer}"
        );
    }
    let listed = service
        .send(
            service
                .http()
                .get(service.api(&format!("/sync/mappings?config_id={config_id}"))),
            &service.read_token.clone(),
        )
        .await;
    assert_eq!(listed.0, 200, "{}", listed.1);
    assert_eq!(listed.1["total"], 2, "{}", listed.1);

    // The next run: the agreeing pair is left alone, the title conflict goes GitHub's way
    // (external_wins), nothing is written to GitHub, and nothing is imported twice.
    run(&service, config_id).await;
    assert_eq!(writes(&github), Vec::<String>::new());
    let (_, now_same) = service.get(&format!("/issues/{}", e_same["id"])).await;
    assert_eq!(now_same["version"], e_same["version"], "{now_same}");
    let (_, now_differs) = service.get(&format!("/issues/{}", e_differs["id"])).await;
    assert_eq!(now_differs["title"], "Title on GitHub");
    assert_eq!(now_differs["description"], "Agreed too");
    let (_, issues) = service
        .get(&format!("/issues?project_id={project_id}"))
        .await;
    assert_eq!(issues["total"], 2, "{issues}");
    let (_, mappings) = service
        .get(&format!(
            "/sync/mappings?config_id={config_id}&elder_type=issue"
        ))
        .await;
    for m in mappings["items"].as_array().unwrap() {
        assert_eq!(m["sync_status"], "synced", "{m}");
        assert!(m["base_snapshot"].is_object(), "{m}");
    }
    let (_, conflicts) = service.get("/sync/conflicts").await;
    assert_eq!(conflicts["total"], 0, "{conflicts}");

    // Unlinking removes the pair only.
    let id = linked["id"].as_i64().unwrap();
    let (status, _) = service.delete(&format!("/sync/mappings/{id}")).await;
    assert_eq!(status, 204);
    let (status, _) = service.delete(&format!("/sync/mappings/{id}")).await;
    assert_eq!(status, 404);
    let (_, mappings) = service
        .get(&format!(
            "/sync/mappings?config_id={config_id}&elder_type=issue"
        ))
        .await;
    assert_eq!(mappings["total"], 1, "{mappings}");
    let (status, _) = service.get(&format!("/issues/{}", e_same["id"])).await;
    assert_eq!(status, 200, "the Elder issue stays");
    assert!(github.issue(same).is_some(), "the GitHub issue stays");

    // Linked again, to another Elder issue with a comment: GitHub's item has not changed
    // since the last run's cursor, and the next run still reconciles the new pair (GitHub's
    // title wins) and its comments (Elder's reaches GitHub, under its attribution line).
    let e_relinked = issue(&service, project_id, "Relinked in Elder", "Agreed body").await;
    let (status, comment) = service
        .post(
            &format!("/issues/{}/comments", e_relinked["id"]),
            &json!({"body": "Checked on staging", "author": "Grace"}),
        )
        .await;
    assert_eq!(status, 201, "{comment}");
    let (status, relinked) = link(&service, pair(&e_relinked, same)).await;
    assert_eq!(status, 201, "{relinked}");
    run(&service, config_id).await;
    let bodies: Vec<String> = github.comments(same).into_iter().map(|c| c.body).collect();
    assert_eq!(
        bodies,
        vec!["*by Grace on Elder*\n\nChecked on staging".to_string()]
    );
    assert_eq!(
        writes(&github),
        vec![format!(
            "POST /repos/octocat/Hello-World/issues/{same}/comments"
        )]
    );
    let (_, now_relinked) = service.get(&format!("/issues/{}", e_relinked["id"])).await;
    assert_eq!(now_relinked["title"], "Same on both", "{now_relinked}");
    let (_, issues) = service
        .get(&format!("/issues?project_id={project_id}"))
        .await;
    assert_eq!(issues["total"], 3, "nothing imported twice: {issues}");
}

/// Row counts of every table a run writes.
async fn row_counts(db: &AnyPool) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in [
        "projects",
        "milestones",
        "labels",
        "issues",
        "sync_mappings",
        "sync_history",
        "sync_conflicts",
        "outbox",
        "webhook_inbox",
        "sync_cursors",
    ] {
        let n: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(db)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        out.push((table, n));
    }
    out
}

fn titles(actions: &Value) -> Vec<String> {
    let mut t: Vec<String> = actions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

async fn a_dry_run_writes_nothing_and_the_run_does_what_it_said(engine: TestEngine) {
    let (service, github) = start(engine).await;
    seed(&github, "Crash on save", "Steps");
    seed(&github, "Slow start", "Seconds");
    let linked = seed(&github, "Old title on GitHub", "Same body");
    let project_id = project(&service, "Apollo").await;
    let elder = issue(&service, project_id, "New title in Elder", "Same body").await;
    let config_id = config(&service, &github, project_id, "elder_wins").await;
    let (status, answer) = link(
        &service,
        json!({"config_id": config_id, "elder_id": elder["id"], "external_id": linked.to_string()}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");

    sqlx::any::install_default_drivers();
    let db = AnyPool::connect(service.database_url()).await.unwrap();
    let rows_before = row_counts(&db).await;
    let writes_before = writes(&github);
    let (status, plan) = service
        .post(
            &format!("/sync/configs/{config_id}/run?dry_run=true"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["dry_run"], true);
    let elder_issue_creates: Vec<String> = titles(&plan["elder"]["create"])
        .into_iter()
        .filter(|t| t == "Crash on save" || t == "Slow start")
        .collect();
    assert_eq!(
        elder_issue_creates,
        ["Crash on save", "Slow start"],
        "{plan}"
    );
    assert_eq!(
        titles(&plan["platform"]["update"]),
        ["Old title on GitHub"],
        "{plan}"
    );
    assert_eq!(
        plan["platform"]["update"]["items"][0]["detail"]["title"],
        "New title in Elder"
    );
    for side in ["elder", "platform"] {
        assert_eq!(plan[side]["conflict"]["count"], 0, "{plan}");
        assert_eq!(plan[side]["close"]["count"], 0, "{plan}");
    }
    assert_eq!(plan["elder"]["update"]["count"], 0, "{plan}");
    assert_eq!(plan["failed"], json!([]), "{plan}");

    // Nothing written anywhere.
    assert_eq!(row_counts(&db).await, rows_before);
    assert_eq!(writes(&github), writes_before);
    assert_eq!(github.issue(linked).unwrap().title, "Old title on GitHub");
    let (_, mappings) = service
        .get(&format!("/sync/mappings?config_id={config_id}"))
        .await;
    assert!(
        mappings["items"][0]["base_snapshot"].is_null(),
        "{mappings}"
    );
    let (_, config) = service.get(&format!("/sync/configs/{config_id}")).await;
    assert!(config["last_sync_at"].is_null(), "{config}");

    // Only dry_run is accepted there.
    let (status, answer) = service
        .post(
            &format!("/sync/configs/{config_id}/run?dry_run=true&force=1"),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), error_field(&answer)),
        (400, ("invalid_query", Some("force"))),
        "{answer}"
    );
    assert_eq!(row_counts(&db).await, rows_before);

    // The real run does what the dry run said.
    run(&service, config_id).await;
    assert_eq!(github.issue(linked).unwrap().title, "New title in Elder");
    let (_, issues) = service
        .get(&format!("/issues?project_id={project_id}&per_page=100"))
        .await;
    let mut imported: Vec<String> = issues["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    imported.sort();
    assert_eq!(
        imported,
        ["Crash on save", "New title in Elder", "Slow start"]
    );
    let created = plan["elder"]["create"]["count"].as_i64().unwrap();
    let after = row_counts(&db).await;
    let count =
        |rows: &[(&str, i64)], table: &str| rows.iter().find(|(t, _)| *t == table).unwrap().1;
    let resources = |rows: &[(&str, i64)]| {
        ["issues", "labels", "milestones"]
            .iter()
            .map(|t| count(rows, t))
            .sum::<i64>()
    };
    assert_eq!(
        resources(&after) - resources(&rows_before),
        created,
        "Elder gained what the dry run said it would create"
    );

    // Once in sync, a dry run finds nothing to do.
    let (_, again) = service
        .post(
            &format!("/sync/configs/{config_id}/run?dry_run=true"),
            &json!({}),
        )
        .await;
    for side in ["elder", "platform"] {
        for action in ["create", "update", "close", "conflict"] {
            assert_eq!(again[side][action]["count"], 0, "{side} {action}: {again}");
        }
    }
    db.close().await;
}
