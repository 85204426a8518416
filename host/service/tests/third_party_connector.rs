//! Issue 12, end to end: a connector that is none of the five built-ins (Tinytracker,
//! `tests/guests/tinytracker`, written from the SDK alone against the Tinytracker
//! simulator's documented API) is uploaded through `POST /api/v1/plugins` into a running
//! service, a config is created for its platform, webhooks and polling bring its tickets
//! into Elder, Elder edits reach it, and it is hot-swapped and rolled back while syncing,
//! on SQLite and PostgreSQL.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_plugins::testing::with_build_tag;
use elder_sync_store::testing::TestEngine;
use platform_simulators::tinytracker::{
    HookConfig, SeedTicket, TicketEdit, TinytrackerOptions, TinytrackerSim,
};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

/// How long a change may take to cross over.
const CROSSING: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_connector_syncs_end_to_end_on_sqlite() {
    third_party_connector(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_connector_syncs_end_to_end_on_postgres() {
    third_party_connector(TestEngine::Postgres).await;
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn component() -> Vec<u8> {
    let path = root().join("target/test-guests/tinytracker.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{} ({e}): run make wasm", path.display()))
}

fn manifest() -> String {
    std::fs::read_to_string(root().join("tests/guests/tinytracker/plugin.toml")).unwrap()
}

fn upload(component: &[u8]) -> Value {
    json!({
        "manifest": manifest(),
        "component": base64::engine::general_purpose::STANDARD.encode(component),
    })
}

async fn third_party_connector(engine: TestEngine) {
    let sim = TinytrackerSim::start(TinytrackerOptions::default())
        .await
        .unwrap();
    sim.seed_ticket(SeedTicket {
        title: "Printer on fire".into(),
        labels: vec!["bug".into()],
        ..SeedTicket::default()
    });
    sim.seed_ticket(SeedTicket {
        title: "Order more coffee".into(),
        done: true,
        ..SeedTicket::default()
    });
    let service = Service::start(
        BIN,
        ServiceOptions::new(engine)
            .connectors(&["github"])
            .reaching_local_simulators(),
    )
    .await;

    // Installed through the API, its schema is what an operator reads.
    let (status, body) = service.post("/plugins", &upload(&component())).await;
    assert_eq!(status, 201, "{body}");
    let (status, detail) = service.get("/plugins/tinytracker").await;
    assert_eq!(status, 200, "{detail}");
    let first_hash = hash_of(&detail);
    let schema = detail["connector"]["config_schema"]
        .as_array()
        .unwrap()
        .clone();
    let key = |k: &str| schema.iter().find(|f| f["key"] == k).cloned().unwrap();
    assert_eq!(key("api_token")["secret"], true);
    assert_eq!(key("project")["required"], true);

    let (status, project) = service.post("/projects", &json!({"title": "Ops"})).await;
    assert_eq!(status, 201, "{project}");
    let project_id = project["id"].as_i64().unwrap();
    let (status, created) = service
        .post(
            "/sync/configs",
            &json!({
                "name": "ops-tickets",
                "platform": "tinytracker",
                "elder_project_id": project_id,
                "two_way_create": true,
                "config_json": {
                    "base_url": sim.base_url(),
                    "project": sim.project(),
                    "api_token": sim.token(),
                },
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert!(!created.to_string().contains(&sim.token()), "{created}");
    let config_id = created["id"].as_i64().unwrap();
    let secret = created["webhook_secret"]
        .as_str()
        .expect("a generated webhook secret, shown once")
        .to_string();
    sim.set_webhook(Some(HookConfig {
        url: Some(service.api(&format!("/webhooks/{config_id}"))),
        secret: secret.clone(),
    }));

    // Polling (a manual run) imports the existing tickets.
    run(&service, config_id).await;
    let printer = issue_titled(&service, project_id, "Printer on fire").await;
    let coffee = issue_titled(&service, project_id, "Order more coffee").await;
    assert_eq!(printer["labels"], json!(["bug"]));
    assert_eq!(coffee["status"], "closed");

    // A webhook brings a person's edit in.
    sim.person_edit(
        1,
        TicketEdit {
            title: Some("Printer on fire (again)".into()),
            ..TicketEdit::default()
        },
    )
    .unwrap();
    issue_titled(&service, project_id, "Printer on fire (again)").await;

    // An Elder edit reaches Tinytracker (with the revision it last saw).
    let printer_id = printer["id"].as_i64().unwrap();
    edit_in_elder(&service, printer_id, "Printer extinguished").await;
    ticket_titled(&service, &sim, 1, "Printer extinguished").await;

    // Hot swap while syncing: a rebuild replaces the serving version; edits keep flowing.
    let (status, body) = service
        .post(
            "/plugins",
            &upload(&with_build_tag(&component(), "rebuild")),
        )
        .await;
    assert!(status.is_success(), "swap: {status} {body}");
    let (_, detail) = service.get("/plugins/tinytracker").await;
    assert_ne!(hash_of(&detail), first_hash, "the rebuild serves");
    sim.person_edit(
        2,
        TicketEdit {
            title: Some("Order more tea".into()),
            ..TicketEdit::default()
        },
    )
    .unwrap();
    issue_titled(&service, project_id, "Order more tea").await;

    // Polling only (no webhook): a person's edit arrives with the next run.
    sim.set_webhook(Some(HookConfig {
        url: None,
        secret: secret.clone(),
    }));
    sim.advance_clock(5);
    sim.person_edit(
        1,
        TicketEdit {
            body: Some(Some("Fire brigade called".into())),
            ..TicketEdit::default()
        },
    )
    .unwrap();
    run(&service, config_id).await;
    service
        .eventually(CROSSING, "the polled edit in Elder", || async {
            let (_, issue) = service.get(&format!("/issues/{printer_id}")).await;
            (issue["description"] == "Fire brigade called").then_some(())
        })
        .await;

    // Rollback while syncing: the first build serves again and Elder edits still reach it.
    let (status, body) = service
        .post("/plugins/tinytracker/rollback", &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, detail) = service.get("/plugins/tinytracker").await;
    assert_eq!(hash_of(&detail), first_hash, "rolled back");
    edit_in_elder(&service, printer_id, "Printer replaced").await;
    ticket_titled(&service, &sim, 1, "Printer replaced").await;
    assert_eq!(sim.tickets().len(), 2, "no ticket was created twice");
    assert!(
        !service.logs().contains(&sim.token()),
        "the token was logged"
    );
}

/// The serving build's hash in a `GET /plugins/{id}` answer.
fn hash_of(detail: &Value) -> String {
    detail["source_hash"]
        .as_str()
        .or_else(|| detail["plugin"]["source_hash"].as_str())
        .unwrap_or_else(|| panic!("no source_hash in {detail}"))
        .to_string()
}

async fn run(service: &Service, config_id: i64) {
    let (status, body) = service
        .post(&format!("/sync/configs/{config_id}/run"), &json!({}))
        .await;
    assert!(status.is_success(), "run: {status} {body}");
}

async fn edit_in_elder(service: &Service, id: i64, title: &str) {
    let (status, body) = service
        .patch(&format!("/issues/{id}"), &json!({"title": title}))
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn issue_titled(service: &Service, project_id: i64, title: &str) -> Value {
    service
        .eventually(CROSSING, &format!("Elder issue {title:?}"), || async {
            let (_, page) = service
                .get(&format!("/issues?project_id={project_id}"))
                .await;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            items.into_iter().find(|i| i["title"] == title)
        })
        .await
}

async fn ticket_titled(service: &Service, sim: &TinytrackerSim, number: u64, title: &str) {
    service
        .eventually(
            CROSSING,
            &format!("ticket {number} titled {title:?}"),
            || async { sim.ticket(number).filter(|t| t.title == title).map(|_| ()) },
        )
        .await;
}
