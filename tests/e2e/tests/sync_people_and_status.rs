//! People and workflow status through the hub, end to end on SQLite and PostgreSQL.
//!
//! Assignees: a GitHub issue assigned to a person the identity table knows on Jira reaches
//! Jira as that person's account id; a GitHub assignee with no Jira account is skipped with
//! a history note while the rest of the change lands (Jira refuses unknown account ids, so
//! passing it on would fail the whole write).
//!
//! Status: a Jira issue moved to "In Review" shows "In Review" in Elder and reaches the
//! Trello list and the OpenProject status each config's `status_map` names for it; a
//! status Trello has no list for is an `invalid_transition` conflict.

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_model::Kind;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{
    ConflictType, IdentityPatch, NewIdentity, PageRequest, Resource, ResourcePatch,
};
use platform_simulators::github::IssueEdit;
use platform_simulators::jira::IssueFields;

const GH: Platform = Platform::Github;
const JI: Platform = Platform::Jira;
const TR: Platform = Platform::Trello;
const OP: Platform = Platform::OpenProject;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assignees_map_through_identities_from_github_to_jira() {
    assignees_through_the_hub(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assignees_map_through_identities_from_github_to_jira_on_postgresql() {
    assignees_through_the_hub(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jira_status_reaches_trello_and_openproject_through_status_maps() {
    status_through_the_hub(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jira_status_reaches_trello_and_openproject_through_status_maps_on_postgresql() {
    status_through_the_hub(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_created_elsewhere_lands_in_elders_status() {
    created_in_status(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_created_elsewhere_lands_in_elders_status_on_postgresql() {
    created_in_status(TestEngine::Postgres).await;
}

/// The Elder issue mapped to `p`'s item `id`, once it exists.
async fn elder_of(host: &PlatformHost, p: Platform, id: &str) -> Resource {
    host.eventually(&format!("{p:?} {id} reaches Elder"), || async {
        host.elder_issue(p, id).await.is_some()
    })
    .await;
    host.elder_issue(p, id).await.unwrap()
}

/// The external id `p` has for Elder issue `elder_id`, once it exists.
async fn mapped_on(host: &PlatformHost, p: Platform, elder_id: i64) -> String {
    host.eventually(&format!("Elder issue {elder_id} reaches {p:?}"), || async {
        host.external_id(p, elder_id)
            .await
            .is_some_and(|id| !elder_sync_store::is_reserved(&id))
    })
    .await;
    host.external_id(p, elder_id).await.unwrap()
}

async fn assignees_through_the_hub(db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        platforms: vec![GH, JI],
        ..PlatformOptions::one(GH)
    })
    .await;
    let identity = |handle: &str, accounts: &[(&str, &str)]| NewIdentity {
        handle: handle.into(),
        accounts: accounts
            .iter()
            .map(|(p, l)| (p.to_string(), l.to_string()))
            .collect(),
        ..NewIdentity::default()
    };
    // Ada is known on both; Hugo is known on GitLab as `Hubot` (the same login, another
    // case) and on Jira; monalisa is known nowhere.
    let ada_on_jira = host.jira().add_user("Ada Lovelace");
    let hugo_on_jira = host.jira().add_user("Hugo");
    host.store
        .create_identity(&identity(
            "ada",
            &[("github", "octocat"), ("jira", &ada_on_jira)],
        ))
        .await
        .unwrap();
    host.store
        .create_identity(&identity(
            "hugo",
            &[("gitlab", "Hubot"), ("jira", &hugo_on_jira)],
        ))
        .await
        .unwrap();
    host.settle(3).await;
    let jira_writes = host.tap.writes_to(&host.jira().base_url()).len();
    let github_writes = host.tap.writes_to(&host.github().base_url()).len();

    let number = host
        .github()
        .user_open_issue(
            "Fix the login page",
            IssueEdit {
                assignees: Some(vec!["octocat".into(), "hubot".into(), "monalisa".into()]),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    let elder = elder_of(&host, GH, &number.to_string()).await;
    let key = mapped_on(&host, JI, elder.id).await;
    host.settle(3).await;

    // Elder holds people: Ada's handle, Hugo's (his GitHub login linked by his GitLab one),
    // and monalisa recorded as a person seen on GitHub.
    let elder = host
        .store
        .get_resource(Kind::Issue, elder.id)
        .await
        .unwrap();
    assert_eq!(elder.assignees, ["ada", "hugo", "monalisa"]);
    let hugo = host
        .store
        .identity_by_handle("hugo")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hugo.login_on("github"), Some("hubot"), "linked by login");
    let mona = host
        .store
        .identity_by_handle("monalisa")
        .await
        .unwrap()
        .expect("monalisa was recorded");
    assert_eq!(mona.accounts.len(), 1);
    assert_eq!(mona.login_on("github"), Some("monalisa"));

    // Jira has the issue, assigned to Ada's account id (Jira holds one assignee); monalisa
    // was skipped with a history note, and the issue was written all the same.
    let issue = host.jira().issue(&key).expect("on Jira");
    assert_eq!(issue.summary, "Fix the login page");
    assert_eq!(issue.assignee.as_deref(), Some(ada_on_jira.as_str()));
    let noted = host.notes(JI).await;
    assert!(
        noted.iter().any(|n| n["note"] == "assignees_skipped"
            && n["assignees"] == serde_json::json!(["monalisa"])),
        "{noted:?}"
    );
    // Exactly one write at Jira (the create) and none back at GitHub.
    assert_eq!(
        host.tap.writes_to(&host.jira().base_url()).len() - jira_writes,
        1,
        "one create at Jira"
    );
    assert_eq!(
        host.tap.writes_to(&host.github().base_url()).len(),
        github_writes,
        "nothing written back to GitHub"
    );

    // A later GitHub edit (a title, and Ada unassigned) lands on Jira as Hugo's account.
    let jira_writes = host.tap.writes_to(&host.jira().base_url()).len();
    host.github()
        .user_edit_issue(
            number,
            IssueEdit {
                title: Some("Fix the login page for good".into()),
                assignees: Some(vec!["hubot".into(), "monalisa".into()]),
                ..IssueEdit::default()
            },
        )
        .unwrap();
    host.eventually("the edit reaches Jira", || async {
        host.jira().issue(&key).is_some_and(|i| {
            i.summary == "Fix the login page for good"
                && i.assignee.as_deref() == Some(hugo_on_jira.as_str())
        })
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        host.tap.writes_to(&host.jira().base_url()).len() - jira_writes,
        1,
        "one update at Jira"
    );
    let elder = host
        .store
        .get_resource(Kind::Issue, elder.id)
        .await
        .unwrap();
    assert_eq!(elder.assignees, ["hugo", "monalisa"]);
    assert!(host.failed_outbox().await.is_empty());

    // Once monalisa has a Jira account, an Elder edit assigns her there.
    let mona_on_jira = host.jira().add_user("Mona");
    host.store
        .update_identity(
            mona.id,
            &IdentityPatch {
                accounts: Some([("jira".to_string(), Some(mona_on_jira.clone()))].into()),
                ..IdentityPatch::default()
            },
        )
        .await
        .unwrap();
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            assignees: Some(vec!["monalisa".into(), "ada".into()]),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually(
        "monalisa is assigned on Jira and both on GitHub",
        || async {
            let on_jira = host
                .jira()
                .issue(&key)
                .is_some_and(|i| i.assignee.as_deref() == Some(mona_on_jira.as_str()));
            let on_github = host
                .github()
                .issue(number)
                .is_some_and(|i| i.assignees == ["monalisa", "octocat"]);
            on_jira && on_github
        },
    )
    .await;
    host.settle(3).await;
    let elder = host
        .store
        .get_resource(Kind::Issue, elder.id)
        .await
        .unwrap();
    assert_eq!(
        elder.assignees,
        ["monalisa", "ada"],
        "Jira's single assignee removed no one"
    );
}

async fn status_through_the_hub(db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        platforms: vec![JI, TR, OP],
        settings: vec![
            (TR, "status_map", r#"{"In Review": "Review"}"#),
            (OP, "status_map", r#"{"In Review": "In progress"}"#),
        ],
        ..PlatformOptions::one(JI)
    })
    .await;
    let review_list = host.trello().add_list("Review");
    host.settle(3).await;

    let key = host
        .jira()
        .create_issue(IssueFields {
            summary: Some("Ship the release".into()),
            issuetype: Some("Task".into()),
            ..IssueFields::default()
        })
        .key;
    let elder = elder_of(&host, JI, &key).await;
    assert_eq!(elder.status_name.as_deref(), Some("To Do"));
    let card = mapped_on(&host, TR, elder.id).await;
    let wp = mapped_on(&host, OP, elder.id).await;
    host.settle(3).await;
    let counts =
        |host: &PlatformHost| [JI, TR, OP].map(|p| host.tap.writes_to(&host.sim_url(p)).len());
    let before = counts(&host);

    host.jira().set_status(&key, "In Review");
    host.eventually(
        "In Review reaches Elder, Trello and OpenProject",
        || async {
            let elder = host
                .store
                .get_resource(Kind::Issue, elder.id)
                .await
                .unwrap();
            let on_trello = host.trello().card(&card).unwrap()["idList"] == review_list.as_str();
            let on_op = host
                .openproject()
                .work_package(wp.parse().unwrap())
                .unwrap()["_links"]["status"]["href"]
                == "/api/v3/statuses/7";
            elder.status_name.as_deref() == Some("In Review") && on_trello && on_op
        },
    )
    .await;
    host.settle(5).await;
    let after = counts(&host);
    assert_eq!(
        [
            after[0] - before[0],
            after[1] - before[1],
            after[2] - before[2]
        ],
        [0, 1, 1],
        "no write to Jira, one move at Trello, one status change at OpenProject"
    );

    // A status Trello has no list for: an invalid_transition conflict there, while Jira
    // (whose workflow has no such status either) records one too; nothing is retried.
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            status_name: Some(Some("Blocked".into())),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.settle(5).await;
    let m = host.mapping(TR, &card).await.unwrap();
    let conflicts = host
        .store
        .list_conflicts(Some(false), PageRequest::default())
        .await
        .unwrap()
        .items;
    assert!(
        conflicts
            .iter()
            .any(|c| c.mapping_id == m.id && c.conflict_type == ConflictType::InvalidTransition),
        "{conflicts:?}"
    );
    assert!(host.failed_outbox().await.is_empty());
    assert_eq!(
        host.trello().card(&card).unwrap()["idList"],
        review_list.as_str(),
        "the card stays where it was"
    );
}

/// A Jira issue already "In Review" when it is first polled is created on Trello and
/// OpenProject (where new items start in the first status) and moved to the mapped status
/// at once: one create and one move at each.
async fn created_in_status(db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        platforms: vec![JI, TR, OP],
        webhooks: false,
        settings: vec![
            (TR, "status_map", r#"{"In Review": "Review"}"#),
            (OP, "status_map", r#"{"In Review": "In progress"}"#),
        ],
        ..PlatformOptions::one(JI)
    })
    .await;
    let review_list = host.trello().add_list("Review");
    let key = host
        .jira()
        .create_issue(IssueFields {
            summary: Some("Already in review".into()),
            issuetype: Some("Task".into()),
            ..IssueFields::default()
        })
        .key;
    host.jira().set_status(&key, "In Review");
    // Jira's search is eventually consistent: wait until the issue is searchable.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    host.backfill_clean(JI).await;
    let elder = host.elder_issue(JI, &key).await.expect("imported");
    assert_eq!(elder.status_name.as_deref(), Some("In Review"));
    let card = mapped_on(&host, TR, elder.id).await;
    let wp = mapped_on(&host, OP, elder.id).await;
    host.settle(3).await;
    assert_eq!(
        host.trello().card(&card).unwrap()["idList"],
        review_list.as_str()
    );
    assert_eq!(
        host.openproject()
            .work_package(wp.parse().unwrap())
            .unwrap()["_links"]["status"]["href"],
        "/api/v3/statuses/7"
    );
    for p in [TR, OP] {
        assert_eq!(
            host.tap.writes_to(&host.sim_url(p)).len(),
            2,
            "{p:?}: one create and one move"
        );
    }
    assert!(host.failed_outbox().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_import_writes_people_in_elders_terms() {
    first_import_in_elders_terms(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_import_writes_people_in_elders_terms_on_postgresql() {
    first_import_in_elders_terms(TestEngine::Postgres).await;
}

/// A first import (the batched poll path) stores assignees as Elder people, as the
/// webhook and one-by-one paths do: octocat, known as Ada, arrives as `ada`.
async fn first_import_in_elders_terms(db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        webhooks: false,
        ..PlatformOptions::one(GH)
    })
    .await;
    host.store
        .create_identity(&NewIdentity {
            handle: "ada".into(),
            accounts: [("github".to_string(), "octocat".to_string())].into(),
            ..NewIdentity::default()
        })
        .await
        .unwrap();
    let mut numbers = Vec::new();
    for title in ["Fix the login page", "Tidy the footer", "Rename the button"] {
        let edit = IssueEdit {
            assignees: Some(vec!["octocat".into()]),
            ..IssueEdit::default()
        };
        numbers.push(host.github().user_open_issue(title, edit).unwrap());
    }
    host.backfill_clean(GH).await;
    for number in numbers {
        let elder = host
            .elder_issue(GH, &number.to_string())
            .await
            .expect("imported");
        assert_eq!(elder.assignees, vec!["ada".to_string()], "issue #{number}");
    }
}
