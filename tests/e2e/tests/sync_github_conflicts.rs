//! Resolving conflicts end to end: `POST /api/v1/sync/conflicts/{id}/resolve` applies the
//! chosen resolution to Elder and to GitHub (through the connector), re-bases the mapping
//! and marks the conflict resolved; bad requests get JSON 4xx answers.

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost};
use elder_sync_engine::dispatch::dispatch_batch;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{ResourcePatch, ResourceStatus, SyncStatus};
use platform_simulators::github::IssueEdit;
use serde_json::json;

/// A host (manual strategy, no workers) with issue 1 edited on both sides and the
/// resulting conflict recorded; returns the conflict id.
async fn conflicted_host() -> (SyncHost, i64) {
    conflicted_host_on(TestEngine::Sqlite).await
}

async fn conflicted_host_on(db: TestEngine) -> (SyncHost, i64) {
    let host = SyncHost::start(HostOptions {
        strategy: "manual",
        workers: false,
        db,
        ..HostOptions::default()
    })
    .await;
    host.seed_issues(1);
    host.poll("backfill").await;
    host.edit_elder(
        1,
        ResourcePatch {
            title: Some("Elder title".into()),
            labels: Some(vec!["bug".into(), "from-elder".into()]),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.edit_github(
        1,
        IssueEdit {
            title: Some("GitHub title".into()),
            body: Some(Some("Body edited on GitHub".into())),
            ..IssueEdit::default()
        },
    );
    let report = host.poll("poll").await;
    assert_eq!(report.tally.conflicts, 1, "{report:?}");
    // A further GitHub edit while the conflict waits does not record a second one.
    host.edit_github(
        1,
        IssueEdit {
            assignees: Some(vec!["octocat".into()]),
            ..IssueEdit::default()
        },
    );
    host.poll("poll").await;
    let open = host.conflicts(Some(false)).await;
    assert_eq!(open.len(), 1, "{open:?}");
    (host, open[0].id)
}

fn resolve_path(id: i64) -> String {
    format!("/api/v1/sync/conflicts/{id}/resolve")
}

/// After a resolution nothing is left to push and later edits sync normally again.
async fn assert_settled(host: &SyncHost, title: &str) {
    assert_eq!(host.elder_issue_for(1).await.unwrap().title, title);
    assert_eq!(host.github.issue(1).unwrap().title, title);
    let m = host.mapping_for(1).await.unwrap();
    assert_eq!(m.sync_status, SyncStatus::Synced);
    assert!(host.conflicts(Some(false)).await.is_empty());
    // The Elder-side write of the resolution is in the outbox: pushing it changes nothing.
    dispatch_batch(&host.engine, 50).await.unwrap();
    assert_eq!(host.github.issue(1).unwrap().title, title);
    let before = host.elder_issue_for(1).await.unwrap();
    let again = host.poll("poll").await;
    assert_eq!(again.tally.conflicts, 0, "{again:?}");
    assert_eq!(
        host.elder_issue_for(1).await.unwrap().version,
        before.version,
        "the next poll finds the issue in step"
    );
    host.edit_github(
        1,
        IssueEdit {
            title: Some("Later GitHub edit".into()),
            ..IssueEdit::default()
        },
    );
    host.poll("poll").await;
    assert_eq!(
        host.elder_issue_for(1).await.unwrap().title,
        "Later GitHub edit",
        "the mapping syncs again after the resolution"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elder_wins_writes_elders_state_to_github() {
    let (host, id) = conflicted_host().await;
    let (status, body) = host
        .post_json(
            &resolve_path(id),
            json!({"resolution_strategy": "elder_wins"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resolved"], true);
    assert_eq!(body["resolution_strategy"], "elder_wins");
    let gh = host.github.issue(1).unwrap();
    assert_eq!(gh.title, "Elder title");
    assert!(gh.labels.iter().any(|l| l == "from-elder"), "{gh:?}");
    assert_eq!(
        gh.body.as_deref(),
        Some("Body of issue 0"),
        "Elder's unchanged body wins too"
    );
    assert_settled(&host, "Elder title").await;
    assert_resolve_recorded(&host, id, "elder_wins").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_wins_writes_githubs_state_to_elder() {
    let (host, id) = conflicted_host().await;
    let (status, body) = host
        .post_json(
            &resolve_path(id),
            json!({"resolution_strategy": "external_wins"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let elder = host.elder_issue_for(1).await.unwrap();
    assert_eq!(elder.title, "GitHub title");
    assert_eq!(elder.description, "Body edited on GitHub");
    assert_eq!(elder.labels, vec!["bug".to_string()]);
    assert_settled(&host, "GitHub title").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_keeps_each_sides_changes_and_the_given_fields() {
    let (host, id) = conflicted_host().await;
    let (status, body) = host
        .post_json(
            &resolve_path(id),
            json!({"resolution_strategy": "merge", "data": {"title": "Merged title", "state": "closed"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resolution_data"]["title"], "Merged title");
    let elder = host.elder_issue_for(1).await.unwrap();
    let gh = host.github.issue(1).unwrap();
    assert_eq!(
        elder.description, "Body edited on GitHub",
        "GitHub's body change is kept"
    );
    assert_eq!(gh.body.as_deref(), Some("Body edited on GitHub"));
    assert!(
        gh.labels.iter().any(|l| l == "from-elder"),
        "Elder's label change is kept: {gh:?}"
    );
    assert_eq!(elder.status, ResourceStatus::Closed);
    assert_eq!(gh.state, "closed");
    assert_settled(&host, "Merged title").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_resolutions_are_refused_with_json_errors_and_change_nothing() {
    let (host, id) = conflicted_host().await;
    let path = resolve_path(id);
    let (status, body) = host
        .post_json(&path, json!({"resolution_strategy": "coin_flip"}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "resolution_strategy");
    let (status, body) = host
        .post_json(
            &path,
            json!({"resolution_strategy": "merge", "data": {"colour": "red"}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "data.colour");
    let (status, body) = host
        .post_json(&path, json!({"resolution_strategy": "manual"}))
        .await;
    assert_eq!(
        status, 409,
        "manual without data needs both sides to agree: {body}"
    );
    let (status, body) = host
        .post_json(
            &resolve_path(9999),
            json!({"resolution_strategy": "elder_wins"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(host.elder_issue_for(1).await.unwrap().title, "Elder title");
    assert_eq!(host.github.issue(1).unwrap().title, "GitHub title");
    assert_eq!(host.conflicts(Some(false)).await.len(), 1);

    // Once the person has made both sides agree, `manual` only re-bases.
    host.edit_github(
        1,
        IssueEdit {
            title: Some("Elder title".into()),
            body: Some(Some("Body of issue 0".into())),
            labels: Some(vec!["bug".into(), "from-elder".into()]),
            assignees: Some(vec![]),
            ..IssueEdit::default()
        },
    );
    let (status, body) = host
        .post_json(&path, json!({"resolution_strategy": "manual"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = host
        .post_json(&path, json!({"resolution_strategy": "elder_wins"}))
        .await;
    assert_eq!(status, 409, "resolving twice: {body}");
    assert_eq!(body["error"]["code"], "conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolving_works_on_postgresql_too() {
    let (host, id) = conflicted_host_on(TestEngine::Postgres).await;
    let (status, body) = host
        .post_json(
            &resolve_path(id),
            json!({"resolution_strategy": "external_wins"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_settled(&host, "GitHub title").await;
    assert_resolve_recorded(&host, id, "external_wins").await;
}

/// Issue 13: a resolution is a `resolve` history row naming the conflict and strategy.
async fn assert_resolve_recorded(host: &SyncHost, conflict_id: i64, strategy: &str) {
    let rows = host
        .store
        .list_history(
            &elder_sync_store::HistoryFilter {
                config_id: Some(host.config_id),
                sync_type: Some("resolve".into()),
                ..Default::default()
            },
            elder_sync_store::PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(rows.total, 1, "{rows:?}");
    let row = &rows.items[0];
    assert!(row.success && row.completed_at.is_some(), "{row:?}");
    assert_eq!(row.sync_metadata["conflict_id"], conflict_id);
    assert_eq!(row.sync_metadata["resolution_strategy"], strategy);
}
