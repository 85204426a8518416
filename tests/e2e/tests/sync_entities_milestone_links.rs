//! An issue's milestone through the hub, on SQLite and PostgreSQL: GitHub, Jira and
//! OpenProject linked to one Elder project. A GitHub milestone becomes one Elder milestone,
//! a Jira sprint and an OpenProject version (with its due date); a GitHub issue in that
//! milestone arrives on Jira in that sprint and on OpenProject in that version (the mapped
//! counterparts, not names). Then a version born on OpenProject reaches GitHub and Jira, and
//! moving the work package to it on OpenProject moves the GitHub issue to the GitHub
//! counterpart and the Jira issue to the Jira counterpart. Exact write counts per platform:
//! nothing written twice, no loop.

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_e2e::platform_milestones::MilestoneDraft;
use elder_sync_model::Kind;
use elder_sync_store::testing::TestEngine;
use platform_simulators::github::IssueEdit;
use serde_json::json;

const GH: Platform = Platform::Github;
const JI: Platform = Platform::Jira;
const OP: Platform = Platform::OpenProject;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issues_milestone_is_the_mapped_sprint_and_version() {
    milestone_links(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issues_milestone_is_the_mapped_sprint_and_version_on_postgresql() {
    milestone_links(TestEngine::Postgres).await;
}

/// `p`'s id for the Elder resource `(kind, elder_id)`, once it exists.
async fn mapped(host: &PlatformHost, p: Platform, kind: Kind, elder_id: i64) -> String {
    host.eventually(&format!("{kind} {elder_id} is on {p:?}"), || async {
        host.external_id_of(p, kind, elder_id).await.is_some()
    })
    .await;
    host.external_id_of(p, kind, elder_id).await.unwrap()
}

/// The Elder resource mapped to `p`'s `(kind, id)`, once it exists.
async fn elder_id_of(host: &PlatformHost, p: Platform, kind: Kind, id: &str) -> i64 {
    host.eventually(&format!("{p:?} {kind} {id} reaches Elder"), || async {
        host.mapping_of(p, kind, id).await.is_some()
    })
    .await;
    host.mapping_of(p, kind, id).await.unwrap().elder_id
}

fn writes(host: &PlatformHost, p: Platform) -> usize {
    host.writes_on(p).len()
}

fn op_version_of(host: &PlatformHost, wp: &str) -> String {
    let w = host
        .openproject()
        .work_package(wp.parse().unwrap())
        .expect("work package");
    w["_links"]["version"]["href"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn milestone_links(db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        platforms: vec![GH, JI, OP],
        ..PlatformOptions::one(GH)
    })
    .await;
    for p in [GH, JI, OP] {
        host.backfill_clean(p).await;
    }
    host.settle(3).await;
    // The first imports bring each platform's labels (Jira components, OpenProject
    // categories) to the others: counted from here on.
    let before = |p: Platform| writes(&host, p);
    let start = [before(GH), before(JI), before(OP)];
    let since = |p: Platform| {
        let i = [GH, JI, OP].iter().position(|q| *q == p).unwrap();
        writes(&host, p) - start[i]
    };

    // A GitHub milestone: one Elder milestone, a Jira sprint, an OpenProject version.
    let v1 = MilestoneDraft {
        title: "v1".into(),
        description: "First release".into(),
        start_date: None,
        due_date: Some("2027-05-28".into()),
    };
    let gh_v1 = host.person_creates_milestone(GH, &v1);
    host.backfill_clean(GH).await;
    let elder_v1 = elder_id_of(&host, GH, Kind::Milestone, &gh_v1).await;
    let ji_v1 = mapped(&host, JI, Kind::Milestone, elder_v1).await;
    let op_v1 = mapped(&host, OP, Kind::Milestone, elder_v1).await;
    host.settle(3).await;
    for p in [JI, OP] {
        let id = if p == JI { &ji_v1 } else { &op_v1 };
        let seen = host.milestone_seen_on(p, id).expect("created");
        assert_eq!(seen.title, "v1", "{p:?}");
        assert_eq!(seen.due_date.as_deref(), Some("2027-05-28"), "{p:?}");
    }

    // A GitHub issue in it: in the mapped sprint and version.
    let issue = host
        .github()
        .user_open_issue(
            "Ship it",
            IssueEdit {
                milestone: Some(Some(gh_v1.parse().unwrap())),
                ..IssueEdit::default()
            },
        )
        .expect("github issue")
        .to_string();
    host.backfill_clean(GH).await;
    let elder_issue = elder_id_of(&host, GH, Kind::Issue, &issue).await;
    let ji_issue = mapped(&host, JI, Kind::Issue, elder_issue).await;
    let op_issue = mapped(&host, OP, Kind::Issue, elder_issue).await;
    host.settle(3).await;
    let r = host
        .store
        .get_resource(Kind::Issue, elder_issue)
        .await
        .unwrap();
    assert_eq!(r.milestone_id, Some(elder_v1));
    let sprint: u64 = ji_v1.parse().unwrap();
    assert_eq!(
        host.jira().issue(&ji_issue).unwrap().sprint_ids,
        vec![sprint]
    );
    assert_eq!(
        op_version_of(&host, &op_issue),
        format!("/api/v3/versions/{op_v1}")
    );
    // GitHub: nothing. Jira: the sprint, the issue, its move into the sprint.
    // OpenProject: the version, the work package (created in it).
    assert_eq!(since(GH), 0, "{:#?}", host.writes_on(GH));
    assert_eq!(since(JI), 3, "{:#?}", host.writes_on(JI));
    assert_eq!(since(OP), 2, "{:#?}", host.writes_on(OP));

    // A version born on OpenProject reaches GitHub and Jira.
    let v2 = MilestoneDraft {
        title: "v2".into(),
        description: "Second release".into(),
        start_date: Some("2027-06-01".into()),
        due_date: Some("2027-06-25".into()),
    };
    let op_v2 = host.person_creates_milestone(OP, &v2);
    host.backfill_clean(OP).await;
    let elder_v2 = elder_id_of(&host, OP, Kind::Milestone, &op_v2).await;
    let gh_v2 = mapped(&host, GH, Kind::Milestone, elder_v2).await;
    let ji_v2 = mapped(&host, JI, Kind::Milestone, elder_v2).await;
    host.settle(3).await;
    let seen = host.milestone_seen_on(JI, &ji_v2).unwrap();
    assert_eq!(
        (seen.start_date.as_deref(), seen.due_date.as_deref()),
        (Some("2027-06-01"), Some("2027-06-25"))
    );
    assert_eq!(
        host.milestone_seen_on(GH, &gh_v2)
            .unwrap()
            .due_date
            .as_deref(),
        Some("2027-06-25")
    );

    // The work package moves to it on OpenProject: the issue moves on GitHub and Jira.
    host.openproject().update_work_package(
        op_issue.parse().unwrap(),
        json!({"_links": {"version": {"href": format!("/api/v3/versions/{op_v2}")}}}),
    );
    host.backfill_clean(OP).await;
    host.eventually("the move reaches GitHub and Jira", || async {
        let gh = host
            .github()
            .issue(issue.parse().unwrap())
            .unwrap()
            .milestone;
        let ji = host.jira().issue(&ji_issue).unwrap().sprint_ids;
        gh == Some(gh_v2.parse().unwrap()) && ji == vec![ji_v2.parse::<u64>().unwrap()]
    })
    .await;
    let r = host
        .store
        .get_resource(Kind::Issue, elder_issue)
        .await
        .unwrap();
    assert_eq!(r.milestone_id, Some(elder_v2));

    // Quiet, and exact: GitHub got the milestone and the issue's move; Jira the sprint and
    // the issue's move; OpenProject nothing more.
    host.settle(10).await;
    let sent = host.tap.sent().len();
    host.settle(10).await;
    assert_eq!(host.tap.sent().len(), sent, "the host kept sending");
    // Still there once quiet (no echo took the issue out of its milestone anywhere).
    let r = host
        .store
        .get_resource(Kind::Issue, elder_issue)
        .await
        .unwrap();
    assert_eq!(r.milestone_id, Some(elder_v2));
    let gh = host
        .github()
        .issue(issue.parse().unwrap())
        .unwrap()
        .milestone;
    assert_eq!(gh, Some(gh_v2.parse().unwrap()));
    assert_eq!(since(GH), 2, "{:#?}", host.writes_on(GH));
    assert_eq!(since(JI), 5, "{:#?}", host.writes_on(JI));
    assert_eq!(since(OP), 2, "{:#?}", host.writes_on(OP));
    assert_eq!(host.elder_milestones().await.len(), 2);
    assert!(host.failed_outbox().await.is_empty());
}
