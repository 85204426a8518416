//! Labels with their colour through the hub, and renames that rename, on SQLite and
//! PostgreSQL: GitHub and GitLab linked to one Elder project.
//!
//! A GitHub label reaches Elder (its colour as `extras.color`, `#rrggbb`) and GitLab with
//! that colour; a GitLab recolour reaches Elder and GitHub. A GitHub rename (a `label`
//! webhook `edited` with `changes.name.from`) renames the one Elder label and the GitLab
//! label (the same GitLab id); an Elder rename renames the GitHub label, the mapping learns
//! its new name (a GitHub label's name is its id), and GitLab follows. Never a delete and
//! a create: one Elder label, one label on each side, the exact writes, and quiet after.

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_model::Kind;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{PageRequest, Resource, ResourceFilter, ResourcePatch};
use serde_json::json;

const GH: Platform = Platform::Github;
const GL: Platform = Platform::Gitlab;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_keep_their_colour_and_renames_rename() {
    labels(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_keep_their_colour_and_renames_rename_on_postgresql() {
    labels(TestEngine::Postgres).await;
}

async fn elder_labels(host: &PlatformHost) -> Vec<Resource> {
    host.store
        .list_resources(
            Kind::Label,
            &ResourceFilter::default(),
            PageRequest {
                page: 1,
                per_page: 100,
            },
        )
        .await
        .expect("labels")
        .items
}

/// The GitLab label mapped to Elder label `elder_id`: (name, colour).
async fn gitlab_label(host: &PlatformHost, elder_id: i64) -> Option<(String, String)> {
    let id: u64 = host
        .external_id_of(GL, Kind::Label, elder_id)
        .await?
        .parse()
        .ok()?;
    host.gitlab()
        .labels()
        .into_iter()
        .find(|l| l.id == id)
        .map(|l| (l.name, l.color.to_lowercase()))
}

fn github_label(host: &PlatformHost, name: &str) -> Option<(String, String)> {
    host.github().label(name).map(|l| (l.name, l.color))
}

async fn labels(db: TestEngine) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        platforms: vec![GH, GL],
        ..PlatformOptions::one(GH)
    })
    .await;
    for p in [GH, GL] {
        host.backfill_clean(p).await;
    }
    host.settle(3).await;
    let start = [host.writes_on(GH).len(), host.writes_on(GL).len()];
    let labels_before = elder_labels(&host).await.len();

    // Born on GitHub: Elder and GitLab get it with its colour.
    host.github()
        .user_create_label(&json!({"name": "bug", "color": "d73a4a", "description": "Broken"}))
        .expect("github label");
    host.eventually("the label reaches GitLab", || async {
        let Some(elder) = host.mapping_of(GH, Kind::Label, "bug").await else {
            return false;
        };
        gitlab_label(&host, elder.elder_id).await.is_some()
    })
    .await;
    host.settle(3).await;
    let elder_id = host
        .mapping_of(GH, Kind::Label, "bug")
        .await
        .unwrap()
        .elder_id;
    let elder = host
        .store
        .get_resource(Kind::Label, elder_id)
        .await
        .unwrap();
    assert_eq!(elder.title, "bug");
    assert_eq!(elder.extras, json!({"color": "#d73a4a"}));
    assert_eq!(
        gitlab_label(&host, elder_id).await,
        Some(("bug".into(), "#d73a4a".into()))
    );

    // Recoloured on GitLab (found by a poll: GitLab sends no label hooks): Elder and GitHub.
    let gl_id: u64 = host
        .external_id_of(GL, Kind::Label, elder_id)
        .await
        .unwrap()
        .parse()
        .unwrap();
    host.gitlab()
        .update_label(gl_id, json!({"color": "#00aa55"}));
    host.backfill_clean(GL).await;
    host.eventually("the colour reaches GitHub", || async {
        github_label(&host, "bug").is_some_and(|(_, c)| c == "00aa55")
    })
    .await;
    host.settle(3).await;
    let elder = host
        .store
        .get_resource(Kind::Label, elder_id)
        .await
        .unwrap();
    assert_eq!(elder.extras, json!({"color": "#00aa55"}));

    // Renamed on GitHub: the same Elder label and the same GitLab label are renamed.
    host.github()
        .user_edit_label("bug", &json!({"new_name": "defect"}))
        .expect("github rename");
    host.eventually("the GitHub rename reaches GitLab", || async {
        gitlab_label(&host, elder_id)
            .await
            .is_some_and(|(n, _)| n == "defect")
    })
    .await;
    host.settle(3).await;
    let elder = host
        .store
        .get_resource(Kind::Label, elder_id)
        .await
        .unwrap();
    assert_eq!(elder.title, "defect");
    assert_eq!(
        host.external_id_of(GH, Kind::Label, elder_id)
            .await
            .as_deref(),
        Some("defect")
    );

    // Renamed in Elder: GitHub renames it (and the mapping learns the new name), GitLab too.
    host.store
        .update_resource(
            Kind::Label,
            elder_id,
            &ResourcePatch {
                title: Some("fault".into()),
                ..ResourcePatch::default()
            },
        )
        .await
        .expect("Elder rename");
    host.eventually("the Elder rename reaches both", || async {
        github_label(&host, "fault").is_some()
            && gitlab_label(&host, elder_id)
                .await
                .is_some_and(|(n, _)| n == "fault")
    })
    .await;
    // A poll of GitHub afterwards finds the renamed label mapped, not new.
    host.backfill_clean(GH).await;
    host.settle(10).await;
    let sent = host.tap.sent().len();
    host.settle(10).await;
    assert_eq!(host.tap.sent().len(), sent, "the host kept sending");

    assert_eq!(
        host.external_id_of(GH, Kind::Label, elder_id)
            .await
            .as_deref(),
        Some("fault")
    );
    assert_eq!(
        github_label(&host, "fault"),
        Some(("fault".into(), "00aa55".into()))
    );
    assert!(github_label(&host, "bug").is_none() && github_label(&host, "defect").is_none());
    let named: Vec<String> = host
        .gitlab()
        .labels()
        .into_iter()
        .map(|l| l.name)
        .filter(|n| ["bug", "defect", "fault"].contains(&n.as_str()))
        .collect();
    assert_eq!(named, ["fault"], "one GitLab label");
    let all = elder_labels(&host).await;
    assert_eq!(all.len(), labels_before + 1, "one Elder label: {all:#?}");

    // GitHub: the recolour and the Elder rename. GitLab: the create, the GitHub rename and
    // the Elder rename.
    let writes = [
        host.writes_on(GH).len() - start[0],
        host.writes_on(GL).len() - start[1],
    ];
    assert_eq!(
        writes,
        [2, 3],
        "{:#?} {:#?}",
        host.writes_on(GH),
        host.writes_on(GL)
    );
    assert!(host.failed_outbox().await.is_empty());
}
