//! Comments through the sync engine on GitLab, Jira, Trello and OpenProject, end to end
//! against the simulators on SQLite and PostgreSQL: a comment a person writes on the
//! platform reaches the Elder issue as Markdown (Jira's ADF read as Markdown); an Elder
//! comment reaches the platform under its attribution line (Jira: as ADF); and syncing
//! again writes nothing (exact counts of the comment requests the connectors send). Edits
//! and deletions cross both ways too, with one write each and no echo (OpenProject cannot
//! delete a comment: Elder's deletion is noted once and the comment stays there). Hub and
//! spoke: a Jira comment reaches GitLab through Elder, and nothing loops.

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{Comment, CommentPatch, NewComment, NewIdentity, PageRequest, SyncMethod};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_comments_cross_both_ways_once() {
    both_ways(TestEngine::Sqlite, Platform::Gitlab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_comments_cross_both_ways_once_on_postgresql() {
    both_ways(TestEngine::Postgres, Platform::Gitlab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_comments_cross_both_ways_once() {
    both_ways(TestEngine::Sqlite, Platform::Jira).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_comments_cross_both_ways_once_on_postgresql() {
    both_ways(TestEngine::Postgres, Platform::Jira).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trello_comments_cross_both_ways_once() {
    both_ways(TestEngine::Sqlite, Platform::Trello).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trello_comments_cross_both_ways_once_on_postgresql() {
    both_ways(TestEngine::Postgres, Platform::Trello).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openproject_comments_cross_both_ways_once() {
    both_ways(TestEngine::Sqlite, Platform::OpenProject).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openproject_comments_cross_both_ways_once_on_postgresql() {
    both_ways(TestEngine::Postgres, Platform::OpenProject).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jira_comment_reaches_gitlab_through_elder_without_a_loop() {
    jira_to_gitlab(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jira_comment_reaches_gitlab_through_elder_without_a_loop_on_postgresql() {
    jira_to_gitlab(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_comment_edits_and_deletions_cross_both_ways() {
    edits_and_deletions(TestEngine::Sqlite, Platform::Gitlab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_comment_edits_and_deletions_cross_both_ways_on_postgresql() {
    edits_and_deletions(TestEngine::Postgres, Platform::Gitlab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_comment_edits_and_deletions_cross_both_ways() {
    edits_and_deletions(TestEngine::Sqlite, Platform::Jira).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_comment_edits_and_deletions_cross_both_ways_on_postgresql() {
    edits_and_deletions(TestEngine::Postgres, Platform::Jira).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trello_comment_edits_and_deletions_cross_both_ways() {
    edits_and_deletions(TestEngine::Sqlite, Platform::Trello).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trello_comment_edits_and_deletions_cross_both_ways_on_postgresql() {
    edits_and_deletions(TestEngine::Postgres, Platform::Trello).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openproject_comment_edits_cross_both_ways_and_a_deletion_is_noted() {
    edits_and_deletions(TestEngine::Sqlite, Platform::OpenProject).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openproject_comment_edits_cross_both_ways_and_a_deletion_is_noted_on_postgresql() {
    edits_and_deletions(TestEngine::Postgres, Platform::OpenProject).await;
}

/// What a person writes on `p`: "Seen on **1.2** too" (for Jira, as its editor's ADF).
fn written_on(p: Platform) -> Value {
    person_says_on(p, " too")
}

/// `written_on(p)` as its author edits it: "Seen on **1.2** and 1.3".
fn edited_on(p: Platform) -> Value {
    person_says_on(p, " and 1.3")
}

/// "Seen on **1.2**" and `tail`, as a person writes it on `p`.
fn person_says_on(p: Platform, tail: &str) -> Value {
    match p {
        Platform::Jira => adf(vec![paragraph(vec![
            text("Seen on ", None),
            text("1.2", Some("strong")),
            text(tail, None),
        ])]),
        _ => json!(format!("Seen on **1.2**{tail}")),
    }
}

/// Elder's "Fixed in **1.3**" by Grace as `p` shows it, under the attribution line.
fn from_elder_on(p: Platform) -> Value {
    fixed_in_on(p, "1.3")
}

/// Elder's comment edited to "Fixed in **1.3.1**", as `p` shows it.
fn edited_from_elder_on(p: Platform) -> Value {
    fixed_in_on(p, "1.3.1")
}

/// Grace's "Fixed in **`version`**" from Elder as `p` shows it, under the attribution line.
fn fixed_in_on(p: Platform, version: &str) -> Value {
    match p {
        Platform::Jira => adf(vec![
            paragraph(vec![text("by Grace on Elder", Some("em"))]),
            paragraph(vec![text("Fixed in ", None), text(version, Some("strong"))]),
        ]),
        _ => json!(format!("*by Grace on Elder*\n\nFixed in **{version}**")),
    }
}

fn adf(content: Vec<Value>) -> Value {
    json!({"type": "doc", "version": 1, "content": content})
}

fn paragraph(content: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": content})
}

fn text(t: &str, mark: Option<&str>) -> Value {
    match mark {
        Some(m) => json!({"type": "text", "text": t, "marks": [{"type": m}]}),
        None => json!({"type": "text", "text": t}),
    }
}

/// The comment requests (successful writes) the connectors sent to `p`'s simulator.
fn comment_writes(host: &PlatformHost, p: Platform) -> Vec<String> {
    let marker = match p {
        Platform::Github => "/comments",
        Platform::Gitlab => "/notes",
        Platform::Jira => "/comment",
        Platform::Trello => "/comments",
        Platform::OpenProject => "/activities",
    };
    host.tap
        .writes_to(&host.sim_url(p))
        .into_iter()
        .filter(|r| r.url.contains(marker))
        .map(|r| format!("{} {}", r.method, r.url))
        .collect()
}

/// Every successful write the connectors sent to `p`'s simulator (Jira's search is a POST
/// that only reads).
fn all_writes(host: &PlatformHost, p: Platform) -> Vec<String> {
    host.tap
        .writes_to(&host.sim_url(p))
        .into_iter()
        .filter(|r| !r.url.contains("/rest/api/3/search/jql"))
        .map(|r| format!("{} {}", r.method, r.url))
        .collect()
}

/// `(body, origin, version)` of the live comments of Elder issue `elder_id`, oldest first.
async fn elder_comments(host: &PlatformHost, elder_id: i64) -> Vec<(String, String, i64)> {
    host.store
        .list_comments(elder_id, PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| (c.body, c.origin, c.version))
        .collect()
}

/// An issue a person created on `p`, synced to Elder and quiet: (external id, Elder id).
async fn synced_issue(host: &PlatformHost, p: Platform) -> (String, i64) {
    let id = host.person_creates(p, "Discussed");
    host.eventually("the issue reaches Elder", || async {
        host.elder_issue(p, &id).await.is_some()
    })
    .await;
    host.settle(3).await;
    let elder = host.elder_issue(p, &id).await.unwrap();
    (id, elder.id)
}

/// Grace writes "Fixed in **1.3**" on Elder issue `elder_id`; waits until `p`'s issue `id`
/// shows it as its second comment and the host is quiet.
async fn grace_comments_in_elder(
    host: &PlatformHost,
    p: Platform,
    id: &str,
    elder_id: i64,
) -> Comment {
    let comment = host
        .store
        .create_comment(
            elder_id,
            &NewComment {
                body: "Fixed in **1.3**".into(),
                author: "Grace".into(),
            },
        )
        .await
        .unwrap();
    host.eventually("the Elder comment reaches the platform", || async {
        host.comments_seen(p, id).len() == 2
    })
    .await;
    host.settle(3).await;
    comment
}

async fn both_ways(db: TestEngine, p: Platform) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        ..PlatformOptions::one(p)
    })
    .await;
    let (id, elder_id) = synced_issue(&host, p).await;
    let writes_before = all_writes(&host, p);

    // Platform -> Elder: the body as Markdown, nothing written back.
    let who = host.commenter(p);
    host.person_comments(p, &who, &id, &written_on(p));
    host.eventually("the platform's comment reaches Elder", || async {
        !elder_comments(&host, elder_id).await.is_empty()
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        elder_comments(&host, elder_id).await,
        vec![("Seen on **1.2** too".into(), p.name().into(), 1)]
    );
    assert_eq!(comment_writes(&host, p), Vec::<String>::new());
    assert_eq!(all_writes(&host, p), writes_before, "nothing written back");

    // Elder -> platform: under the attribution line, one comment request.
    grace_comments_in_elder(&host, p, &id, elder_id).await;
    assert_eq!(
        host.comments_seen(p, &id),
        vec![written_on(p), from_elder_on(p)]
    );
    let once = comment_writes(&host, p);
    assert_eq!(once.len(), 1, "one comment request: {once:?}");
    let writes_after = all_writes(&host, p);
    assert_eq!(
        writes_after.len(),
        writes_before.len() + 1,
        "{writes_after:?}"
    );

    // A second sync writes nothing, on either side.
    host.backfill_clean(p).await;
    host.settle(3).await;
    assert_eq!(comment_writes(&host, p), once);
    assert_eq!(all_writes(&host, p), writes_after);
    assert_eq!(
        elder_comments(&host, elder_id).await,
        vec![
            ("Seen on **1.2** too".into(), p.name().into(), 1),
            ("Fixed in **1.3**".into(), "elder".into(), 1),
        ],
        "no attribution line came back, nothing was rewritten"
    );
}

async fn jira_to_gitlab(db: TestEngine) {
    let (jira, gitlab) = (Platform::Jira, Platform::Gitlab);
    let host = PlatformHost::start(PlatformOptions {
        db,
        platforms: vec![jira, gitlab],
        ..PlatformOptions::one(jira)
    })
    .await;
    let ann = host.commenter(jira);
    host.store
        .create_identity(&NewIdentity {
            handle: "ann".into(),
            name: "Ann Lee".into(),
            accounts: [("jira".to_string(), ann.clone())].into_iter().collect(),
            ..NewIdentity::default()
        })
        .await
        .unwrap();
    let (key, elder_id) = synced_issue(&host, jira).await;
    host.eventually("the issue reaches GitLab", || async {
        host.external_id(gitlab, elder_id).await.is_some()
    })
    .await;
    host.settle(3).await;
    let iid = host.external_id(gitlab, elder_id).await.unwrap();
    let (jira_before, gitlab_before) = (all_writes(&host, jira), all_writes(&host, gitlab));

    host.person_comments(jira, &ann, &key, &written_on(jira));
    host.eventually("the Jira comment reaches GitLab", || async {
        !host.comments_seen(gitlab, &iid).is_empty()
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        host.comments_seen(gitlab, &iid),
        vec![json!("*by Ann Lee on Jira*\n\nSeen on **1.2** too")]
    );
    assert_eq!(
        elder_comments(&host, elder_id).await,
        vec![("Seen on **1.2** too".into(), "jira".into(), 1)]
    );
    assert_eq!(host.comments_seen(jira, &key).len(), 1, "no echo on Jira");
    assert_eq!(comment_writes(&host, jira), Vec::<String>::new());
    assert_eq!(comment_writes(&host, gitlab).len(), 1);
    assert_eq!(all_writes(&host, jira), jira_before);
    let gitlab_after = all_writes(&host, gitlab);
    assert_eq!(
        gitlab_after.len(),
        gitlab_before.len() + 1,
        "{gitlab_after:?}"
    );

    // Syncing both again writes nothing anywhere.
    for p in [jira, gitlab] {
        elder_sync_engine::poll::poll_config(
            &host.engine,
            host.config_id(p),
            "poll",
            SyncMethod::Poll,
        )
        .await
        .unwrap();
    }
    host.settle(3).await;
    assert_eq!(all_writes(&host, jira), jira_before);
    assert_eq!(all_writes(&host, gitlab), gitlab_after);
    assert_eq!(host.comments_seen(jira, &key).len(), 1);
    assert_eq!(host.comments_seen(gitlab, &iid).len(), 1);
    assert_eq!(elder_comments(&host, elder_id).await.len(), 1);
}

/// Whether `p` sends a webhook when a person edits (deletes) a comment; when it does not,
/// the next poll finds the change.
fn announces(p: Platform, deletion: bool) -> bool {
    match p {
        Platform::OpenProject => false,
        Platform::Gitlab => !deletion,
        _ => true,
    }
}

/// Waits for `cond`, polling `p` first when `p` does not announce the change.
async fn after_person_change<F, Fut>(
    host: &PlatformHost,
    p: Platform,
    announced: bool,
    what: &str,
    cond: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    if !announced {
        host.backfill_clean(p).await;
    }
    host.eventually(what, cond).await;
    host.settle(3).await;
}

/// The `comment_failed` notes of `p`'s config.
async fn comment_notes(host: &PlatformHost, p: Platform) -> Vec<Value> {
    host.notes(p)
        .await
        .into_iter()
        .filter(|m| m["note"] == "comment_failed")
        .collect()
}

async fn edits_and_deletions(db: TestEngine, p: Platform) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        ..PlatformOptions::one(p)
    })
    .await;
    let (id, elder_id) = synced_issue(&host, p).await;
    let who = host.commenter(p);
    host.person_comments(p, &who, &id, &written_on(p));
    host.eventually("the platform's comment reaches Elder", || async {
        elder_comments(&host, elder_id).await.len() == 1
    })
    .await;
    let ours = grace_comments_in_elder(&host, p, &id, elder_id).await;
    let ids = host.comment_ids_seen(p, &id);
    let (theirs_there, ours_there) = (ids[0].clone(), ids[1].clone());
    let base = all_writes(&host, p).len();

    // The person edits their comment: Elder follows, nothing is written back.
    host.person_edits_comment(p, &id, &theirs_there, &edited_on(p));
    after_person_change(
        &host,
        p,
        announces(p, false),
        "the edit reaches Elder",
        || async { elder_comments(&host, elder_id).await[0].0 == "Seen on **1.2** and 1.3" },
    )
    .await;
    assert_eq!(
        elder_comments(&host, elder_id).await[0],
        ("Seen on **1.2** and 1.3".into(), p.name().into(), 2)
    );
    assert_eq!(
        all_writes(&host, p).len(),
        base,
        "{:?}",
        all_writes(&host, p)
    );

    // Elder edits its comment: the platform follows under the attribution line, one write,
    // and its echo changes nothing in Elder.
    host.store
        .update_comment(
            elder_id,
            ours.id,
            &CommentPatch {
                body: "Fixed in **1.3.1**".into(),
                expected_version: None,
            },
        )
        .await
        .unwrap();
    host.eventually("Elder's edit reaches the platform", || async {
        host.comments_seen(p, &id).get(1) == Some(&edited_from_elder_on(p))
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        all_writes(&host, p).len(),
        base + 1,
        "{:?}",
        all_writes(&host, p)
    );
    assert_eq!(
        elder_comments(&host, elder_id).await[1],
        ("Fixed in **1.3.1**".into(), "elder".into(), 2)
    );

    if p == Platform::OpenProject {
        // OpenProject has no API to delete a comment: Elder's deletion is noted once, the
        // comment stays there and is not imported again, and no sync tries it again.
        let theirs = host
            .store
            .list_comments(elder_id, PageRequest::default())
            .await
            .unwrap()
            .items[0]
            .id;
        host.store.delete_comment(elder_id, theirs).await.unwrap();
        host.eventually("the refused deletion is noted", || async {
            !comment_notes(&host, p).await.is_empty()
        })
        .await;
        host.settle(3).await;
        for _ in 0..2 {
            host.backfill_clean(p).await;
        }
        host.settle(3).await;
        let notes = comment_notes(&host, p).await;
        assert_eq!(notes.len(), 1, "{notes:#?}");
        assert_eq!(notes[0]["action"], "delete on the platform");
        assert_eq!(
            host.comments_seen(p, &id).len(),
            2,
            "the comment stays on OpenProject"
        );
        assert_eq!(
            elder_comments(&host, elder_id).await,
            vec![("Fixed in **1.3.1**".into(), "elder".into(), 2)],
            "not imported again"
        );
        assert_eq!(
            all_writes(&host, p).len(),
            base + 1,
            "{:?}",
            all_writes(&host, p)
        );
        return;
    }

    // The person deletes Elder's comment there: deleted in Elder, nothing written back.
    host.person_deletes_comment(p, &id, &ours_there);
    after_person_change(
        &host,
        p,
        announces(p, true),
        "the deletion reaches Elder",
        || async { elder_comments(&host, elder_id).await.len() == 1 },
    )
    .await;
    assert_eq!(
        all_writes(&host, p).len(),
        base + 1,
        "{:?}",
        all_writes(&host, p)
    );

    // Elder deletes the person's comment: deleted there, one write.
    let theirs = host
        .store
        .list_comments(elder_id, PageRequest::default())
        .await
        .unwrap()
        .items[0]
        .id;
    host.store.delete_comment(elder_id, theirs).await.unwrap();
    host.eventually("Elder's deletion reaches the platform", || async {
        host.comments_seen(p, &id).is_empty()
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        all_writes(&host, p).len(),
        base + 2,
        "{:?}",
        all_writes(&host, p)
    );

    // Syncing again writes nothing, on either side.
    host.backfill_clean(p).await;
    host.settle(3).await;
    assert_eq!(all_writes(&host, p).len(), base + 2);
    assert!(elder_comments(&host, elder_id).await.is_empty());
    assert!(comment_notes(&host, p).await.is_empty());
}
