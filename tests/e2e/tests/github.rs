//! End-to-end: the GitHub connector compiled to wasm, run in the host runtime,
//! against the GitHub simulator. Build the component first (`scripts/build-wasm.sh`).

use std::collections::{BTreeMap, BTreeSet};

use elder_sync_e2e::component_harness::{ComponentEnv, connector_error, connector_settings};
use elder_sync_model::{
    ChangeAction, ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem, RateLimit,
};
use elder_sync_runtime::ConnectorSettings;
use platform_simulators::github::{
    GithubOptions, GithubSim, HookConfig, IssueEdit, MilestoneEdit, RateLimitKind, SeedIssue,
};

type Env = ComponentEnv<GithubSim>;

fn config_for(sim: &GithubSim, token: &str) -> ConnectorSettings {
    let base_url = sim.base_url();
    let values = [
        ("api_token", token),
        ("owner", "octocat"),
        ("repo", "Hello-World"),
        ("base_url", base_url.as_str()),
    ];
    connector_settings(&values, &[])
}

async fn env() -> Env {
    let sim = GithubSim::start(GithubOptions::default()).await.unwrap();
    let config = config_for(&sim, &sim.token());
    Env::new(sim, "github", config)
}

async fn list_all(
    env: &Env,
    kind: Kind,
    cursor: Option<String>,
    page_size: u32,
) -> (Vec<Item>, Option<String>, usize) {
    let listing = env.list_all(kind, cursor, page_size).await;
    (listing.items, listing.cursor, listing.pages)
}

#[tokio::test]
async fn lists_250_issues_across_pages_skipping_pull_requests_and_resumes() {
    let env = env().await;
    let base = 1_700_000_000;
    let mut issues = BTreeSet::new();
    let mut prs = BTreeSet::new();
    for i in 0..280 {
        let pr = i % 9 == 4 && prs.len() < 30;
        let n = env.sim.seed_issue(SeedIssue {
            title: format!("item {i}"),
            pull_request: pr,
            updated_at: Some(base + i / 2),
            ..Default::default()
        });
        if pr {
            prs.insert(n)
        } else {
            issues.insert(n)
        };
    }
    assert_eq!((issues.len(), prs.len()), (250, 30));
    let (items, cursor, pages) = list_all(&env, Kind::Issue, None, 100).await;
    let seen: BTreeSet<u64> = items
        .iter()
        .map(|i| i.external_id.parse().unwrap())
        .collect();
    assert_eq!(seen, issues, "every issue listed, no pull request");
    assert!(pages >= 3, "{pages} pages");
    assert!(
        items
            .iter()
            .all(|i| i.kind == Kind::Issue && i.url.is_some())
    );

    // Nothing changed: resuming from the saved cursor does not restart from zero.
    let (again, cursor, _) = list_all(&env, Kind::Issue, cursor, 100).await;
    assert!(again.len() <= 2, "re-listed {} issues", again.len());

    // A change on GitHub shows up from the saved cursor.
    env.sim.advance_clock(5);
    let target = *issues.iter().nth(10).unwrap();
    env.sim
        .user_edit_issue(
            target,
            IssueEdit {
                title: Some("edited on GitHub".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let (changed, _, _) = list_all(&env, Kind::Issue, cursor, 100).await;
    let edited = changed
        .iter()
        .find(|i| i.external_id == target.to_string())
        .expect("edited issue listed");
    assert_eq!(edited.title, "edited on GitHub");
    assert!(changed.len() <= 3);
}

#[tokio::test]
async fn create_update_close_reopen_round_trip() {
    let env = env().await;
    let c = &env.connector;
    let milestone = c
        .create(
            &env.config,
            NewItem {
                kind: Kind::Milestone,
                title: "v1.0".into(),
                body: "first release".into(),
                state: ItemState::Open,
                labels: vec![],
                assignees: vec![],
                milestone_ref: None,
                parent_ref: None,
                extras: "{}".into(),
            },
        )
        .await
        .unwrap();
    let created = c
        .create(
            &env.config,
            NewItem {
                kind: Kind::Issue,
                title: "Crash on save".into(),
                body: "Steps: **save**".into(),
                state: ItemState::Open,
                labels: vec!["bug".into()],
                assignees: vec!["octocat".into()],
                milestone_ref: Some(milestone.external_id.clone()),
                parent_ref: None,
                extras: "{}".into(),
            },
        )
        .await
        .unwrap();
    let n: u64 = created.external_id.parse().unwrap();
    let stored = env.sim.issue(n).unwrap();
    assert_eq!(stored.title, "Crash on save");
    assert_eq!(stored.labels, vec!["bug".to_string()]);
    assert_eq!(
        stored.milestone,
        Some(milestone.external_id.parse().unwrap())
    );

    let updated = c
        .update(
            &env.config,
            Kind::Issue,
            &created.external_id,
            ItemPatch {
                title: Some("Crash on save (Windows)".into()),
                labels: Some(vec!["bug".into(), "windows".into()]),
                assignees: Some(vec![]),
                milestone_ref: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        updated.labels,
        vec!["bug".to_string(), "windows".to_string()]
    );
    let stored = env.sim.issue(n).unwrap();
    assert_eq!(stored.title, "Crash on save (Windows)");
    assert!(stored.assignees.is_empty() && stored.milestone.is_none());

    let closed = c
        .close(&env.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    assert_eq!(closed.state, ItemState::Closed);
    let stored = env.sim.issue(n).unwrap();
    assert_eq!(
        (stored.state.as_str(), stored.state_reason.as_deref()),
        ("closed", Some("completed"))
    );

    let reopened = c
        .reopen(&env.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    assert_eq!(reopened.state, ItemState::Open);
    assert_eq!(
        env.sim.issue(n).unwrap().state_reason.as_deref(),
        Some("reopened")
    );

    let got = c
        .get(&env.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    assert_eq!(got.title, "Crash on save (Windows)");

    // A stale expected version is a conflict, not a silent overwrite.
    env.sim.advance_clock(3);
    env.sim
        .user_edit_issue(
            n,
            IssueEdit {
                body: Some(Some("changed on GitHub".into())),
                ..Default::default()
            },
        )
        .unwrap();
    let stale = c
        .update(
            &env.config,
            Kind::Issue,
            &created.external_id,
            ItemPatch {
                title: Some("mine".into()),
                expected_version: got.version.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        connector_error(stale),
        ConnectorError::Conflict(_)
    ));

    let err = c
        .delete(&env.config, Kind::Issue, &created.external_id)
        .await
        .unwrap_err();
    assert!(matches!(
        connector_error(err),
        ConnectorError::Unsupported(_)
    ));
    c.delete(&env.config, Kind::Label, "windows").await.unwrap();
    assert!(env.sim.label("windows").is_none());
    c.delete(&env.config, Kind::Milestone, &milestone.external_id)
        .await
        .unwrap();
    let err = c
        .get(&env.config, Kind::Milestone, &milestone.external_id)
        .await
        .unwrap_err();
    assert!(matches!(connector_error(err), ConnectorError::NotFound(_)));
}

#[tokio::test]
async fn lists_milestones_and_labels() {
    let env = env().await;
    for i in 0..5 {
        env.sim.seed_milestone(&format!("m{i}"));
        env.sim.advance_clock(1);
    }
    for i in 0..7 {
        env.sim.seed_label(&format!("l{i}"), "00ff00", None);
    }
    let (ms, cursor, pages) = list_all(&env, Kind::Milestone, None, 2).await;
    assert_eq!((ms.len(), pages), (5, 3));
    let (again, _, _) = list_all(&env, Kind::Milestone, cursor.clone(), 2).await;
    assert!(
        again.len() <= 1,
        "unchanged milestones are not re-sent (only the newest second repeats): {}",
        again.len()
    );
    env.sim.advance_clock(10);
    env.sim
        .user_edit_milestone(
            1,
            MilestoneEdit {
                state: Some("closed".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let (changed, _, _) = list_all(&env, Kind::Milestone, cursor, 2).await;
    let m1 = changed
        .iter()
        .find(|m| m.external_id == "1")
        .expect("closed milestone listed");
    assert_eq!(m1.state, ItemState::Closed);

    let (labels, _, _) = list_all(&env, Kind::Label, None, 3).await;
    assert_eq!(labels.len(), 7);
    assert!(
        labels
            .iter()
            .all(|l| l.version.as_deref().is_some_and(|v| v.starts_with("fp-")))
    );
}

#[tokio::test]
async fn rate_limits_become_rate_limited_with_the_right_delay() {
    let env = env().await;
    let cases = [
        (
            RateLimitKind::Primary { reset_in_secs: 120 },
            120_000u64,
            2_000u64,
        ),
        (
            RateLimitKind::Secondary {
                retry_after_secs: Some(30),
            },
            30_000,
            0,
        ),
        (
            RateLimitKind::Secondary {
                retry_after_secs: None,
            },
            60_000,
            0,
        ),
        (
            RateLimitKind::TooManyRequests {
                retry_after_secs: Some(7),
            },
            7_000,
            0,
        ),
    ];
    for (kind, expected, slack) in cases {
        env.sim.rate_limit_next(1, kind);
        let err = env
            .connector
            .list_changes(&env.config, Kind::Issue, None, 50)
            .await
            .unwrap_err();
        match connector_error(err) {
            ConnectorError::RateLimited(RateLimit { retry_after_ms, .. }) => assert!(
                retry_after_ms.abs_diff(expected) <= slack,
                "{kind:?}: waited {retry_after_ms} ms, expected {expected}"
            ),
            other => panic!("{kind:?}: {other:?}"),
        }
    }
    // After the limit, the same call works.
    env.connector
        .list_changes(&env.config, Kind::Issue, None, 50)
        .await
        .unwrap();
}

#[tokio::test]
async fn webhook_deliveries_become_the_right_changes() {
    let env = env().await;
    env.sim.set_webhook(HookConfig {
        url: None,
        secret: "hook-secret".into(),
        hook_id: 1,
    });
    let m = env.sim.seed_milestone("v2");
    let n = env
        .sim
        .user_open_issue("from GitHub", IssueEdit::default())
        .unwrap();
    let edits = [
        IssueEdit {
            title: Some("renamed".into()),
            ..Default::default()
        },
        IssueEdit {
            labels: Some(vec!["bug".into()]),
            ..Default::default()
        },
        IssueEdit {
            labels: Some(vec![]),
            ..Default::default()
        },
        IssueEdit {
            assignees: Some(vec!["hubot".into()]),
            ..Default::default()
        },
        IssueEdit {
            assignees: Some(vec![]),
            ..Default::default()
        },
        IssueEdit {
            milestone: Some(Some(m)),
            ..Default::default()
        },
        IssueEdit {
            milestone: Some(None),
            ..Default::default()
        },
        IssueEdit {
            state: Some("closed".into()),
            ..Default::default()
        },
        IssueEdit {
            state: Some("open".into()),
            ..Default::default()
        },
    ];
    for e in edits {
        env.sim.user_edit_issue(n, e).unwrap();
    }
    let expected = [
        ("opened", ChangeAction::Created),
        ("edited", ChangeAction::Updated),
        ("labeled", ChangeAction::Updated),
        ("unlabeled", ChangeAction::Updated),
        ("assigned", ChangeAction::Updated),
        ("unassigned", ChangeAction::Updated),
        ("milestoned", ChangeAction::Updated),
        ("demilestoned", ChangeAction::Updated),
        ("closed", ChangeAction::Closed),
        ("reopened", ChangeAction::Reopened),
    ];
    let deliveries = env.sim.deliveries();
    assert_eq!(deliveries.len(), expected.len());
    for (d, (action, change)) in deliveries.iter().zip(expected) {
        assert_eq!(d.action, action);
        let changes = env
            .connector
            .parse_webhook(&env.config, d.headers.clone(), d.body.clone())
            .await
            .unwrap();
        assert_eq!(changes.len(), 1, "{action}");
        assert_eq!(
            (changes[0].kind, changes[0].action),
            (Kind::Issue, change),
            "{action}"
        );
        assert_eq!(changes[0].external_id, n.to_string());
        assert!(changes[0].item.is_some());
    }
    let last = env
        .connector
        .parse_webhook(
            &env.config,
            deliveries[9].headers.clone(),
            deliveries[9].body.clone(),
        )
        .await
        .unwrap();
    assert_eq!(last[0].item.as_ref().unwrap().title, "renamed");

    let ping = env.sim.build_delivery("hook-secret", "ping", "", "");
    assert!(
        env.connector
            .parse_webhook(&env.config, ping.headers, ping.body)
            .await
            .unwrap()
            .is_empty()
    );
    let closed_ms = env
        .sim
        .build_delivery("hook-secret", "milestone", "closed", &m.to_string());
    let c = env
        .connector
        .parse_webhook(&env.config, closed_ms.headers, closed_ms.body)
        .await
        .unwrap();
    assert_eq!(
        (c[0].kind, c[0].action),
        (Kind::Milestone, ChangeAction::Closed)
    );
    let err = env
        .connector
        .parse_webhook(
            &env.config,
            vec![("X-GitHub-Event".into(), "issues".into())],
            b"{oops".to_vec(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        connector_error(err),
        ConnectorError::InvalidInput(_)
    ));
}

#[tokio::test]
async fn the_host_adds_the_token_and_the_connector_never_holds_it() {
    let env = env().await;
    let desc = env.connector.test_connection(&env.config).await.unwrap();
    assert!(desc.contains("octocat/Hello-World"), "{desc}");
    let info = env.connector.info();
    assert!(
        info.config_schema
            .iter()
            .any(|f| f.key == "api_token" && f.secret)
    );
    let reqs = env.sim.requests();
    let last = reqs.last().unwrap();
    assert_eq!(
        last.authorization.as_deref(),
        Some(format!("Bearer {}", env.sim.token()).as_str())
    );
    let header = |name: &str| {
        last.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header("accept").as_deref(),
        Some("application/vnd.github+json")
    );
    assert_eq!(
        header("x-github-api-version").as_deref(),
        Some("2022-11-28")
    );
    // Nothing the connector returns carries the token.
    env.sim.seed_issue(SeedIssue {
        title: "x".into(),
        ..Default::default()
    });
    let page = env
        .connector
        .list_changes(&env.config, Kind::Issue, None, 10)
        .await
        .unwrap();
    let dump = format!("{page:?}");
    assert!(!dump.contains(&env.sim.token()));
    // A wrong token is the platform's 401, mapped to unauthorized.
    let bad = config_for(&env.sim, "ghp_wrong");
    let err = env.connector.test_connection(&bad).await.unwrap_err();
    assert!(
        matches!(connector_error(err), ConnectorError::Unauthorized(m) if m.contains("Bad credentials"))
    );
}

#[tokio::test]
async fn bad_configs_are_named() {
    let env = env().await;
    let mut values = BTreeMap::new();
    values.insert("api_token".to_string(), "t".to_string());
    values.insert("owner".to_string(), "octocat".to_string());
    let err = env
        .connector
        .validate_config(&ConnectorSettings::new(values))
        .await
        .unwrap_err();
    assert!(matches!(connector_error(err), ConnectorError::InvalidConfig(m) if m.contains("repo")));
}

#[tokio::test]
async fn comments_round_trip_list_create_edit_delete() {
    let env = env().await;
    assert_eq!(env.connector.comment_kinds(), [Kind::Issue]);
    let n = env.sim.seed_issue(SeedIssue {
        title: "discuss".into(),
        ..Default::default()
    });
    let theirs = env
        .sim
        .user_comment(n, "hubot", "first, from GitHub")
        .unwrap();
    let (conn, cfg, item) = (&env.connector, &env.config, n.to_string());

    let listed = conn.list_comments(cfg, Kind::Issue, &item).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].external_id.clone(),
            listed[0].author.as_str(),
            listed[0].body.as_str()
        ),
        (theirs.to_string(), "hubot", "first, from GitHub")
    );
    assert_eq!(listed[0].created_at, listed[0].updated_at);

    env.sim.advance_clock(5);
    let ours = conn
        .create_comment(cfg, Kind::Issue, &item, "second, from **Elder**")
        .await
        .unwrap();
    // The token's user wrote it; the issue moved (its listing sees the comment).
    assert_eq!(ours.author, "octocat");
    assert_eq!(env.sim.issue(n).unwrap().updated_at, env.sim.now());
    let stored = env.sim.comments(n);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1].body, "second, from **Elder**");
    assert_eq!(stored[1].id.to_string(), ours.external_id);

    env.sim.advance_clock(5);
    let edited = conn
        .update_comment(cfg, Kind::Issue, &item, &ours.external_id, "second, edited")
        .await
        .unwrap();
    assert_eq!(env.sim.comments(n)[1].body, "second, edited");
    assert!(edited.updated_at > ours.updated_at);
    assert_ne!(edited.version, ours.version);
    assert_eq!(edited.created_at, ours.created_at);

    conn.delete_comment(cfg, Kind::Issue, &item, &ours.external_id)
        .await
        .unwrap();
    assert_eq!(env.sim.comments(n).len(), 1);
    // Already gone: not an error.
    conn.delete_comment(cfg, Kind::Issue, &item, &ours.external_id)
        .await
        .unwrap();
    let listed = conn.list_comments(cfg, Kind::Issue, &item).await.unwrap();
    assert_eq!(listed.len(), 1);

    let missing = conn
        .list_comments(cfg, Kind::Issue, "999")
        .await
        .unwrap_err();
    assert!(matches!(
        connector_error(missing),
        ConnectorError::NotFound(_)
    ));
    let gone = conn
        .update_comment(cfg, Kind::Issue, &item, &ours.external_id, "x")
        .await
        .unwrap_err();
    assert!(matches!(connector_error(gone), ConnectorError::NotFound(_)));
    let labels = conn
        .list_comments(cfg, Kind::Label, "bug")
        .await
        .unwrap_err();
    assert!(matches!(
        connector_error(labels),
        ConnectorError::Unsupported(_)
    ));
}

#[tokio::test]
async fn lists_more_than_100_comments_across_pages_in_order() {
    let env = env().await;
    let n = env.sim.seed_issue(SeedIssue {
        title: "busy".into(),
        ..Default::default()
    });
    for i in 0..230 {
        env.sim
            .user_comment(n, "hubot", &format!("comment {i}"))
            .unwrap();
    }
    let before = env.sim.request_count();
    let listed = env
        .connector
        .list_comments(&env.config, Kind::Issue, &n.to_string())
        .await
        .unwrap();
    let bodies: Vec<String> = listed.iter().map(|c| c.body.clone()).collect();
    let expected: Vec<String> = (0..230).map(|i| format!("comment {i}")).collect();
    assert_eq!(bodies, expected);
    let pages: Vec<String> = env.sim.requests()[before..]
        .iter()
        .map(|r| r.uri.clone())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(
        pages.iter().all(|u| u.contains("per_page=100")),
        "{pages:?}"
    );
}

#[tokio::test]
async fn comment_webhooks_are_updates_of_the_issue_but_not_of_pull_requests() {
    let env = env().await;
    env.sim.set_webhook(HookConfig {
        url: None,
        secret: "hook-secret".into(),
        hook_id: 1,
    });
    let issue = env.sim.seed_issue(SeedIssue {
        title: "issue".into(),
        ..Default::default()
    });
    let pr = env.sim.seed_issue(SeedIssue {
        title: "pull request".into(),
        pull_request: true,
        ..Default::default()
    });
    let c = env.sim.user_comment(issue, "hubot", "hello").unwrap();
    env.sim.user_edit_comment(c, "hello again").unwrap();
    env.sim.user_delete_comment(c).unwrap();
    env.sim.user_comment(pr, "hubot", "on the diff").unwrap();

    let deliveries = env.sim.deliveries();
    let actions: Vec<&str> = deliveries.iter().map(|d| d.action.as_str()).collect();
    assert_eq!(actions, ["created", "edited", "deleted", "created"]);
    for (i, d) in deliveries.iter().enumerate() {
        let changes = env
            .connector
            .parse_webhook(&env.config, d.headers.clone(), d.body.clone())
            .await
            .unwrap();
        if i == 3 {
            assert!(changes.is_empty(), "pull request comments are not synced");
            continue;
        }
        assert_eq!(changes.len(), 1, "{}", d.action);
        let ch = &changes[0];
        assert_eq!(
            (ch.kind, ch.action, ch.external_id.clone()),
            (Kind::Issue, ChangeAction::Updated, issue.to_string())
        );
        assert!(ch.item.is_none(), "the host re-reads the issue");
    }
}

#[tokio::test]
async fn a_1_0_component_is_not_asked_for_comments() {
    let runtime = elder_sync_runtime::Runtime::new(Default::default()).unwrap();
    let frozen = runtime
        .load(&elder_sync_e2e::test_guest_component("frozen-v1-0"))
        .unwrap();
    assert!(frozen.comment_kinds().is_empty());
    let cfg = connector_settings(&[("project", "ACME")], &[]);
    let err = frozen
        .list_comments(&cfg, Kind::Issue, "1")
        .await
        .unwrap_err();
    assert_eq!(
        connector_error(err),
        ConnectorError::Unsupported("list-comments for issue".into())
    );
    let err = frozen
        .create_comment(&cfg, Kind::Issue, "1", "hi")
        .await
        .unwrap_err();
    assert!(matches!(
        connector_error(err),
        ConnectorError::Unsupported(_)
    ));
}
