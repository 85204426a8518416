//! GitHub's `state_reason` as Elder's status, on SQLite and PostgreSQL: an issue closed on
//! GitHub as not planned is closed in Elder with the status "Not Planned" (completed:
//! "Done"), through the config's status map and GitHub's defaults; an Elder issue given the
//! status "Not Planned" is closed on GitHub with `state_reason: not_planned`, in one write,
//! and its echo changes nothing.

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_model::Kind;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{ResourcePatch, ResourceStatus};
use platform_simulators::github::IssueEdit;

const GH: Platform = Platform::Github;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_reason_is_elders_status_both_ways() {
    state_reason(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_reason_is_elders_status_both_ways_on_postgresql() {
    state_reason(TestEngine::Postgres).await;
}

fn close_as(host: &PlatformHost, number: &str, reason: &str) {
    host.github()
        .user_edit_issue(
            number.parse().unwrap(),
            IssueEdit {
                state: Some("closed".into()),
                state_reason: Some(Some(reason.into())),
                ..IssueEdit::default()
            },
        )
        .expect("github close");
}

async fn state_reason(db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        ..PlatformOptions::one(GH)
    })
    .await;
    host.backfill_clean(GH).await;

    // Closed on GitHub as not planned / completed: Elder's status says which.
    let dropped = host.person_creates(GH, "Dropped");
    let shipped = host.person_creates(GH, "Shipped");
    host.backfill_clean(GH).await;
    host.settle(3).await;
    close_as(&host, &dropped, "not_planned");
    close_as(&host, &shipped, "completed");
    host.eventually("both closes reach Elder", || async {
        let d = host.elder_issue(GH, &dropped).await;
        let s = host.elder_issue(GH, &shipped).await;
        d.is_some_and(|r| r.status == ResourceStatus::Closed)
            && s.is_some_and(|r| r.status == ResourceStatus::Closed)
    })
    .await;
    host.settle(3).await;
    let d = host.elder_issue(GH, &dropped).await.unwrap();
    let s = host.elder_issue(GH, &shipped).await.unwrap();
    assert_eq!(d.status_name.as_deref(), Some("Not Planned"));
    assert_eq!(s.status_name.as_deref(), Some("Done"));
    let start = host.writes_on(GH).len();
    assert_eq!(start, 0, "{:#?}", host.writes_on(GH));

    // Elder says "Not Planned": GitHub closes it as not planned.
    let elder = host.create_in_elder("Won't do").await;
    let number = {
        let elder_id = elder.id;
        host.eventually("created on GitHub", || async {
            host.external_id_of(GH, Kind::Issue, elder_id)
                .await
                .is_some()
        })
        .await;
        host.external_id_of(GH, Kind::Issue, elder_id)
            .await
            .unwrap()
    };
    host.settle(3).await;
    let created = host
        .store
        .get_resource(Kind::Issue, elder.id)
        .await
        .unwrap();
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            status: Some(ResourceStatus::Closed),
            status_name: Some(Some("Not Planned".into())),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("GitHub closes it as not planned", || async {
        host.github()
            .issue(number.parse().unwrap())
            .is_some_and(|i| i.state == "closed")
    })
    .await;
    host.settle(10).await;
    let i = host.github().issue(number.parse().unwrap()).unwrap();
    assert_eq!(i.state_reason.as_deref(), Some("not_planned"));
    let after = host
        .store
        .get_resource(Kind::Issue, elder.id)
        .await
        .unwrap();
    assert_eq!(after.status_name.as_deref(), Some("Not Planned"));
    assert_eq!(after.version, created.version + 1, "no echo in Elder");
    // The create and the close.
    let writes = host.writes_on(GH);
    assert_eq!(writes.len(), 2, "{writes:#?}");
    assert!(host.failed_outbox().await.is_empty());
}
