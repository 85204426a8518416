//! End-to-end: the OpenProject connector compiled to wasm, run in the host runtime,
//! against the OpenProject simulator (work packages, versions, categories, webhooks, and
//! comments, which OpenProject keeps as activities). Build the component first
//! (`scripts/build-wasm.sh`).

use std::collections::BTreeMap;

use elder_sync_e2e::component_harness::{ComponentEnv, connector_error, connector_settings};
use elder_sync_model::{ChangeAction, ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem};
use elder_sync_runtime::ConnectorSettings;
use platform_simulators::openproject::{OpenProjectOptions, OpenProjectSim, signature};
use serde_json::json;

type Env = ComponentEnv<OpenProjectSim>;

fn config_for(sim: &OpenProjectSim, key: &str) -> ConnectorSettings {
    let base_url = sim.base_url();
    let values = [
        ("api_key", key),
        ("base_url", base_url.as_str()),
        ("project_id", "elder"),
    ];
    connector_settings(&values, &[])
}

async fn env() -> Env {
    let options = OpenProjectOptions::default();
    let key = options.api_key.clone();
    let sim = OpenProjectSim::start(options).await.unwrap();
    let config = config_for(&sim, &key);
    Env::new(sim, "openproject", config)
}

async fn list_all(
    env: &Env,
    kind: Kind,
    cursor: Option<String>,
    page_size: u32,
) -> (Vec<Item>, Option<String>, usize) {
    let listing = env.list_all(kind, cursor, page_size).await;
    assert!(
        listing.deleted_ids.is_empty(),
        "OpenProject polling never infers deletions"
    );
    (listing.items, listing.cursor, listing.pages)
}

fn closed_link() -> serde_json::Value {
    json!({"_links": {"status": {"href": "/api/v3/statuses/12"}}})
}

#[tokio::test]
async fn backfill_spans_pages_and_includes_closed_work_packages() {
    let env = env().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(env.sim.create_work_package(
            json!({"subject": format!("WP {i}"), "description": {"raw": "text"}}),
        ));
    }
    env.sim.update_work_package(ids[0], closed_link());
    env.sim.update_work_package(ids[3], closed_link());

    let (items, cursor, pages) = list_all(&env, Kind::Issue, None, 3).await;
    let by_id: BTreeMap<_, _> = items.iter().map(|i| (i.external_id.clone(), i)).collect();
    assert_eq!(by_id.len(), 7, "every work package, closed ones included");
    assert!(
        pages >= 3,
        "7 work packages in pages of 3 took {pages} page(s)"
    );
    assert_eq!(by_id[&ids[0].to_string()].state, ItemState::Closed);
    assert_eq!(
        by_id[&ids[0].to_string()].status_name.as_deref(),
        Some("Closed")
    );
    assert_eq!(by_id[&ids[1].to_string()].state, ItemState::Open);
    assert_eq!(by_id[&ids[1].to_string()].body, "text");

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    env.sim
        .update_work_package(ids[5], json!({"subject": "Changed upstream"}));
    let (changed, cursor, _) = list_all(&env, Kind::Issue, cursor, 3).await;
    let changed: BTreeMap<_, _> = changed.iter().map(|i| (i.external_id.clone(), i)).collect();
    assert_eq!(changed[&ids[5].to_string()].title, "Changed upstream");

    // The updatedAt bound is inclusive (second precision), so the next poll re-delivers
    // only what changed in the cursor's own second: the older work packages are filtered out.
    let (again, _, _) = list_all(&env, Kind::Issue, cursor, 3).await;
    assert!(
        again.iter().all(|i| i.external_id == ids[5].to_string()),
        "the updatedAt filter did not narrow the poll: {again:?}"
    );
}

#[tokio::test]
async fn writes_round_trip_with_lock_versions_statuses_categories_and_versions() {
    let env = env().await;
    let milestone = env
        .connector
        .create(
            &env.config,
            NewItem {
                kind: Kind::Milestone,
                title: "1.0".into(),
                body: String::new(),
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
    let created = env
        .connector
        .create(
            &env.config,
            NewItem {
                kind: Kind::Issue,
                title: "From Elder".into(),
                body: "# Heading\n\n*markdown*".into(),
                state: ItemState::Open,
                labels: vec!["feature".into()],
                assignees: vec!["5".into()],
                milestone_ref: Some(milestone.external_id.clone()),
                parent_ref: None,
                extras: "{}".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(created.labels, vec!["feature"]);
    assert_eq!(created.assignees, vec!["5"]);
    assert_eq!(
        created.milestone_ref.as_deref(),
        Some(milestone.external_id.as_str())
    );
    let id: u64 = created.external_id.parse().unwrap();
    let raw = env.sim.work_package(id).unwrap();
    assert_eq!(raw["description"]["raw"], "# Heading\n\n*markdown*");
    assert_eq!(raw["description"]["format"], "markdown");

    let updated = env
        .connector
        .update(
            &env.config,
            Kind::Issue,
            &created.external_id,
            ItemPatch {
                title: Some("Renamed".into()),
                labels: Some(vec![]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.title, "Renamed");
    assert!(updated.labels.is_empty());
    assert_ne!(
        updated.version, created.version,
        "the lock version moves on every write"
    );

    let closed = env
        .connector
        .close(&env.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    assert_eq!(
        (closed.state, closed.status_name.as_deref()),
        (ItemState::Closed, Some("Closed"))
    );
    let reopened = env
        .connector
        .reopen(&env.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    assert_eq!(
        (reopened.state, reopened.status_name.as_deref()),
        (ItemState::Open, Some("New"))
    );
    let moved = env
        .connector
        .update(
            &env.config,
            Kind::Issue,
            &created.external_id,
            ItemPatch {
                status_name: Some("In progress".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.status_name.as_deref(), Some("In progress"));

    let closed_ms = env
        .connector
        .close(&env.config, Kind::Milestone, &milestone.external_id)
        .await
        .unwrap();
    assert_eq!(closed_ms.state, ItemState::Closed);

    env.connector
        .delete(&env.config, Kind::Issue, &created.external_id)
        .await
        .unwrap();
    let err = connector_error(
        env.connector
            .get(&env.config, Kind::Issue, &created.external_id)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_nothing_is_written() {
    let env = env().await;
    let id = env.sim.create_work_package(json!({"subject": "Shared"}));
    let seen = env
        .connector
        .get(&env.config, Kind::Issue, &id.to_string())
        .await
        .unwrap();
    env.sim
        .update_work_package(id, json!({"subject": "Edited by a person"}));
    let patch = ItemPatch {
        title: Some("Edited by Elder".into()),
        expected_version: seen.version.clone(),
        ..Default::default()
    };
    let err = connector_error(
        env.connector
            .update(&env.config, Kind::Issue, &id.to_string(), patch)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Conflict(_)), "{err:?}");
    assert_eq!(
        env.sim.work_package(id).unwrap()["subject"],
        "Edited by a person"
    );
}

#[tokio::test]
async fn webhooks_are_signed_when_a_secret_is_set_and_parse_to_events() {
    let env = env().await;
    env.sim.set_webhook(None, Some("op-secret"));
    let id = env.sim.create_work_package(json!({"subject": "Hooked"}));
    env.sim
        .update_work_package(id, json!({"subject": "Hooked again"}));
    env.sim.update_project(json!({"name": "Renamed project"}));
    env.sim.set_webhook(None, None);
    env.sim
        .update_work_package(id, json!({"subject": "Unsigned"}));

    let deliveries = env.sim.deliveries();
    assert_eq!(deliveries.len(), 4);
    let mut seen = Vec::new();
    for d in &deliveries[..3] {
        let sig = d.header("X-OP-Signature").unwrap();
        assert_eq!(sig, signature("op-secret", &d.body));
        let mut tampered = d.body.clone();
        tampered.push(b'\n');
        assert_ne!(sig, signature("op-secret", &tampered));
        assert_ne!(sig, signature("other-secret", &d.body));
        let changes = env
            .connector
            .parse_webhook(&env.config, d.headers.clone(), d.body.clone())
            .await
            .unwrap();
        seen.extend(
            changes
                .into_iter()
                .map(|c| (c.kind, c.external_id, c.action)),
        );
    }
    assert!(
        deliveries[3].header("X-OP-Signature").is_none(),
        "no secret, no signature"
    );
    assert_eq!(
        seen,
        vec![
            (Kind::Issue, id.to_string(), ChangeAction::Created),
            (Kind::Issue, id.to_string(), ChangeAction::Updated),
            (
                Kind::Project,
                env.sim.project_id().to_string(),
                ChangeAction::Updated
            ),
        ]
    );
    let err = connector_error(
        env.connector
            .parse_webhook(&env.config, Vec::new(), b"{".to_vec())
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::InvalidInput(_)));
}

#[tokio::test]
async fn labels_are_read_only_categories_and_credentials_are_checked() {
    let env = env().await;
    let (labels, cursor, _) = list_all(&env, Kind::Label, None, 50).await;
    let mut names: Vec<_> = labels.iter().map(|l| l.title.clone()).collect();
    names.sort();
    assert_eq!(names, vec!["bug", "feature"]);
    let (again, _, _) = list_all(&env, Kind::Label, cursor, 50).await;
    assert!(
        again.is_empty(),
        "unchanged categories are not reported again"
    );
    let err = connector_error(
        env.connector
            .create(
                &env.config,
                NewItem {
                    kind: Kind::Label,
                    title: "new".into(),
                    body: String::new(),
                    state: ItemState::Open,
                    labels: vec![],
                    assignees: vec![],
                    milestone_ref: None,
                    parent_ref: None,
                    extras: "{}".into(),
                },
            )
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Unsupported(_)));

    let reached = env.connector.test_connection(&env.config).await.unwrap();
    assert!(reached.contains("elder"), "{reached}");
    let err = connector_error(
        env.connector
            .test_connection(&config_for(&env.sim, "wrong"))
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn comments_are_the_activities_with_a_comment_and_cannot_be_deleted() {
    let env = env().await;
    assert_eq!(env.connector.comment_kinds(), [Kind::Issue]);
    let wp = env
        .sim
        .create_work_package(json!({"subject": "Discussed", "description": {"raw": "d"}}));
    env.sim
        .update_work_package(wp, json!({"subject": "Discussed more"}));
    env.sim.add_comment(wp, 5, "From *Ada*");
    assert_eq!(env.sim.activities(wp).len(), 3, "creation, change, comment");
    let id = wp.to_string();
    let listed = env
        .connector
        .list_comments(&env.config, Kind::Issue, &id)
        .await
        .unwrap();
    assert_eq!(
        listed.len(),
        1,
        "change journals are not comments: {listed:?}"
    );
    assert_eq!(
        (
            listed[0].author.as_str(),
            listed[0].author_name.as_deref(),
            listed[0].body.as_str()
        ),
        ("5", Some("Ada Lovelace"), "From *Ada*")
    );

    let lock = |env: &Env| env.sim.work_package(wp).unwrap()["lockVersion"].clone();
    let before = lock(&env);
    let created = env
        .connector
        .create_comment(&env.config, Kind::Issue, &id, "From **Elder**")
        .await
        .unwrap();
    assert_eq!(created.author, "1");
    assert_eq!(lock(&env), before, "a comment leaves the lockVersion alone");
    let edited = env
        .connector
        .update_comment(
            &env.config,
            Kind::Issue,
            &id,
            &created.external_id,
            "Edited",
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.external_id.as_str(), edited.body.as_str()),
        (created.external_id.as_str(), "Edited")
    );
    let bodies: Vec<String> = env
        .connector
        .list_comments(&env.config, Kind::Issue, &id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(bodies, ["From *Ada*", "Edited"], "oldest first");

    let err = connector_error(
        env.connector
            .delete_comment(&env.config, Kind::Issue, &id, &created.external_id)
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&err, ConnectorError::Unsupported(m) if m.contains("no API to delete")),
        "{err:?}"
    );
    assert!(
        env.sim
            .activities(wp)
            .iter()
            .any(|(a, text)| a.to_string() == created.external_id && text == "Edited"),
        "the comment is still there"
    );
    let err = connector_error(
        env.connector
            .list_comments(&env.config, Kind::Issue, "999999")
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, ConnectorError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn a_comment_webhook_is_an_update_of_its_work_package() {
    let env = env().await;
    let wp = env.sim.create_work_package(json!({"subject": "Hooked"}));
    env.sim.set_webhook(None, Some("op-secret"));
    let activity = env.sim.add_comment(wp, 5, "hello");
    env.sim.edit_comment(activity, "hello again");
    let actions: Vec<String> = env
        .sim
        .deliveries()
        .iter()
        .map(|d| d.json()["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        actions,
        ["work_package:created", "work_package_comment:comment"],
        "OpenProject sends nothing for an edit"
    );
    let d = &env.sim.deliveries()[1];
    assert_eq!(
        d.header("X-OP-Signature"),
        Some(signature("op-secret", &d.body).as_str())
    );
    let changes = env
        .connector
        .parse_webhook(&env.config, d.headers.clone(), d.body.clone())
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    let c = &changes[0];
    assert_eq!(
        (c.kind, c.external_id.as_str(), c.action, c.item.is_none()),
        (
            Kind::Issue,
            wp.to_string().as_str(),
            ChangeAction::Updated,
            true
        )
    );
}
