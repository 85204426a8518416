//! End to end: the GitLab wasm component in the host runtime against the GitLab
//! simulator: backfill across pages, incremental polls, writes both ways, webhook
//! payloads of each event type, rate limits, auth failures and epics without a licence.

use std::collections::BTreeMap;

use elder_sync_e2e::component_harness::{ComponentEnv, connector_error, connector_settings};
use elder_sync_model::{ChangeAction, ConnectorError, ItemPatch, ItemState, Kind, NewItem};
use elder_sync_runtime::ConnectorSettings;
use platform_simulators::gitlab::{GitlabOptions, GitlabSim, HookConfig, IssueEdit, MilestoneEdit};

type Env = ComponentEnv<GitlabSim>;

async fn env_with(options: GitlabOptions, extra: &[(&str, &str)]) -> Env {
    let sim = GitlabSim::start(options.clone())
        .await
        .expect("simulator starts");
    let (project_id, base_url) = (options.project_id.to_string(), sim.base_url());
    let values = [
        ("api_token", options.token.as_str()),
        ("project_id", project_id.as_str()),
        ("base_url", base_url.as_str()),
    ];
    let config = connector_settings(&values, extra);
    Env::new(sim, "gitlab", config)
}

async fn env() -> Env {
    env_with(GitlabOptions::default(), &[]).await
}

fn new_issue(title: &str) -> NewItem {
    NewItem {
        kind: Kind::Issue,
        title: title.into(),
        body: "Body *md*".into(),
        state: ItemState::Open,
        labels: vec![],
        assignees: vec![],
        milestone_ref: None,
        parent_ref: None,
        extras: "{}".into(),
    }
}

#[tokio::test]
async fn test_connection_names_the_project_and_a_bad_token_is_unauthorized() {
    let e = env().await;
    assert_eq!(
        e.connector.test_connection(&e.config).await.unwrap(),
        "acme/widgets"
    );
    let mut bad = BTreeMap::new();
    bad.insert("api_token".to_string(), "wrong".to_string());
    bad.insert("project_id".to_string(), "42".to_string());
    bad.insert("base_url".to_string(), e.sim.base_url());
    let err = connector_error(
        e.connector
            .test_connection(&ConnectorSettings::new(bad))
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn backfill_walks_several_pages_then_polls_only_new_changes() {
    let e = env().await;
    for n in 0..7 {
        e.sim
            .create_issue(&format!("issue {n}"), IssueEdit::default());
    }
    let (mut cursor, mut seen, mut pages) = (None, Vec::new(), 0);
    loop {
        let page = e
            .connector
            .list_changes(&e.config, Kind::Issue, cursor.clone(), 3)
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|i| i.external_id.clone()));
        cursor = page.next_cursor.clone();
        if !page.has_more {
            break;
        }
    }
    seen.sort_by_key(|s| s.parse::<u32>().unwrap());
    assert_eq!(
        seen,
        ["1", "2", "3", "4", "5", "6", "7"],
        "every issue exactly once"
    );
    assert!(
        pages >= 3,
        "7 issues at 3 a page take several pages, got {pages}"
    );

    let quiet = e
        .connector
        .list_changes(&e.config, Kind::Issue, cursor.clone(), 3)
        .await
        .unwrap();
    assert!(quiet.items.is_empty(), "nothing changed: {:?}", quiet.items);

    e.sim.update_issue(
        2,
        IssueEdit {
            title: Some("renamed".into()),
            ..Default::default()
        },
    );
    let next = e
        .connector
        .list_changes(&e.config, Kind::Issue, quiet.next_cursor, 3)
        .await
        .unwrap();
    assert_eq!(next.items.len(), 1);
    assert_eq!(
        (
            next.items[0].external_id.as_str(),
            next.items[0].title.as_str()
        ),
        ("2", "renamed")
    );
}

#[tokio::test]
async fn elder_writes_reach_gitlab_create_update_close_reopen() {
    let e = env().await;
    e.sim.add_user("ann");
    let ms = e.sim.create_milestone("v1", MilestoneEdit::default());
    let mut n = new_issue("From Elder");
    n.labels = vec!["bug".into(), "needs review".into()];
    n.assignees = vec!["ann".into()];
    n.milestone_ref = Some(ms.id.to_string());
    let created = e.connector.create(&e.config, n).await.unwrap();
    let iid: u64 = created.external_id.parse().unwrap();
    let stored = e.sim.issue(iid).unwrap();
    assert_eq!(stored.labels, ["bug", "needs review"]);
    assert_eq!(stored.milestone_id, Some(ms.id));
    assert_eq!(stored.assignee_ids.len(), 1);
    assert_eq!(created.assignees, ["ann"]);

    let patch = ItemPatch {
        title: Some("Renamed".into()),
        labels: Some(vec!["ui".into()]),
        milestone_ref: Some(None),
        ..Default::default()
    };
    let updated = e
        .connector
        .update(&e.config, Kind::Issue, &created.external_id, patch)
        .await
        .unwrap();
    assert_eq!(
        (updated.title.as_str(), updated.milestone_ref.clone()),
        ("Renamed", None)
    );
    let stored = e.sim.issue(iid).unwrap();
    assert_eq!(
        (stored.labels.clone(), stored.milestone_id),
        (vec!["ui".to_string()], None)
    );

    let closed = e
        .connector
        .close(&e.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    assert_eq!(closed.state, ItemState::Closed);
    assert_eq!(e.sim.issue(iid).unwrap().state, "closed");
    let reopened = e
        .connector
        .reopen(&e.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    assert_eq!(reopened.state, ItemState::Open);
    assert_eq!(e.sim.issue(iid).unwrap().state, "opened");

    let stale = ItemPatch {
        title: Some("x".into()),
        expected_version: Some("1".into()),
        ..Default::default()
    };
    let err = connector_error(
        e.connector
            .update(&e.config, Kind::Issue, &created.external_id, stale)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn an_issue_created_closed_is_created_then_closed() {
    let e = env().await;
    let mut n = new_issue("born closed");
    n.state = ItemState::Closed;
    let created = e.connector.create(&e.config, n).await.unwrap();
    assert_eq!(created.state, ItemState::Closed);
    assert_eq!(
        e.sim
            .issue(created.external_id.parse().unwrap())
            .unwrap()
            .state,
        "closed"
    );
}

#[tokio::test]
async fn gitlab_side_changes_arrive_as_webhook_changes_of_each_type() {
    let e = env().await;
    e.sim.set_webhook(HookConfig {
        url: None,
        secret_token: Some("s3cret".into()),
        signing_token: Some("whsec_c2VjcmV0LWtleS1ieXRlcw==".into()),
    });
    let i = e.sim.create_issue("hooked", IssueEdit::default());
    e.sim.update_issue(
        i.iid,
        IssueEdit {
            description: Some("new body".into()),
            ..Default::default()
        },
    );
    e.sim.update_issue(
        i.iid,
        IssueEdit {
            state_event: Some("close".into()),
            ..Default::default()
        },
    );
    e.sim.update_issue(
        i.iid,
        IssueEdit {
            state_event: Some("reopen".into()),
            ..Default::default()
        },
    );
    let m = e
        .sim
        .create_milestone("sprint-ish", MilestoneEdit::default());
    let deliveries = e.sim.deliveries();
    assert_eq!(deliveries.len(), 5);
    let mut actions = Vec::new();
    for d in &deliveries {
        assert_eq!(d.header("X-Gitlab-Token"), Some("s3cret"));
        assert!(
            d.header("Idempotency-Key").is_some()
                && d.header("webhook-signature")
                    .is_some_and(|s| s.starts_with("v1,"))
        );
        let changes = e
            .connector
            .parse_webhook(&e.config, d.headers.clone(), d.body.clone())
            .await
            .unwrap();
        assert_eq!(changes.len(), 1);
        actions.push((
            changes[0].kind,
            changes[0].external_id.clone(),
            changes[0].action,
        ));
    }
    let id = i.iid.to_string();
    assert_eq!(
        actions,
        [
            (Kind::Issue, id.clone(), ChangeAction::Created),
            (Kind::Issue, id.clone(), ChangeAction::Updated),
            (Kind::Issue, id.clone(), ChangeAction::Closed),
            (Kind::Issue, id, ChangeAction::Reopened),
            (Kind::Milestone, m.id.to_string(), ChangeAction::Created),
        ]
    );
    // The `UTC`-suffixed timestamp of hook payloads is read (to the second).
    let closed = e
        .connector
        .parse_webhook(
            &e.config,
            deliveries[2].headers.clone(),
            deliveries[2].body.clone(),
        )
        .await
        .unwrap();
    let item = closed[0].item.clone().unwrap();
    assert_eq!(item.state, ItemState::Closed);
    assert!(item.updated_at > 1_600_000_000_000);

    let push = e
        .connector
        .parse_webhook(
            &e.config,
            vec![("X-Gitlab-Event".into(), "Push Hook".into())],
            br#"{"object_kind":"push"}"#.to_vec(),
        )
        .await
        .unwrap();
    assert!(push.is_empty());
}

#[tokio::test]
async fn rate_limit_is_reported_with_retry_after_and_the_cursor_still_works() {
    let e = env().await;
    for n in 0..4 {
        e.sim.create_issue(&format!("i{n}"), IssueEdit::default());
    }
    let first = e
        .connector
        .list_changes(&e.config, Kind::Issue, None, 2)
        .await
        .unwrap();
    e.sim.rate_limit_next(1);
    let err = connector_error(
        e.connector
            .list_changes(&e.config, Kind::Issue, first.next_cursor.clone(), 2)
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, ConnectorError::RateLimited(r) if r.retry_after_ms == 30_000),
        "{err:?}"
    );
    // The walk resumes from the stored cursor as if nothing happened.
    let mut ids: Vec<_> = first.items.iter().map(|i| i.external_id.clone()).collect();
    let mut cursor = first.next_cursor;
    loop {
        let page = e
            .connector
            .list_changes(&e.config, Kind::Issue, cursor, 2)
            .await
            .unwrap();
        ids.extend(page.items.iter().map(|i| i.external_id.clone()));
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(ids, ["1", "2", "3", "4"]);
}

#[tokio::test]
async fn milestones_and_labels_list_and_write() {
    let e = env().await;
    let m = e
        .connector
        .create(
            &e.config,
            NewItem {
                kind: Kind::Milestone,
                ..new_issue("v2")
            },
        )
        .await
        .unwrap();
    let closed = e
        .connector
        .close(&e.config, Kind::Milestone, &m.external_id)
        .await
        .unwrap();
    assert_eq!(closed.state, ItemState::Closed);
    assert_eq!(
        e.sim
            .milestone(m.external_id.parse().unwrap())
            .unwrap()
            .state,
        "closed"
    );
    let reopened = e
        .connector
        .reopen(&e.config, Kind::Milestone, &m.external_id)
        .await
        .unwrap();
    assert_eq!(reopened.state, ItemState::Open);
    let listed = e
        .connector
        .list_changes(&e.config, Kind::Milestone, None, 50)
        .await
        .unwrap();
    assert_eq!(
        listed
            .items
            .iter()
            .map(|i| i.title.as_str())
            .collect::<Vec<_>>(),
        ["v2"]
    );

    let l = e
        .connector
        .create(
            &e.config,
            NewItem {
                kind: Kind::Label,
                extras: r##"{"color":"#ff0000"}"##.into(),
                ..new_issue("prio")
            },
        )
        .await
        .unwrap();
    assert_eq!(l.title, "prio");
    let labels = e
        .connector
        .list_changes(&e.config, Kind::Label, None, 50)
        .await
        .unwrap();
    assert_eq!(labels.items.len(), 1);
    let err = connector_error(
        e.connector
            .close(&e.config, Kind::Label, &l.external_id)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Unsupported(_)));
}

#[tokio::test]
async fn epics_need_a_group_and_a_licence() {
    let e = env().await;
    let err = connector_error(
        e.connector
            .list_changes(&e.config, Kind::Project, None, 20)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Unsupported(_)), "{err:?}");

    let free = env_with(GitlabOptions::default(), &[("group_id", "7")]).await;
    let err = connector_error(
        free.connector
            .list_changes(&free.config, Kind::Project, None, 20)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Forbidden(_)), "{err:?}");

    let premium = env_with(
        GitlabOptions {
            premium: true,
            ..Default::default()
        },
        &[("group_id", "7")],
    )
    .await;
    let epic = premium
        .connector
        .create(
            &premium.config,
            NewItem {
                kind: Kind::Project,
                ..new_issue("Roadmap")
            },
        )
        .await
        .unwrap();
    let listed = premium
        .connector
        .list_changes(&premium.config, Kind::Project, None, 20)
        .await
        .unwrap();
    assert_eq!(
        listed
            .items
            .iter()
            .map(|i| i.external_id.clone())
            .collect::<Vec<_>>(),
        [epic.external_id]
    );
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let e = env().await;
    let err = connector_error(
        e.connector
            .get(&e.config, Kind::Issue, "999")
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::NotFound(_)), "{err:?}");
    let err = connector_error(
        e.connector
            .get(&e.config, Kind::Issue, "../users")
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::InvalidInput(_)), "{err:?}");
}

#[tokio::test]
async fn comments_round_trip_without_system_notes() {
    let e = env().await;
    assert_eq!(e.connector.comment_kinds(), [Kind::Issue]);
    let ann = e.sim.add_user("ann");
    let issue = e.sim.create_issue("discussed", IssueEdit::default());
    let iid = issue.iid.to_string();
    e.sim.add_note(issue.iid, ann, "First from **ann**");
    e.sim.update_issue(
        issue.iid,
        IssueEdit {
            description: Some("changed".into()),
            ..Default::default()
        },
    );
    assert!(
        e.sim.notes(issue.iid).iter().any(|n| n.system),
        "GitLab wrote a system note for the edit"
    );
    let listed = e
        .connector
        .list_comments(&e.config, Kind::Issue, &iid)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "system notes are not comments: {listed:?}");
    assert_eq!(
        (listed[0].author.as_str(), listed[0].body.as_str()),
        ("ann", "First from **ann**")
    );

    let before = e.sim.issue(issue.iid).unwrap().updated_at;
    let created = e
        .connector
        .create_comment(&e.config, Kind::Issue, &iid, "From *Elder*")
        .await
        .unwrap();
    assert_eq!(
        (created.author.as_str(), created.body.as_str()),
        ("root", "From *Elder*")
    );
    assert!(
        e.sim.issue(issue.iid).unwrap().updated_at > before,
        "a note bumps the issue"
    );
    let note_body = |id: &str| {
        e.sim
            .notes(issue.iid)
            .into_iter()
            .find(|n| n.id.to_string() == id)
            .map(|n| n.body)
    };
    assert_eq!(
        note_body(&created.external_id).as_deref(),
        Some("From *Elder*")
    );

    let edited = e
        .connector
        .update_comment(&e.config, Kind::Issue, &iid, &created.external_id, "Edited")
        .await
        .unwrap();
    assert_eq!(edited.external_id, created.external_id);
    assert!(edited.updated_at > created.updated_at);
    assert_ne!(edited.version, created.version);
    assert_eq!(note_body(&created.external_id).as_deref(), Some("Edited"));
    let bodies: Vec<String> = e
        .connector
        .list_comments(&e.config, Kind::Issue, &iid)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(bodies, ["First from **ann**", "Edited"], "oldest first");

    for _ in 0..2 {
        e.connector
            .delete_comment(&e.config, Kind::Issue, &iid, &created.external_id)
            .await
            .expect("deleting (again) succeeds");
    }
    assert_eq!(note_body(&created.external_id), None);

    let err = connector_error(
        e.connector
            .list_comments(&e.config, Kind::Issue, "999")
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn a_long_discussion_is_read_across_pages_oldest_first() {
    let e = env().await;
    let issue = e.sim.create_issue("busy", IssueEdit::default());
    for n in 0..105 {
        e.sim.add_note(issue.iid, 1, &format!("note {n}"));
    }
    let requests = e.sim.request_count();
    let listed = e
        .connector
        .list_comments(&e.config, Kind::Issue, &issue.iid.to_string())
        .await
        .unwrap();
    let want: Vec<String> = (0..105).map(|n| format!("note {n}")).collect();
    let got: Vec<String> = listed.into_iter().map(|c| c.body).collect();
    assert_eq!(got, want);
    assert_eq!(
        e.sim.request_count() - requests,
        2,
        "100 notes a page at most"
    );
}

#[tokio::test]
async fn a_note_hook_is_an_update_of_its_issue_without_an_item() {
    let e = env().await;
    e.sim.set_webhook(HookConfig {
        url: None,
        secret_token: Some("s3cret".into()),
        signing_token: None,
    });
    let issue = e.sim.create_issue("hooked", IssueEdit::default());
    let note = e.sim.add_note(issue.iid, 1, "hello");
    e.sim.edit_note(issue.iid, note.id, "hello again");
    e.sim.update_issue(
        issue.iid,
        IssueEdit {
            description: Some("edited".into()),
            ..Default::default()
        },
    );
    e.sim.delete_note(issue.iid, note.id);
    let deliveries = e.sim.deliveries();
    let events: Vec<_> = deliveries
        .iter()
        .map(|d| d.header("X-Gitlab-Event").unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        events,
        ["Issue Hook", "Note Hook", "Note Hook", "Issue Hook"],
        "no hook for system notes or deleted notes"
    );
    for d in &deliveries[1..3] {
        let changes = e
            .connector
            .parse_webhook(&e.config, d.headers.clone(), d.body.clone())
            .await
            .unwrap();
        assert_eq!(changes.len(), 1);
        let c = &changes[0];
        assert_eq!(
            (c.kind, c.external_id.as_str(), c.action, c.item.is_none()),
            (
                Kind::Issue,
                issue.iid.to_string().as_str(),
                ChangeAction::Updated,
                true
            )
        );
        assert!(c.occurred_at > 1_600_000_000_000);
    }
}
