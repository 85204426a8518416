//! End-to-end: the Trello connector compiled to wasm, run in the host runtime, against
//! the Trello simulator (cards, the board, labels, webhooks, rate limits, and card comments,
//! which Trello keeps as `commentCard` actions). Build the component first
//! (`scripts/build-wasm.sh`).

use std::collections::BTreeMap;

use elder_sync_e2e::component_harness::{ComponentEnv, connector_error, connector_settings};
use elder_sync_model::{ChangeAction, ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem};
use elder_sync_runtime::ConnectorSettings;
use platform_simulators::trello::{TrelloOptions, TrelloSim, signature};
use serde_json::json;

type Env = ComponentEnv<TrelloSim>;

fn config_for(sim: &TrelloSim, extra: &[(&str, &str)]) -> ConnectorSettings {
    let (o, base_url) = (sim.options(), sim.base_url());
    let values = [
        ("api_key", o.key.as_str()),
        ("api_token", o.token.as_str()),
        ("board_id", o.board_id.as_str()),
        ("base_url", base_url.as_str()),
    ];
    connector_settings(&values, extra)
}

async fn env_with(options: TrelloOptions, extra: &[(&str, &str)]) -> Env {
    let sim = TrelloSim::start(options).await.unwrap();
    let config = config_for(&sim, extra);
    Env::new(sim, "trello", config)
}

async fn env() -> Env {
    env_with(TrelloOptions::default(), &[]).await
}

/// Pages until `has_more` is false: (items, deleted ids, cursor, pages).
async fn list_all(
    env: &Env,
    kind: Kind,
    cursor: Option<String>,
    page_size: u32,
) -> (Vec<Item>, Vec<String>, Option<String>, usize) {
    let l = env.list_all(kind, cursor, page_size).await;
    (l.items, l.deleted_ids, l.cursor, l.pages)
}

fn new_card(title: &str, labels: &[&str]) -> NewItem {
    NewItem {
        kind: Kind::Issue,
        title: title.into(),
        body: "Steps:\n- one".into(),
        state: ItemState::Open,
        labels: labels.iter().map(|l| l.to_string()).collect(),
        assignees: Vec::new(),
        milestone_ref: None,
        parent_ref: None,
        extras: "{}".into(),
    }
}

#[tokio::test]
async fn describe_and_connection_and_bad_credentials() {
    let env = env().await;
    let info = env.connector.info();
    assert_eq!(info.platform, "trello");
    assert!(
        info.config_schema
            .iter()
            .any(|f| f.key == "api_token" && f.secret)
    );
    let reached = env.connector.test_connection(&env.config).await.unwrap();
    assert!(reached.contains("Elder board"), "{reached}");
    let mut bad = BTreeMap::new();
    for (k, v) in env.config.iter() {
        bad.insert(
            k.to_string(),
            if k == "api_token" {
                "wrong".to_string()
            } else {
                v.to_string()
            },
        );
    }
    let err = connector_error(
        env.connector
            .test_connection(&ConnectorSettings::new(bad))
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(err, ConnectorError::Unauthorized(ref m) if m.contains("invalid token")),
        "{err:?}"
    );
}

#[tokio::test]
async fn backfill_spans_pages_then_the_feed_reports_changes_and_deletions() {
    let env = env().await;
    let done = env.sim.list_id("Done").unwrap();
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(env.sim.create_card(json!({"name": format!("Card {i}")})));
    }
    env.sim.update_card(&ids[1], json!({"idList": done}));
    env.sim.update_card(&ids[2], json!({"closed": true}));

    let (items, deleted, cursor, pages) = list_all(&env, Kind::Issue, None, 3).await;
    assert_eq!(items.len(), 7);
    assert!(pages >= 3, "7 cards in pages of 3 took {pages} page(s)");
    assert!(deleted.is_empty());
    let by_id: BTreeMap<_, _> = items.iter().map(|i| (i.external_id.clone(), i)).collect();
    assert_eq!(by_id[&ids[0]].state, ItemState::Open);
    assert_eq!(by_id[&ids[1]].state, ItemState::Closed);
    assert_eq!(by_id[&ids[1]].status_name.as_deref(), Some("Done"));
    assert_eq!(
        by_id[&ids[2]].state,
        ItemState::Closed,
        "archived cards are closed"
    );

    // Nothing changed: an empty page.
    let (again, _, cursor, _) = list_all(&env, Kind::Issue, cursor, 3).await;
    assert!(again.is_empty(), "unchanged board reported {again:?}");

    env.sim.update_card(&ids[3], json!({"name": "Renamed"}));
    env.sim.update_card(&ids[4], json!({"idList": done}));
    env.sim.delete_card(&ids[5]);
    let fresh = env.sim.create_card(json!({"name": "New one"}));
    let (changed, deleted, _, _) = list_all(&env, Kind::Issue, cursor, 2).await;
    let changed: BTreeMap<_, _> = changed.iter().map(|i| (i.external_id.clone(), i)).collect();
    assert_eq!(changed.len(), 3, "{changed:?}");
    assert_eq!(changed[&ids[3]].title, "Renamed");
    assert_eq!(changed[&ids[4]].state, ItemState::Closed);
    assert!(changed.contains_key(&fresh));
    assert_eq!(deleted, vec![ids[5].clone()]);
}

#[tokio::test]
async fn create_update_close_reopen_and_delete_round_trip() {
    let env = env().await;
    let created = env
        .connector
        .create(&env.config, new_card("From Elder", &["bug"]))
        .await
        .unwrap();
    assert_eq!(
        created.labels,
        vec!["bug"],
        "a missing label is created on the board"
    );
    assert_eq!(created.status_name.as_deref(), Some("To Do"));
    let id = created.external_id.clone();

    let patch = ItemPatch {
        title: Some("Renamed in Elder".into()),
        body: Some("new body".into()),
        labels: Some(vec![]),
        ..Default::default()
    };
    let updated = env
        .connector
        .update(&env.config, Kind::Issue, &id, patch)
        .await
        .unwrap();
    assert_eq!(
        (updated.title.as_str(), updated.body.as_str()),
        ("Renamed in Elder", "new body")
    );
    assert!(updated.labels.is_empty());
    assert_eq!(env.sim.card(&id).unwrap()["name"], "Renamed in Elder");

    let closed = env
        .connector
        .close(&env.config, Kind::Issue, &id)
        .await
        .unwrap();
    assert_eq!(closed.state, ItemState::Closed);
    assert_eq!(
        env.sim.card(&id).unwrap()["idList"],
        json!(env.sim.list_id("Done").unwrap()),
        "closing moves to the done list"
    );
    assert_eq!(env.sim.card(&id).unwrap()["closed"], false);

    let reopened = env
        .connector
        .reopen(&env.config, Kind::Issue, &id)
        .await
        .unwrap();
    assert_eq!(reopened.state, ItemState::Open);
    assert_eq!(reopened.status_name.as_deref(), Some("To Do"));

    let moved = env
        .connector
        .update(
            &env.config,
            Kind::Issue,
            &id,
            ItemPatch {
                status_name: Some("Doing".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (moved.state, moved.status_name.as_deref()),
        (ItemState::Open, Some("Doing"))
    );

    env.connector
        .delete(&env.config, Kind::Issue, &id)
        .await
        .unwrap();
    let err = connector_error(
        env.connector
            .get(&env.config, Kind::Issue, &id)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn archive_mode_archives_and_reopen_unarchives() {
    let env = env_with(TrelloOptions::default(), &[("close_mode", "archive")]).await;
    let id = env
        .connector
        .create(&env.config, new_card("Archive me", &[]))
        .await
        .unwrap()
        .external_id;
    let closed = env
        .connector
        .close(&env.config, Kind::Issue, &id)
        .await
        .unwrap();
    assert_eq!(closed.state, ItemState::Closed);
    assert_eq!(env.sim.card(&id).unwrap()["closed"], true);
    assert_eq!(
        env.connector
            .reopen(&env.config, Kind::Issue, &id)
            .await
            .unwrap()
            .state,
        ItemState::Open
    );
    assert_eq!(env.sim.card(&id).unwrap()["closed"], false);
}

#[tokio::test]
async fn webhook_deliveries_parse_to_each_event_type_and_are_signed_over_body_and_url() {
    let env = env().await;
    let callback = "http://127.0.0.1:9/hooks/trello";
    env.sim.register_webhook(callback);
    let label = env.sim.create_label("urgent", "red");
    let card = env.sim.create_card(json!({"name": "Hooked"}));
    env.sim.update_card(&card, json!({"name": "Hooked again"}));
    env.sim.add_label_to_card(&card, &label);
    env.sim.remove_label_from_card(&card, &label);
    env.sim
        .update_card(&card, json!({"idList": env.sim.list_id("Done").unwrap()}));
    env.sim
        .update_card(&card, json!({"idList": env.sim.list_id("To Do").unwrap()}));
    env.sim.update_card(&card, json!({"closed": true}));
    env.sim.update_card(&card, json!({"closed": false}));
    env.sim.delete_card(&card);

    let mut seen = Vec::new();
    let secret = env.sim.options().app_secret;
    for d in env.sim.deliveries() {
        let sig = d.header("X-Trello-Webhook").unwrap().to_string();
        assert_eq!(sig, signature(&secret, &d.body, callback));
        let mut tampered = d.body.clone();
        tampered.push(b' ');
        assert_ne!(
            sig,
            signature(&secret, &tampered, callback),
            "a changed body must not verify"
        );
        assert_ne!(
            sig,
            signature(&secret, &d.body, "http://127.0.0.1:9/other"),
            "another callback URL must not verify"
        );
        let changes = env
            .connector
            .parse_webhook(&env.config, d.headers.clone(), d.body.clone())
            .await
            .unwrap();
        seen.extend(changes.into_iter().map(|c| (c.kind, c.action)));
    }
    use ChangeAction::*;
    assert_eq!(
        seen,
        vec![
            (Kind::Label, Created),
            (Kind::Issue, Created),
            (Kind::Issue, Updated),
            (Kind::Issue, Updated),
            (Kind::Issue, Updated),
            (Kind::Issue, Closed),
            (Kind::Issue, Reopened),
            (Kind::Issue, Closed),
            (Kind::Issue, Reopened),
            (Kind::Issue, Deleted),
        ]
    );
    let err = connector_error(
        env.connector
            .parse_webhook(&env.config, Vec::new(), b"not json".to_vec())
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::InvalidInput(_)));
}

#[tokio::test]
async fn rate_limits_surface_as_rate_limited_with_trellos_wait() {
    let env = env().await;
    env.sim.rate_limit_next(1);
    let err = connector_error(
        env.connector
            .list_changes(&env.config, Kind::Issue, None, 10)
            .await
            .unwrap_err(),
    );
    match err {
        ConnectorError::RateLimited(r) => {
            assert_eq!(r.retry_after_ms, 10_000);
            assert!(
                r.message.contains("API_TOKEN_LIMIT_EXCEEDED"),
                "{}",
                r.message
            );
        }
        other => panic!("expected rate-limited, got {other:?}"),
    }

    let tight = env_with(
        TrelloOptions {
            token_limit: 3,
            ..Default::default()
        },
        &[],
    )
    .await;
    let mut limited = None;
    for _ in 0..5 {
        if let Err(e) = tight
            .connector
            .get(&tight.config, Kind::Project, &tight.sim.options().board_id)
            .await
        {
            limited = Some(connector_error(e));
            break;
        }
    }
    assert!(
        matches!(limited, Some(ConnectorError::RateLimited(ref r)) if r.message.contains("API_TOKEN_LIMIT_EXCEEDED")),
        "{limited:?}"
    );
}

#[tokio::test]
async fn labels_and_the_board_sync_too() {
    let env = env().await;
    let bug = env.sim.create_label("bug", "red");
    let (labels, _, cursor, _) = list_all(&env, Kind::Label, None, 50).await;
    assert_eq!(
        labels.iter().map(|l| l.title.as_str()).collect::<Vec<_>>(),
        vec!["bug"]
    );
    let renamed = env
        .connector
        .update(
            &env.config,
            Kind::Label,
            &bug,
            ItemPatch {
                title: Some("defect".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.title, "defect");
    env.connector
        .delete(&env.config, Kind::Label, &bug)
        .await
        .unwrap();
    let (changed, deleted, _, _) = list_all(&env, Kind::Label, cursor, 50).await;
    assert!(changed.is_empty(), "{changed:?}");
    assert_eq!(deleted, vec![bug]);

    let board = env
        .connector
        .get(&env.config, Kind::Project, &env.sim.options().board_id)
        .await
        .unwrap();
    assert_eq!(board.title, "Elder board");
    let err = connector_error(
        env.connector
            .list_changes(&env.config, Kind::Milestone, None, 10)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Unsupported(_)));
}

#[tokio::test]
async fn comments_round_trip_as_comment_actions() {
    let env = env().await;
    assert_eq!(env.connector.comment_kinds(), [Kind::Issue]);
    let card = env.sim.create_card(json!({"name": "Discussed"}));
    let ann = env.sim.add_member("ann", "Ann Lee");
    env.sim.add_comment(&card, &ann, "First *note*");
    let listed = env
        .connector
        .list_comments(&env.config, Kind::Issue, &card)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].author.as_str(),
            listed[0].author_name.as_deref(),
            listed[0].body.as_str()
        ),
        ("ann", Some("Ann Lee"), "First *note*")
    );

    let activity = |env: &Env| env.sim.card(&card).unwrap()["dateLastActivity"].clone();
    let before = activity(&env);
    let created = env
        .connector
        .create_comment(&env.config, Kind::Issue, &card, "From **Elder**")
        .await
        .unwrap();
    assert_eq!(created.author, env.sim.options().username);
    assert_ne!(activity(&env), before, "a comment is card activity");
    let edited = env
        .connector
        .update_comment(
            &env.config,
            Kind::Issue,
            &card,
            &created.external_id,
            "Edited",
        )
        .await
        .unwrap();
    assert_eq!(edited.external_id, created.external_id);
    assert!(edited.updated_at >= edited.created_at);
    assert_ne!(
        edited.version, created.version,
        "dateLastEdited is the new version"
    );
    let texts: Vec<String> = env
        .sim
        .comments(&card)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(texts, ["First *note*", "Edited"]);
    let bodies: Vec<String> = env
        .connector
        .list_comments(&env.config, Kind::Issue, &card)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(bodies, ["First *note*", "Edited"], "oldest first");

    for _ in 0..2 {
        env.connector
            .delete_comment(&env.config, Kind::Issue, &card, &created.external_id)
            .await
            .expect("deleting (again) succeeds");
    }
    assert_eq!(env.sim.comments(&card).len(), 1);
    let err = connector_error(
        env.connector
            .list_comments(&env.config, Kind::Issue, "5f1e2d3c4b5a69788796a5ff")
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn more_than_a_thousand_comments_are_paged_with_before() {
    let env = env().await;
    let card = env.sim.create_card(json!({"name": "Busy"}));
    let me = env.sim.options().member_id;
    for n in 0..1005 {
        env.sim.add_comment(&card, &me, &format!("comment {n}"));
    }
    let requests = env.sim.request_count();
    let got: Vec<String> = env
        .connector
        .list_comments(&env.config, Kind::Issue, &card)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    let want: Vec<String> = (0..1005).map(|n| format!("comment {n}")).collect();
    assert_eq!(got, want);
    assert_eq!(
        env.sim.request_count() - requests,
        2,
        "1,000 actions a page"
    );

    env.sim.rate_limit_next(1);
    let err = connector_error(
        env.connector
            .list_comments(&env.config, Kind::Issue, &card)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::RateLimited(_)), "{err:?}");
}

#[tokio::test]
async fn comments_show_the_card_as_changed_in_polls_and_webhooks() {
    let env = env().await;
    let callback = "http://127.0.0.1:9/hooks/trello";
    let card = env.sim.create_card(json!({"name": "Watched"}));
    let (_, _, cursor, _) = list_all(&env, Kind::Issue, None, 50).await;
    env.sim.register_webhook(callback);
    let me = env.sim.options().member_id;
    let comment = env.sim.add_comment(&card, &me, "hello");
    env.sim.edit_comment(&card, &comment, "hello again");
    env.sim.delete_comment(&card, &comment);

    let (items, deleted, _, _) = list_all(&env, Kind::Issue, cursor, 50).await;
    let ids: Vec<_> = items.iter().map(|i| i.external_id.clone()).collect();
    assert_eq!(ids, [card.as_str()], "the commented card is reported once");
    assert!(
        deleted.is_empty(),
        "a deleted comment is not a deleted card"
    );

    let mut seen = Vec::new();
    for d in env.sim.deliveries() {
        let kind = d.json()["action"]["type"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let changes = env
            .connector
            .parse_webhook(&env.config, d.headers.clone(), d.body.clone())
            .await
            .unwrap();
        assert_eq!(changes.len(), 1, "{kind}");
        let c = &changes[0];
        assert_eq!(
            (c.kind, c.external_id.as_str(), c.action, c.item.is_none()),
            (Kind::Issue, card.as_str(), ChangeAction::Updated, true)
        );
        seen.push(kind);
    }
    assert_eq!(seen, ["commentCard", "updateComment", "deleteComment"]);
}
