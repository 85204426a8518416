//! Milestones through the engine, both ways, with their dates, on SQLite and PostgreSQL: a
//! GitHub milestone (due date), a GitLab milestone (start and due date), a Jira sprint (start
//! and end date) and an OpenProject version (start and finish date).
//!
//! For each platform: a milestone a person creates there reaches Elder with its dates (in
//! the milestone's `extras` as `start_date`/`due_date`); a person's edit of its title and
//! dates there reaches Elder; an Elder edit of its description and due date reaches the
//! platform; a milestone created in Elder (`two_way_create`) is created there with its dates;
//! an Elder close closes it there and an Elder delete deletes it there. Each Elder change is
//! exactly one write on the platform (Jira: a close of a sprint not started is a start and a
//! completion), and the host is quiet afterwards.

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_e2e::platform_milestones::{MilestoneDraft, dates_json};
use elder_sync_model::Kind;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{Resource, ResourcePatch, ResourceStatus};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_milestones_with_due_dates() {
    milestones_both_ways(Platform::Github, TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_milestones_with_due_dates_on_postgresql() {
    milestones_both_ways(Platform::Github, TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_milestones_with_start_and_due_dates() {
    milestones_both_ways(Platform::Gitlab, TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_milestones_with_start_and_due_dates_on_postgresql() {
    milestones_both_ways(Platform::Gitlab, TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_sprints_with_start_and_end_dates() {
    milestones_both_ways(Platform::Jira, TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_sprints_with_start_and_end_dates_on_postgresql() {
    milestones_both_ways(Platform::Jira, TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openproject_versions_with_start_and_finish_dates() {
    milestones_both_ways(Platform::OpenProject, TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openproject_versions_with_start_and_finish_dates_on_postgresql() {
    milestones_both_ways(Platform::OpenProject, TestEngine::Postgres).await;
}

/// GitHub milestones have a due date only.
fn has_start(p: Platform) -> bool {
    p != Platform::Github
}

fn draft(p: Platform, title: &str, start: &str, due: &str) -> MilestoneDraft {
    MilestoneDraft {
        title: title.into(),
        description: format!("{title}, described"),
        start_date: has_start(p).then(|| start.to_string()),
        due_date: Some(due.into()),
    }
}

/// The Elder milestone mapped to `p`'s milestone `id`, once it holds `title`.
async fn elder_milestone(host: &PlatformHost, p: Platform, id: &str, title: &str) -> Resource {
    host.eventually(
        &format!("{p:?} milestone {id} is {title:?} in Elder"),
        || async {
            elder_of(host, p, id)
                .await
                .is_some_and(|r| r.title == title)
        },
    )
    .await;
    elder_of(host, p, id).await.unwrap()
}

async fn elder_of(host: &PlatformHost, p: Platform, id: &str) -> Option<Resource> {
    let m = host.mapping_of(p, Kind::Milestone, id).await?;
    host.store
        .get_resource(Kind::Milestone, m.elder_id)
        .await
        .ok()
}

/// The dates `d` sets, as the platform `p` holds them.
fn expected_dates(p: Platform, d: &MilestoneDraft) -> serde_json::Value {
    let mut d = d.clone();
    if !has_start(p) {
        d.start_date = None;
    }
    dates_json(&d)
}

async fn milestones_both_ways(p: Platform, db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        ..PlatformOptions::one(p)
    })
    .await;
    host.backfill_clean(p).await;
    host.settle(3).await;

    // Born on the platform: reaches Elder with its dates.
    let born = draft(p, "Born there", "2027-01-04", "2027-01-29");
    let there = host.person_creates_milestone(p, &born);
    host.backfill_clean(p).await;
    let elder = elder_milestone(&host, p, &there, "Born there").await;
    assert_eq!(elder.extras, expected_dates(p, &born), "{p:?}");
    assert_eq!(elder.description, born.description);
    assert_eq!(elder.project_id, Some(host.project_id));
    host.settle(3).await;

    // Edited there (title and dates): Elder follows.
    let edited = draft(p, "Renamed there", "2027-01-11", "2027-02-05");
    host.person_edits_milestone(p, &there, &edited);
    host.backfill_clean(p).await;
    let elder = elder_milestone(&host, p, &there, "Renamed there").await;
    assert_eq!(elder.extras, expected_dates(p, &edited), "{p:?}");
    host.settle(3).await;
    let written_back = host.writes_on(p);
    assert!(written_back.is_empty(), "{p:?}: {written_back:#?}");

    // Edited in Elder (description and due date): the platform follows.
    let mut extras = elder.extras.clone();
    extras["due_date"] = json!("2027-02-12");
    host.store
        .update_resource(
            Kind::Milestone,
            elder.id,
            &ResourcePatch {
                description: Some("Planned in Elder".into()),
                extras: Some(extras),
                ..ResourcePatch::default()
            },
        )
        .await
        .expect("Elder edit");
    host.eventually("the Elder edit reaches the platform", || async {
        host.milestone_seen_on(p, &there).is_some_and(|m| {
            m.description == "Planned in Elder" && m.due_date.as_deref() == Some("2027-02-12")
        })
    })
    .await;
    host.settle(3).await;
    let seen = host.milestone_seen_on(p, &there).unwrap();
    assert_eq!(seen.title, "Renamed there");
    assert_eq!(seen.start_date, edited.start_date, "{p:?}: start kept");

    // Born in Elder: created there with its dates.
    let planned = draft(p, "Born in Elder", "2027-03-01", "2027-03-26");
    let elder_born = host.create_milestone_in_elder(&planned).await;
    host.eventually("the Elder milestone is created on the platform", || async {
        host.external_id_of(p, Kind::Milestone, elder_born.id)
            .await
            .is_some()
    })
    .await;
    host.settle(3).await;
    let created_id = host
        .external_id_of(p, Kind::Milestone, elder_born.id)
        .await
        .unwrap();
    let seen = host.milestone_seen_on(p, &created_id).expect("created");
    assert_eq!(
        (seen.title.as_str(), seen.description.as_str()),
        ("Born in Elder", planned.description.as_str())
    );
    assert_eq!(seen.due_date, planned.due_date, "{p:?}");
    if has_start(p) {
        assert_eq!(seen.start_date, planned.start_date, "{p:?}");
    }
    // Its echo changed nothing in Elder.
    let after = host
        .store
        .get_resource(Kind::Milestone, elder_born.id)
        .await
        .unwrap();
    assert_eq!(
        after.version, elder_born.version,
        "{p:?}: no echo in Elder: {elder_born:#?} {after:#?}"
    );

    // Closed in Elder: closed there.
    host.store
        .update_resource(
            Kind::Milestone,
            elder.id,
            &ResourcePatch {
                status: Some(ResourceStatus::Closed),
                ..ResourcePatch::default()
            },
        )
        .await
        .expect("Elder close");
    host.eventually("the close reaches the platform", || async {
        host.milestone_seen_on(p, &there).is_some_and(|m| m.closed)
    })
    .await;
    host.settle(3).await;
    let seen = host.milestone_seen_on(p, &there).unwrap();
    assert_eq!(
        seen.due_date.as_deref(),
        Some("2027-02-12"),
        "{p:?}: dates kept"
    );

    // Deleted in Elder: deleted there.
    host.store
        .delete_resource(Kind::Milestone, elder_born.id)
        .await
        .expect("Elder delete");
    host.eventually("the delete reaches the platform", || async {
        host.milestone_seen_on(p, &created_id).is_none()
    })
    .await;

    // Quiet, with one write per Elder change (edit, create, close, delete).
    host.settle(10).await;
    let sent = host.tap.sent().len();
    host.settle(10).await;
    assert_eq!(host.tap.sent().len(), sent, "{p:?}: the host kept sending");
    let writes = host.writes_on(p);
    let expected = match p {
        // Closing a sprint not started yet is a start and a completion.
        Platform::Jira => 5,
        _ => 4,
    };
    assert_eq!(writes.len(), expected, "{p:?}: {writes:#?}");
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
    let elder_all = host.elder_milestones().await;
    assert_eq!(elder_all.len(), 1, "{p:?}: {elder_all:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_milestone_deleted_on_github_is_a_conflict_by_strategy() {
    deleted_on_github(TestEngine::Sqlite, "last_modified_wins").await;
    deleted_on_github(TestEngine::Sqlite, "external_wins").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_milestone_deleted_on_github_is_a_conflict_by_strategy_on_postgresql() {
    deleted_on_github(TestEngine::Postgres, "last_modified_wins").await;
    deleted_on_github(TestEngine::Postgres, "external_wins").await;
}

/// A milestone deleted on GitHub (its `milestone` webhook `deleted`): a `deleted_external`
/// conflict with Elder's milestone kept, or, under `external_wins`, deleted in Elder too.
async fn deleted_on_github(db: TestEngine, strategy: &'static str) {
    let p = Platform::Github;
    let host = PlatformHost::start(PlatformOptions {
        db,
        strategy,
        ..PlatformOptions::one(p)
    })
    .await;
    host.backfill_clean(p).await;
    let there = host.person_creates_milestone(p, &draft(p, "Doomed", "2027-01-04", "2027-01-29"));
    let elder = elder_milestone(&host, p, &there, "Doomed").await;
    host.settle(3).await;
    host.github()
        .user_delete_milestone(there.parse().unwrap())
        .expect("github delete");
    let mapping = host.mapping_of(p, Kind::Milestone, &there).await.unwrap();
    host.eventually("the deletion is handled", || async {
        let gone = host
            .store
            .get_resource(Kind::Milestone, elder.id)
            .await
            .is_err();
        let conflict = host
            .store
            .list_conflicts(Some(false), elder_sync_store::PageRequest::default())
            .await
            .unwrap()
            .items
            .iter()
            .any(|c| {
                c.mapping_id == mapping.id
                    && c.conflict_type == elder_sync_store::ConflictType::DeletedExternal
            });
        if strategy == "external_wins" {
            gone && !conflict
        } else {
            conflict && !gone
        }
    })
    .await;
    host.settle(3).await;
    assert!(host.writes_on(p).is_empty(), "{:#?}", host.writes_on(p));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_sprint_created_delivery_keeps_the_dates_a_backfill_read() {
    late_sprint_created(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_sprint_created_delivery_keeps_the_dates_a_backfill_read_on_postgresql() {
    late_sprint_created(TestEngine::Postgres).await;
}

/// Jira sprints carry no update time. A sprint created without dates and then given some
/// is read, dates and all, by a backfill before its `sprint_created` delivery (whose payload
/// has no dates) is applied. Elder keeps the dates, unchanged, and nothing is written back.
async fn late_sprint_created(db: TestEngine) {
    let p = Platform::Jira;
    let host = PlatformHost::start(PlatformOptions {
        db,
        workers: false,
        ..PlatformOptions::one(p)
    })
    .await;
    let born = draft(p, "Late news", "2027-01-04", "2027-01-29");
    let there = host.person_creates_milestone(p, &born);
    host.eventually("both deliveries wait in the inbox", || async {
        host.inbox_depth().await == 2
    })
    .await;
    host.backfill_clean(p).await;
    let elder = elder_milestone(&host, p, &there, "Late news").await;
    assert_eq!(elder.extras, expected_dates(p, &born));

    // The oldest waiting delivery first: `sprint_created`, without the dates.
    let handled = elder_sync_engine::inbox::process_inbox_batch(&host.engine, 1)
        .await
        .expect("inbox step");
    assert_eq!(handled, 1);
    let after = elder_of(&host, p, &there).await.unwrap();
    assert_eq!(after.extras, expected_dates(p, &born), "dates rolled back");
    assert_eq!(after.version, elder.version, "Elder changed: {after:#?}");

    // Then `sprint_updated`, which says what the backfill already read.
    elder_sync_engine::inbox::process_inbox_batch(&host.engine, 10)
        .await
        .expect("inbox step");
    assert_eq!(host.inbox_depth().await, 0);
    let after = elder_of(&host, p, &there).await.unwrap();
    assert_eq!(after.version, elder.version, "Elder changed: {after:#?}");
    let writes = host.writes_on(p);
    assert!(writes.is_empty(), "{writes:#?}");
}
