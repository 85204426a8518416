//! Deletes, late deliveries and creates end to end: an Elder delete closes the GitHub
//! issue, or is a `deleted_local` conflict when GitHub changed it meanwhile; a GitHub
//! delete is a `deleted_external` conflict unless the strategy is external_wins; an older
//! delivery arriving after a newer one never rolls back; GitHub-side creates reach Elder
//! whatever `two_way_create` says (import is the default), and never twice; Elder-side
//! creates reach GitHub only with `two_way_create`.

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost, WEBHOOK_SECRET};
use elder_sync_engine::dispatch::dispatch_batch;
use elder_sync_engine::ingest::{ingest, process_inbox_batch};
use elder_sync_model::Kind;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{ConflictType, NewResource};
use platform_simulators::github::{HookConfig, IssueEdit};
use serde_json::json;

async fn host(opts: HostOptions, issues: usize) -> SyncHost {
    let host = SyncHost::start(opts).await;
    host.seed_issues(issues);
    host.poll("backfill").await;
    host
}

fn manual_workers() -> HostOptions {
    HostOptions {
        workers: false,
        ..HostOptions::default()
    }
}

async fn delete_in_elder(host: &SyncHost, number: u64) {
    let issue = host.elder_issue_for(number).await.unwrap();
    host.store
        .delete_resource(Kind::Issue, issue.id)
        .await
        .unwrap();
}

async fn deliver(host: &SyncHost, d: &platform_simulators::github::Delivery) {
    ingest(&host.engine, host.config_id, &d.headers, &d.body)
        .await
        .expect("delivery accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_elder_delete_closes_the_github_issue() {
    let host = host(HostOptions::default(), 2).await;
    delete_in_elder(&host, 1).await;
    host.eventually("GitHub closes the issue (it cannot delete)", || async {
        host.github.issue(1).is_some_and(|i| i.state == "closed")
    })
    .await;
    host.eventually("GitHub's webhook for the close is processed", || async {
        host.github
            .deliveries()
            .iter()
            .any(|d| d.action == "closed" && d.status == Some(202))
            && elder_sync_store::inbox_depth(&host.store).await.unwrap() == 0
    })
    .await;
    assert!(
        host.conflicts(None).await.is_empty(),
        "the close's echo is ours"
    );
    assert_eq!(host.github.issue(2).unwrap().state, "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_elder_delete_of_an_issue_changed_on_github_is_a_deleted_local_conflict() {
    let host = host(manual_workers(), 1).await;
    host.edit_github(
        1,
        IssueEdit {
            body: Some(Some("Still needed on GitHub".into())),
            ..IssueEdit::default()
        },
    );
    delete_in_elder(&host, 1).await;
    dispatch_batch(&host.engine, 50).await.unwrap();
    let open = host.conflicts(Some(false)).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].conflict_type, ConflictType::DeletedLocal);
    assert_eq!(
        host.github.issue(1).unwrap().state,
        "open",
        "nothing applied"
    );

    // Resolved for GitHub: the issue comes back to Elder with GitHub's content.
    let (status, body) = host
        .post_json(
            &format!("/api/v1/sync/conflicts/{}/resolve", open[0].id),
            json!({"resolution_strategy": "external_wins"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let back = host
        .elder_issue_for(1)
        .await
        .expect("re-created and mapped");
    assert_eq!(back.description, "Still needed on GitHub");
    assert_eq!(host.elder_issues().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_delete_is_a_conflict_unless_external_wins() {
    let host = host(manual_workers(), 1).await;
    let d = host
        .github
        .build_delivery(WEBHOOK_SECRET, "issues", "deleted", "1");
    deliver(&host, &d).await;
    process_inbox_batch(&host.engine, 10).await.unwrap();
    let open = host.conflicts(Some(false)).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].conflict_type, ConflictType::DeletedExternal);
    assert!(host.elder_issue_for(1).await.is_some(), "Elder keeps it");

    let host = self::host(
        HostOptions {
            strategy: "external_wins",
            ..manual_workers()
        },
        1,
    )
    .await;
    let d = host
        .github
        .build_delivery(WEBHOOK_SECRET, "issues", "deleted", "1");
    deliver(&host, &d).await;
    process_inbox_batch(&host.engine, 10).await.unwrap();
    assert!(host.conflicts(None).await.is_empty());
    assert!(host.elder_issues().await.is_empty(), "deleted in Elder too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_delivery_arriving_after_a_newer_one_does_not_roll_back() {
    let host = host(manual_workers(), 1).await;
    // Deliveries are built by hand and handed over in the wrong order.
    host.github.set_webhook(HookConfig {
        url: None,
        secret: WEBHOOK_SECRET.into(),
        hook_id: 1,
    });
    let retitle = |title: &str| {
        host.edit_github(
            1,
            IssueEdit {
                title: Some(title.into()),
                ..IssueEdit::default()
            },
        );
        host.github
            .build_delivery(WEBHOOK_SECRET, "issues", "edited", "1")
    };
    // Seconds apart.
    let older = retitle("Older");
    host.github.advance_clock(30);
    let newer = retitle("Newer");
    deliver(&host, &newer).await;
    deliver(&host, &older).await;
    process_inbox_batch(&host.engine, 10).await.unwrap();
    assert_eq!(host.elder_issue_for(1).await.unwrap().title, "Newer");

    // Within the same second (equal timestamps): GitHub's current state decides.
    let first = retitle("Same second, first");
    let second = retitle("Same second, second");
    deliver(&host, &second).await;
    deliver(&host, &first).await;
    process_inbox_batch(&host.engine, 10).await.unwrap();
    assert_eq!(
        host.elder_issue_for(1).await.unwrap().title,
        "Same second, second"
    );
    assert!(host.conflicts(None).await.is_empty());
}

elder_sync_store::both_engines!(github_creates_are_imported_without_two_way_create);

/// Import is the default: with `two_way_create` off, the backfill brings GitHub's existing
/// issue into Elder, a later GitHub create arrives by webhook (once, a poll after it adds
/// nothing), and only the other direction is off: an Elder create stays in Elder.
async fn github_creates_are_imported_without_two_way_create(db: TestEngine) {
    let host = host(
        HostOptions {
            db,
            two_way_create: false,
            ..manual_workers()
        },
        1,
    )
    .await;
    let titles = |issues: Vec<elder_sync_store::Resource>| {
        let mut t: Vec<String> = issues.into_iter().map(|i| i.title).collect();
        t.sort();
        t
    };
    assert_eq!(
        titles(host.elder_issues().await),
        ["Issue 0"],
        "the backfill imported GitHub's issue"
    );
    let n = host
        .github
        .user_open_issue("Opened on GitHub", IssueEdit::default())
        .unwrap();
    host.eventually("the webhook is stored", || async {
        host.github
            .deliveries()
            .iter()
            .any(|d| d.status == Some(202))
    })
    .await;
    process_inbox_batch(&host.engine, 10).await.unwrap();
    let imported = host
        .elder_issue_for(n)
        .await
        .expect("the webhook imported it");
    assert_eq!(imported.project_id, Some(host.project_id));
    let report = host.poll("poll").await;
    assert_eq!(report.tally.synced, 0, "{report:?}");
    assert_eq!(
        titles(host.elder_issues().await),
        ["Issue 0", "Opened on GitHub"]
    );

    // The other direction is what two_way_create governs: an Elder create stays in Elder.
    host.store
        .create_resource(
            Kind::Issue,
            &NewResource {
                title: "Made in Elder".into(),
                project_id: Some(host.project_id),
                ..NewResource::default()
            },
        )
        .await
        .unwrap();
    dispatch_batch(&host.engine, 10).await.unwrap();
    assert_eq!(host.github.issues().len(), 2);
    assert!(
        host.github
            .issues()
            .iter()
            .all(|i| i.title != "Made in Elder"),
        "created on GitHub with two_way_create off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_creates_reach_elder_once_with_two_way_create() {
    let host = host(HostOptions::default(), 1).await;
    let n = host
        .github
        .user_open_issue("Opened on GitHub", IssueEdit::default())
        .unwrap();
    host.eventually("the new issue reaches Elder", || async {
        host.elder_issue_for(n).await.is_some()
    })
    .await;
    host.poll("poll").await;
    let titles: Vec<String> = host
        .elder_issues()
        .await
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert_eq!(
        titles.iter().filter(|t| *t == "Opened on GitHub").count(),
        1
    );
}
