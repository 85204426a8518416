//! The sync engine end to end with OpenProject: the OpenProject component in the runtime
//! against the OpenProject simulator (HAL, lockVersion), webhooks signed with
//! `X-OP-Signature` delivered over HTTP.

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{ResourcePatch, ResourceStatus};
use serde_json::{Value, json};

const OP: Platform = Platform::OpenProject;

/// A host whose backfill of `n` work packages ran in pages of `page`; webhooks connected
/// after. Returns the host and the work package ids, oldest first.
async fn backfilled(n: usize, page: i64) -> (PlatformHost, Vec<u64>) {
    backfilled_on(TestEngine::Sqlite, n, page).await
}

async fn backfilled_on(db: TestEngine, n: usize, page: i64) -> (PlatformHost, Vec<u64>) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        webhooks: false,
        batch_size: page,
        ..PlatformOptions::one(OP)
    })
    .await;
    let ids: Vec<u64> = (1..=n)
        .map(|i| {
            host.openproject().create_work_package(json!({
                "subject": format!("Work package {i}"),
                "description": {"format": "markdown", "raw": format!("Body of {i}")},
            }))
        })
        .collect();
    host.backfill_clean(OP).await;
    host.connect_webhooks().await;
    (host, ids)
}

fn wp(host: &PlatformHost, id: u64) -> Value {
    host.openproject().work_package(id).unwrap()
}

fn status_title(host: &PlatformHost, id: u64) -> String {
    wp(host, id)["_links"]["status"]["title"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn set_status(host: &PlatformHost, id: u64, status: u64) {
    host.openproject().update_work_package(
        id,
        json!({"_links": {"status": {"href": format!("/api/v3/statuses/{status}")}}}),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_pages_then_edits_flow_both_ways_without_echo() {
    both_ways(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_pages_then_edits_flow_both_ways_on_postgresql() {
    both_ways(TestEngine::Postgres).await;
}

async fn both_ways(db: TestEngine) {
    let (host, ids) = backfilled_on(db, 25, 10).await;
    assert_eq!(host.elder_issues().await.len(), 25);
    let pages = host
        .tap
        .sent()
        .iter()
        .filter(|r| r.method == "GET" && r.url.contains("/work_packages?"))
        .count();
    assert!(pages >= 3, "25 work packages in pages of 10: {pages}");
    let first = host.elder_issue(OP, &ids[0].to_string()).await.unwrap();
    assert_eq!(first.title, "Work package 1");
    assert_eq!(first.description, "Body of 1");

    // OpenProject -> Elder by signed webhook.
    host.openproject()
        .update_work_package(ids[2], json!({"subject": "Renamed in OpenProject"}));
    host.eventually("the rename reaches Elder", || async {
        host.elder_issue(OP, &ids[2].to_string())
            .await
            .is_some_and(|i| i.title == "Renamed in OpenProject")
    })
    .await;

    // Elder -> OpenProject through the outbox: one write, and the echo changes nothing.
    host.settle(3).await;
    let writes_before = host.tap.writes_to(&host.openproject().base_url()).len();
    let elder = host.elder_issue(OP, &ids[4].to_string()).await.unwrap();
    let edited = host
        .edit_in_elder(
            elder.id,
            ResourcePatch {
                title: Some("Renamed in Elder".into()),
                ..ResourcePatch::default()
            },
        )
        .await;
    host.eventually("the Elder rename reaches OpenProject", || async {
        wp(&host, ids[4])["subject"] == "Renamed in Elder"
    })
    .await;
    host.eventually(
        "OpenProject's webhook for our own write was sent",
        || async {
            host.openproject()
                .deliveries()
                .iter()
                .any(|d| d.json()["work_package"]["subject"] == "Renamed in Elder")
        },
    )
    .await;
    host.settle(5).await;
    let after = host.elder_issue(OP, &ids[4].to_string()).await.unwrap();
    assert_eq!(after.title, "Renamed in Elder");
    assert_eq!(after.version, edited.version, "the echo was applied again");
    let writes = host.tap.writes_to(&host.openproject().base_url());
    assert_eq!(writes.len() - writes_before, 1, "{writes:?}");
    assert_eq!(host.elder_issues().await.len(), 25, "no twin in Elder");
    assert_eq!(host.openproject().work_package_count(), 25, "no twin");
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_and_reopening_on_either_side_reaches_the_other() {
    let (host, ids) = backfilled(2, 100).await;
    let (a, b) = (ids[0], ids[1]);
    set_status(&host, a, 12);
    host.eventually("OpenProject's close reaches Elder", || async {
        host.elder_issue(OP, &a.to_string())
            .await
            .is_some_and(|i| i.status == ResourceStatus::Closed)
    })
    .await;
    set_status(&host, a, 1);
    host.eventually("OpenProject's reopen reaches Elder", || async {
        host.elder_issue(OP, &a.to_string())
            .await
            .is_some_and(|i| i.status == ResourceStatus::Open)
    })
    .await;

    let elder = host.elder_issue(OP, &b.to_string()).await.unwrap();
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            status: Some(ResourceStatus::Closed),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("Elder's close reaches OpenProject", || async {
        status_title(&host, b) == "Closed"
    })
    .await;
    host.settle(3).await;
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            status: Some(ResourceStatus::Open),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("Elder's reopen reaches OpenProject", || async {
        status_title(&host, b) != "Closed"
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        host.elder_issue(OP, &b.to_string()).await.unwrap().status,
        ResourceStatus::Open
    );
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_version_409_is_re_read_and_re_applied() {
    let (host, ids) = backfilled(1, 100).await;
    let id = ids[0];
    host.settle(3).await;
    // A person edits the description just before our PATCH leaves: its lockVersion is stale.
    let sim = host.sims.openproject.clone().unwrap();
    let path = format!("/api/v3/work_packages/{id}");
    host.tap.before(move |req| {
        if req.method != "PATCH" || req.url.path() != path {
            return false;
        }
        sim.update_work_package(
            id,
            json!({"description": {"format": "markdown", "raw": "Edited by a person meanwhile"}}),
        );
        true
    });
    let elder = host.elder_issue(OP, &id.to_string()).await.unwrap();
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            title: Some("Edited in Elder".into()),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("Elder's edit lands after the 409", || async {
        wp(&host, id)["subject"] == "Edited in Elder"
    })
    .await;
    host.eventually("the person's edit reaches Elder", || async {
        host.elder_issue(OP, &id.to_string())
            .await
            .is_some_and(|i| i.description == "Edited by a person meanwhile")
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        wp(&host, id)["description"]["raw"],
        "Edited by a person meanwhile",
        "the person's edit was not overwritten"
    );
    let patches: Vec<Option<u16>> = host
        .tap
        .sent()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.url.starts_with(&host.openproject().base_url()))
        .map(|r| r.status)
        .collect();
    assert_eq!(
        patches,
        [Some(409), Some(200)],
        "the stale PATCH, then the re-applied one"
    );
    assert_eq!(
        host.elder_issue(OP, &id.to_string()).await.unwrap().title,
        "Edited in Elder"
    );
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_is_refused_and_nothing_is_stored() {
    let host = PlatformHost::start(PlatformOptions {
        webhooks: false,
        ..PlatformOptions::one(OP)
    })
    .await;
    host.openproject().set_webhook(
        None,
        Some(elder_sync_e2e::platform_harness::OPENPROJECT_SECRET),
    );
    let id = host
        .openproject()
        .create_work_package(json!({"subject": "Hooked"}));
    let genuine = host.openproject().deliveries().pop().unwrap();
    assert!(genuine.header("X-OP-Signature").is_some());
    let mut forged = genuine.json();
    forged["work_package"]["subject"] = "Forged".into();
    let (status, body) = host
        .post_webhook(OP, &genuine.headers, serde_json::to_vec(&forged).unwrap())
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = host
        .post_webhook(
            OP,
            &[("Content-Type".into(), "application/json".into())],
            genuine.body.clone(),
        )
        .await;
    assert_eq!(status, 401, "unsigned");
    assert_eq!(host.inbox_depth().await, 0, "nothing was stored");
    assert!(host.elder_issues().await.is_empty());

    let (status, body) = host
        .post_webhook(OP, &genuine.headers, genuine.body.clone())
        .await;
    assert_eq!(status, 202, "{body}");
    host.eventually("the genuine delivery is applied", || async {
        host.elder_issue(OP, &id.to_string())
            .await
            .is_some_and(|i| i.title == "Hooked")
    })
    .await;
    // No delivery id on OpenProject: the body's hash makes the same body a duplicate.
    let (status, _) = host
        .post_webhook(OP, &genuine.headers, genuine.body.clone())
        .await;
    assert_eq!(status, 200);
}
