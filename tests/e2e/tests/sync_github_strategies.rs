//! Edits on both sides end to end: disjoint edits in both orders merge; simultaneous
//! edits of the same field are settled by each config strategy (last_modified_wins
//! either way round, elder_wins, external_wins, field_merge), and both sides end equal.
//! The documented tie rule of last_modified_wins (equal `updated_at`: Elder wins) cannot be
//! produced end to end (GitHub times are whole seconds, Elder's milliseconds); the
//! resolver's unit tests prove it.

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost};
use elder_sync_engine::dispatch::dispatch_batch;
use elder_sync_engine::ingest::process_inbox_batch;
use elder_sync_store::{Resource, ResourcePatch};
use platform_simulators::github::{Issue, IssueEdit};

async fn host(strategy: &'static str, workers: bool) -> SyncHost {
    let host = SyncHost::start(HostOptions {
        strategy,
        workers,
        ..HostOptions::default()
    })
    .await;
    host.seed_issues(1);
    host.poll("backfill").await;
    host
}

fn elder_title(title: &str) -> ResourcePatch {
    ResourcePatch {
        title: Some(title.into()),
        labels: Some(vec!["bug".into(), "from-elder".into()]),
        ..ResourcePatch::default()
    }
}

fn github_title(title: &str, labels: Option<Vec<String>>) -> IssueEdit {
    IssueEdit {
        title: Some(title.into()),
        body: Some(Some("Body edited on GitHub".into())),
        labels,
        ..IssueEdit::default()
    }
}

/// Edits issue 1's title on both sides (Elder also adds a label, GitHub edits the body),
/// GitHub's edit `github_later_by` seconds after (negative: before) Elder's; then the
/// engine sees the GitHub side (poll) and pushes the Elder side (outbox).
async fn simultaneous(
    strategy: &'static str,
    github_later_by: i64,
    github_labels: Option<Vec<String>>,
) -> (SyncHost, Resource, Issue) {
    let host = host(strategy, false).await;
    host.edit_elder(1, elder_title("Elder title")).await;
    host.github.advance_clock(github_later_by);
    host.edit_github(1, github_title("GitHub title", github_labels));
    let report = host.poll("poll").await;
    assert_eq!(report.tally.conflicts, 0, "{strategy}: {report:?}");
    dispatch_batch(&host.engine, 50).await.unwrap();
    let elder = host.elder_issue_for(1).await.unwrap();
    let github = host.github.issue(1).unwrap();
    assert_eq!(elder.title, github.title, "{strategy}: both sides agree");
    assert_eq!(
        github.body.as_deref(),
        Some("Body edited on GitHub"),
        "{strategy}: a field changed on one side only is kept"
    );
    assert_eq!(elder.description, "Body edited on GitHub", "{strategy}");
    let mut gh_labels = github.labels.clone();
    gh_labels.sort();
    let mut elder_labels = elder.labels.clone();
    elder_labels.sort();
    assert_eq!(elder_labels, gh_labels, "{strategy}: labels agree");
    (host, elder, github)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_modified_wins_takes_the_newer_side_either_way_round() {
    let (_h, elder, _) = simultaneous("last_modified_wins", 120, None).await;
    assert_eq!(elder.title, "GitHub title", "GitHub edited later");
    assert!(elder.labels.contains(&"from-elder".to_string()));
    let (_h, elder, _) = simultaneous("last_modified_wins", -120, None).await;
    assert_eq!(elder.title, "Elder title", "Elder edited later");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elder_wins_and_external_wins_ignore_time() {
    let (_h, elder, _) = simultaneous("elder_wins", 120, None).await;
    assert_eq!(
        elder.title, "Elder title",
        "Elder wins though GitHub is newer"
    );
    let (_h, elder, _) = simultaneous("external_wins", -120, None).await;
    assert_eq!(
        elder.title, "GitHub title",
        "GitHub wins though Elder is newer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_merge_keeps_label_changes_of_both_sides() {
    let labels = vec!["bug".to_string(), "from-github".to_string()];
    let (_h, elder, github) = simultaneous("field_merge", 120, Some(labels)).await;
    assert_eq!(elder.title, "GitHub title", "single values: the newer side");
    let mut got = github.labels.clone();
    got.sort();
    assert_eq!(got, vec!["bug", "from-elder", "from-github"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disjoint_edits_merge_whichever_side_is_processed_first() {
    // Elder edits first, GitHub second; Elder's push goes out before GitHub's webhook is
    // processed.
    let host = host("last_modified_wins", false).await;
    host.edit_elder(
        1,
        ResourcePatch {
            title: Some("Title from Elder".into()),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.edit_github(
        1,
        IssueEdit {
            body: Some(Some("Body from GitHub".into())),
            ..IssueEdit::default()
        },
    );
    host.eventually("GitHub's webhook is stored", || async {
        host.github
            .deliveries()
            .iter()
            .any(|d| d.status == Some(202))
    })
    .await;
    dispatch_batch(&host.engine, 50).await.unwrap();
    process_inbox_batch(&host.engine, 50).await.unwrap();
    assert_both(&host, "Title from Elder", "Body from GitHub").await;

    // GitHub edits first, Elder second; GitHub's webhook is processed before Elder's push.
    let host = self::host("last_modified_wins", false).await;
    host.edit_github(
        1,
        IssueEdit {
            body: Some(Some("Body from GitHub".into())),
            ..IssueEdit::default()
        },
    );
    host.edit_elder(
        1,
        ResourcePatch {
            title: Some("Title from Elder".into()),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("GitHub's webhook is stored", || async {
        host.github
            .deliveries()
            .iter()
            .any(|d| d.status == Some(202))
    })
    .await;
    process_inbox_batch(&host.engine, 50).await.unwrap();
    dispatch_batch(&host.engine, 50).await.unwrap();
    assert_both(&host, "Title from Elder", "Body from GitHub").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_edits_on_each_side_reach_the_other_in_both_orders() {
    let host = host("last_modified_wins", true).await;
    host.edit_elder(
        1,
        ResourcePatch {
            title: Some("First, in Elder".into()),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("Elder's edit reaches GitHub", || async {
        host.github
            .issue(1)
            .is_some_and(|i| i.title == "First, in Elder")
    })
    .await;
    host.edit_github(
        1,
        IssueEdit {
            title: Some("Second, on GitHub".into()),
            ..IssueEdit::default()
        },
    );
    host.eventually("GitHub's edit reaches Elder", || async {
        host.elder_issue_for(1)
            .await
            .is_some_and(|i| i.title == "Second, on GitHub")
    })
    .await;
    host.edit_elder(
        1,
        ResourcePatch {
            title: Some("Third, in Elder".into()),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("the third edit reaches GitHub", || async {
        host.github
            .issue(1)
            .is_some_and(|i| i.title == "Third, in Elder")
    })
    .await;
    assert!(host.conflicts(None).await.is_empty());
}

async fn assert_both(host: &SyncHost, title: &str, body: &str) {
    let elder = host.elder_issue_for(1).await.unwrap();
    let github = host.github.issue(1).unwrap();
    assert_eq!(
        (elder.title.as_str(), elder.description.as_str()),
        (title, body)
    );
    assert_eq!(
        (github.title.as_str(), github.body.as_deref()),
        (title, Some(body))
    );
    assert!(host.conflicts(None).await.is_empty());
}
