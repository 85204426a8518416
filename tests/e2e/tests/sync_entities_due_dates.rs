//! Issue due dates (and start dates) through the hub, on SQLite and PostgreSQL: Jira, GitLab,
//! OpenProject, Trello and GitHub linked to one Elder project (`two_way_create` on).
//!
//! A due date a person sets on a Jira issue (`duedate`) reaches the Elder issue (its
//! `extras.due_date`) and the issue created from it on GitLab (`due_date`), OpenProject
//! (`dueDate`) and Trello (`due`, noon UTC); GitHub issues have no due date, so the GitHub
//! issue holds none and never reads as clearing Elder's (a GitHub rename keeps it). A GitLab
//! change of the due date reaches Elder and the others. An Elder edit of the due date and
//! start date reaches every platform holding them (OpenProject's `startDate`, Trello's
//! `start`); clearing them in Elder clears them there. Each change is exactly one write on
//! each platform it concerns, and a second sync writes nothing.

use std::collections::BTreeMap;

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{Resource, ResourcePatch};
use platform_simulators::gitlab;
use platform_simulators::jira::IssueFields;
use serde_json::{Value, json};

const JIRA: Platform = Platform::Jira;
/// The spokes holding due dates.
const DATED: [Platform; 3] = [Platform::Gitlab, Platform::OpenProject, Platform::Trello];
/// Every platform, the hub's source first.
const ALL: [Platform; 5] = [
    Platform::Jira,
    Platform::Gitlab,
    Platform::OpenProject,
    Platform::Trello,
    Platform::Github,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_due_dates_reach_every_platform_that_holds_them() {
    due_dates(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_due_dates_reach_every_platform_that_holds_them_on_postgresql() {
    due_dates(TestEngine::Postgres).await;
}

/// An issue's dates as a person sees them on a platform: (start, due), `YYYY-MM-DD`.
type Dates = (Option<String>, Option<String>);

/// Issue `id`'s dates as `p` holds them (`None`: no such issue).
fn dates_on(host: &PlatformHost, p: Platform, id: &str) -> Option<Dates> {
    let n = || id.parse::<u64>().ok();
    match p {
        Platform::Jira => host.jira().issue(id).map(|i| (None, i.duedate)),
        Platform::Gitlab => host.gitlab().issue(n()?).map(|i| (None, i.due_date)),
        Platform::OpenProject => host
            .openproject()
            .work_package(n()?)
            .map(|w| (date(&w["startDate"]), date(&w["dueDate"]))),
        Platform::Trello => host
            .trello()
            .card(id)
            .map(|c| (noon_date(&c["start"]), noon_date(&c["due"]))),
        Platform::Github => host.github().issue(n()?).map(|_| (None, None)),
    }
}

fn date(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The date of a Trello date-time, which Elder writes at noon UTC.
fn noon_date(v: &Value) -> Option<String> {
    let t = v.as_str()?;
    assert!(t.ends_with("T12:00:00.000Z"), "Trello date-time {t}");
    Some(t[..10].to_string())
}

/// What `p` should hold for Elder's `(start, due)`: only the fields it has.
fn expected_on(p: Platform, start: Option<&str>, due: Option<&str>) -> Dates {
    let own = |d: Option<&str>| d.map(str::to_string);
    match p {
        Platform::OpenProject | Platform::Trello => (own(start), own(due)),
        Platform::Jira | Platform::Gitlab => (None, own(due)),
        Platform::Github => (None, None),
    }
}

/// Waits until every platform holds `(start, due)` for Elder issue `elder_id` (as far as it
/// holds dates).
async fn everywhere(host: &PlatformHost, elder_id: i64, start: Option<&str>, due: Option<&str>) {
    host.eventually(&format!("dates {start:?}/{due:?} everywhere"), || async {
        for p in ALL {
            let Some(id) = host.external_id(p, elder_id).await else {
                return false;
            };
            if dates_on(host, p, &id) != Some(expected_on(p, start, due)) {
                return false;
            }
        }
        true
    })
    .await;
}

/// Successful writes per platform so far.
fn writes(host: &PlatformHost) -> BTreeMap<Platform, usize> {
    ALL.iter().map(|p| (*p, host.writes_on(*p).len())).collect()
}

/// Asserts the writes since `before`: `one` platforms got exactly one, the others none.
fn one_write_on(host: &PlatformHost, before: &BTreeMap<Platform, usize>, one: &[Platform]) {
    let now = writes(host);
    for p in ALL {
        let expected = usize::from(one.contains(&p));
        assert_eq!(
            now[&p] - before[&p],
            expected,
            "{p:?}: {:#?}",
            &host.writes_on(p)[before[&p]..]
        );
    }
}

/// Polls every platform once more and asserts nothing was written.
async fn second_sync_writes_nothing(host: &PlatformHost) {
    let before = writes(host);
    for p in ALL {
        host.backfill_clean(p).await;
    }
    host.settle(5).await;
    one_write_on(host, &before, &[]);
}

/// Jira and the dated spokes.
fn with_jira() -> Vec<Platform> {
    [[JIRA].as_slice(), &DATED].concat()
}

async fn elder(host: &PlatformHost, id: i64) -> Resource {
    host.store
        .get_resource(elder_sync_model::Kind::Issue, id)
        .await
        .expect("Elder issue")
}

async fn edit_dates(host: &PlatformHost, id: i64, extras: Value) {
    host.edit_in_elder(
        id,
        ResourcePatch {
            extras: Some(extras),
            ..ResourcePatch::default()
        },
    )
    .await;
}

async fn due_dates(db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        platforms: ALL.to_vec(),
        ..PlatformOptions::one(JIRA)
    })
    .await;
    // What the platforms hold already (their labels) is synced before the issue is born.
    for _ in 0..2 {
        for p in ALL {
            host.backfill_clean(p).await;
        }
        host.settle(5).await;
    }
    let start = writes(&host);

    // Set on Jira: Elder and every spoke follow, one create on each spoke.
    let key = host
        .jira()
        .create_issue(IssueFields {
            summary: Some("Dated".into()),
            issuetype: Some("Task".into()),
            duedate: Some(Some("2027-03-05".into())),
            ..IssueFields::default()
        })
        .key;
    host.eventually("the Jira issue is in Elder", || async {
        host.elder_issue(JIRA, &key).await.is_some()
    })
    .await;
    let id = host.elder_issue(JIRA, &key).await.unwrap().id;
    everywhere(&host, id, None, Some("2027-03-05")).await;
    host.settle(5).await;
    assert_eq!(
        elder(&host, id).await.extras,
        json!({"due_date": "2027-03-05"})
    );
    let spokes = [DATED.as_slice(), &[Platform::Github]].concat();
    one_write_on(&host, &start, &spokes);
    second_sync_writes_nothing(&host).await;

    // A GitHub edit (GitHub holds no due date) keeps Elder's.
    let before = writes(&host);
    let gh = host.external_id(Platform::Github, id).await.unwrap();
    host.person_renames(Platform::Github, &gh, "Dated, renamed on GitHub");
    host.eventually("the rename reaches Elder", || async {
        elder(&host, id).await.title == "Dated, renamed on GitHub"
    })
    .await;
    host.settle(5).await;
    assert_eq!(
        elder(&host, id).await.extras,
        json!({"due_date": "2027-03-05"})
    );
    everywhere(&host, id, None, Some("2027-03-05")).await;
    one_write_on(&host, &before, &with_jira());

    // Changed on GitLab: Elder and the others follow.
    let before = writes(&host);
    let gl = host.external_id(Platform::Gitlab, id).await.unwrap();
    host.gitlab().update_issue(
        gl.parse().unwrap(),
        gitlab::IssueEdit {
            due_date: Some(Some("2027-03-12".into())),
            ..gitlab::IssueEdit::default()
        },
    );
    everywhere(&host, id, None, Some("2027-03-12")).await;
    host.settle(5).await;
    assert_eq!(
        elder(&host, id).await.extras,
        json!({"due_date": "2027-03-12"})
    );
    one_write_on(
        &host,
        &before,
        &[JIRA, Platform::OpenProject, Platform::Trello],
    );

    // Edited in Elder (start and due): every platform holding them follows.
    let before = writes(&host);
    edit_dates(
        &host,
        id,
        json!({"start_date": "2027-03-20", "due_date": "2027-04-01"}),
    )
    .await;
    everywhere(&host, id, Some("2027-03-20"), Some("2027-04-01")).await;
    host.settle(5).await;
    one_write_on(&host, &before, &with_jira());
    second_sync_writes_nothing(&host).await;
    let kept = elder(&host, id).await.extras;
    assert_eq!(
        kept,
        json!({"start_date": "2027-03-20", "due_date": "2027-04-01"})
    );

    // Cleared in Elder: cleared everywhere.
    let before = writes(&host);
    edit_dates(&host, id, json!({})).await;
    everywhere(&host, id, None, None).await;
    host.settle(5).await;
    one_write_on(&host, &before, &with_jira());
    second_sync_writes_nothing(&host).await;
    assert_eq!(elder(&host, id).await.extras, json!({}));

    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(host.elder_issues().await.len(), 1);
}
