//! Comments through the sync engine, end to end against the GitHub simulator on SQLite and
//! PostgreSQL: a GitHub comment reaches Elder with its author mapped through the identity
//! table; an Elder comment reaches GitHub under an attribution line naming the author as
//! GitHub knows them (or by name when they have no GitHub account); edits and deletions
//! cross both ways; a comment announced by an `issue_comment` webhook is applied through
//! the inbox; and running a sync again writes nothing (exact simulator write counts).

use elder_sync_e2e::sync_harness::{HostOptions, SyncHost};
use elder_sync_engine::poll::poll_config;
use elder_sync_store::SyncMethod;
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{
    Comment, CommentPatch, HistoryFilter, NewComment, NewIdentity, PageRequest,
};
use platform_simulators::github::{GithubSim, SeedIssue};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_cross_both_ways_with_their_authors() {
    both_ways(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_cross_both_ways_with_their_authors_on_postgresql() {
    both_ways(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comment_edits_and_deletions_cross_both_ways() {
    edits_and_deletions(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comment_edits_and_deletions_cross_both_ways_on_postgresql() {
    edits_and_deletions(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_travel_hub_and_spoke_between_two_repositories() {
    hub_and_spoke(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_travel_hub_and_spoke_between_two_repositories_on_postgresql() {
    hub_and_spoke(TestEngine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_import_reads_comments_only_of_issues_that_have_some() {
    comment_reads_follow_the_count(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_import_reads_comments_only_of_issues_that_have_some_on_postgresql() {
    comment_reads_follow_the_count(TestEngine::Postgres).await;
}

/// Requests that write to the simulator (anything but GET/HEAD).
fn writes(host: &SyncHost) -> Vec<String> {
    writes_to(&host.github)
}

fn writes_to(github: &GithubSim) -> Vec<String> {
    github
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD")
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect()
}

/// The live Elder comments of the issue mapped to GitHub issue `number`, oldest first.
async fn elder_comments(host: &SyncHost, number: u64) -> Vec<Comment> {
    let Some(issue) = host.elder_issue_for(number).await else {
        return Vec::new();
    };
    host.store
        .list_comments(issue.id, PageRequest::default())
        .await
        .unwrap()
        .items
}

/// Ada is `octocat` on GitHub; Bob Smith has no GitHub account.
async fn people(host: &SyncHost) {
    for (handle, name, accounts) in [
        ("ada", "Ada Lovelace", vec![("github", "octocat")]),
        ("bob", "Bob Smith", vec![("jira", "557058:bob")]),
    ] {
        host.store
            .create_identity(&NewIdentity {
                handle: handle.into(),
                name: name.into(),
                accounts: accounts
                    .into_iter()
                    .map(|(p, l)| (p.to_string(), l.to_string()))
                    .collect(),
                ..NewIdentity::default()
            })
            .await
            .unwrap();
    }
}

/// One seeded GitHub issue (number 1) with one comment by `octocat`, imported.
async fn imported(db: TestEngine) -> SyncHost {
    let host = SyncHost::start(HostOptions {
        db,
        ..HostOptions::default()
    })
    .await;
    people(&host).await;
    host.github.seed_issue(SeedIssue {
        title: "Crash on save".into(),
        ..SeedIssue::default()
    });
    host.github
        .user_comment(1, "octocat", "Seen on **1.2** too")
        .unwrap();
    let report = host.poll("backfill").await;
    assert_eq!(report.error, None, "{report:?}");
    host
}

async fn both_ways(db: TestEngine) {
    let host = imported(db).await;
    // GitHub -> Elder: the author is Ada's handle, the body as written.
    let comments = elder_comments(&host, 1).await;
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(
        (
            comments[0].body.as_str(),
            comments[0].author.as_str(),
            comments[0].origin.as_str()
        ),
        ("Seen on **1.2** too", "ada", "github")
    );
    host.outbox_drained().await;
    assert_eq!(
        writes(&host),
        Vec::<String>::new(),
        "importing writes nothing to GitHub"
    );

    // Elder -> GitHub: Ada under her GitHub login, Bob (no GitHub account) by name, and a
    // name no identity holds as it is.
    let issue = host.elder_issue_for(1).await.unwrap();
    for (author, body) in [
        ("ada", "Fixed in 1.3"),
        ("bob", "Confirmed"),
        ("Grace", "Thanks!"),
    ] {
        host.store
            .create_comment(
                issue.id,
                &NewComment {
                    body: body.into(),
                    author: author.into(),
                },
            )
            .await
            .unwrap();
    }
    host.eventually("the Elder comments reach GitHub", || async {
        host.github.comments(1).len() == 4
    })
    .await;
    host.outbox_drained().await;
    let on_github: Vec<String> = host
        .github
        .comments(1)
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(
        on_github,
        vec![
            "Seen on **1.2** too".to_string(),
            "*by octocat on Elder*\n\nFixed in 1.3".to_string(),
            "*by Bob Smith on Elder*\n\nConfirmed".to_string(),
            "*by Grace on Elder*\n\nThanks!".to_string(),
        ]
    );
    let before = writes(&host);
    assert_eq!(before.len(), 3, "one create per Elder comment: {before:?}");

    // Reading our own comments back changes nothing, on either side.
    let report = host.poll("poll").await;
    assert_eq!(report.error, None, "{report:?}");
    host.outbox_drained().await;
    assert_eq!(writes(&host), before, "a second sync wrote to GitHub");
    let comments = elder_comments(&host, 1).await;
    assert_eq!(
        comments
            .iter()
            .map(|c| (c.body.as_str(), c.version))
            .collect::<Vec<_>>(),
        vec![
            ("Seen on **1.2** too", 1),
            ("Fixed in 1.3", 1),
            ("Confirmed", 1),
            ("Thanks!", 1)
        ],
        "no attribution line came back, nothing was rewritten"
    );

    // A comment made on GitHub arrives by its `issue_comment` webhook, through the inbox.
    host.github
        .user_comment(1, "octocat", "One more thing")
        .unwrap();
    host.eventually("the webhook's comment reaches Elder", || async {
        elder_comments(&host, 1).await.len() == 5
    })
    .await;
    host.outbox_drained().await;
    let history = host
        .store
        .list_history(
            &HistoryFilter {
                config_id: Some(host.config_id),
                sync_type: Some("webhook".into()),
                success: None,
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(history.total >= 1, "applied by the inbox worker");
    assert_eq!(
        elder_comments(&host, 1).await[4].author,
        "ada",
        "the webhook's author is mapped too"
    );
    assert_eq!(writes(&host), before, "nothing written back to GitHub");
}

async fn edits_and_deletions(db: TestEngine) {
    let host = imported(db).await;
    let issue = host.elder_issue_for(1).await.unwrap();
    let ours = host
        .store
        .create_comment(
            issue.id,
            &NewComment {
                body: "Fixed in 1.3".into(),
                author: "ada".into(),
            },
        )
        .await
        .unwrap();
    host.eventually("the Elder comment reaches GitHub", || async {
        host.github.comments(1).len() == 2
    })
    .await;
    host.outbox_drained().await;
    let theirs_id = host.github.comments(1)[0].id;
    let ours_id = host.github.comments(1)[1].id;
    let base = writes(&host).len();

    // GitHub edits its comment: Elder follows, GitHub gets nothing back.
    host.github
        .user_edit_comment(theirs_id, "Seen on 1.1 and 1.2")
        .unwrap();
    host.eventually("GitHub's edit reaches Elder", || async {
        elder_comments(&host, 1).await[0].body == "Seen on 1.1 and 1.2"
    })
    .await;
    host.outbox_drained().await;
    assert_eq!(writes(&host).len(), base, "{:?}", writes(&host));

    // Elder edits its comment: GitHub follows, attribution kept, one write.
    host.store
        .update_comment(
            issue.id,
            ours.id,
            &CommentPatch {
                body: "Fixed in 1.3.1".into(),
                expected_version: None,
            },
        )
        .await
        .unwrap();
    host.eventually("Elder's edit reaches GitHub", || async {
        host.github
            .comments(1)
            .iter()
            .any(|c| c.body == "*by octocat on Elder*\n\nFixed in 1.3.1")
    })
    .await;
    host.outbox_drained().await;
    assert_eq!(writes(&host).len(), base + 1, "{:?}", writes(&host));
    assert_eq!(
        elder_comments(&host, 1).await[1].version,
        2,
        "the edit's echo changed nothing in Elder"
    );

    // GitHub edits Elder's comment under its attribution line: Elder gets the words only.
    host.github
        .user_edit_comment(ours_id, "*by octocat on Elder*\n\nFixed in 1.3.2")
        .unwrap();
    host.eventually("GitHub's edit of Elder's comment reaches Elder", || async {
        elder_comments(&host, 1)
            .await
            .get(1)
            .is_some_and(|c| c.body == "Fixed in 1.3.2")
    })
    .await;
    host.outbox_drained().await;
    assert_eq!(writes(&host).len(), base + 1, "{:?}", writes(&host));
    assert_eq!(
        host.github.comments(1)[1].body,
        "*by octocat on Elder*\n\nFixed in 1.3.2",
        "one attribution line, not two"
    );

    // GitHub deletes Elder's comment: deleted in Elder.
    host.github.user_delete_comment(ours_id).unwrap();
    host.eventually("GitHub's deletion reaches Elder", || async {
        elder_comments(&host, 1).await.len() == 1
    })
    .await;
    host.outbox_drained().await;
    assert_eq!(writes(&host).len(), base + 1, "{:?}", writes(&host));

    // Elder deletes GitHub's comment: deleted on GitHub.
    let theirs = elder_comments(&host, 1).await[0].clone();
    host.store
        .delete_comment(issue.id, theirs.id)
        .await
        .unwrap();
    host.eventually("Elder's deletion reaches GitHub", || async {
        host.github.comments(1).is_empty()
    })
    .await;
    host.outbox_drained().await;
    assert_eq!(writes(&host).len(), base + 2, "{:?}", writes(&host));

    // Nothing is left to do.
    let report = host.poll("poll").await;
    assert_eq!(report.error, None, "{report:?}");
    host.outbox_drained().await;
    assert_eq!(writes(&host).len(), base + 2);
    assert!(elder_comments(&host, 1).await.is_empty());
}

async fn hub_and_spoke(db: TestEngine) {
    let opts = HostOptions {
        db,
        ..HostOptions::default()
    };
    let host = SyncHost::start(opts.clone()).await;
    people(&host).await;
    let (spoke, spoke_id) = host.add_github_spoke("spoke", &opts).await;
    host.github.seed_issue(SeedIssue {
        title: "Crash on save".into(),
        ..SeedIssue::default()
    });
    host.github
        .user_comment(1, "octocat", "Seen on **1.2** too")
        .unwrap();
    let report = host.poll("backfill").await;
    assert_eq!(report.error, None, "{report:?}");

    // The issue and its comment reach the spoke through Elder, attributed to where the
    // comment was written.
    host.eventually("the comment reaches the spoke", || async {
        spoke.comments(1).len() == 1
    })
    .await;
    host.outbox_drained().await;
    assert_eq!(
        spoke.comments(1)[0].body,
        "*by octocat on GitHub*\n\nSeen on **1.2** too"
    );
    assert_eq!(
        writes_to(&spoke).len(),
        2,
        "the issue and the comment: {:?}",
        writes_to(&spoke)
    );
    assert_eq!(writes(&host), Vec::<String>::new());

    // A comment on the spoke reaches the first repository, by its webhook and the hub.
    spoke.user_comment(1, "hubot", "Same here").unwrap();
    host.eventually(
        "the spoke's comment reaches the first repository",
        || async { host.github.comments(1).len() == 2 },
    )
    .await;
    host.outbox_drained().await;
    assert_eq!(
        host.github.comments(1)[1].body,
        "*by hubot on GitHub*\n\nSame here"
    );
    assert_eq!(writes(&host).len(), 1, "{:?}", writes(&host));

    // Syncing both again writes nothing anywhere.
    let spoke_writes = writes_to(&spoke);
    host.poll("poll").await;
    poll_config(&host.engine, spoke_id, "poll", SyncMethod::Poll)
        .await
        .unwrap();
    host.outbox_drained().await;
    assert_eq!(writes(&host).len(), 1);
    assert_eq!(writes_to(&spoke), spoke_writes);
    assert_eq!(elder_comments(&host, 1).await.len(), 2);
}

/// The paths of the comment listings GitHub was asked for (`GET .../issues/{n}/comments`).
fn comment_listings(github: &GithubSim) -> Vec<String> {
    github
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.uri.contains("/comments"))
        .map(|r| r.uri.split('?').next().unwrap_or_default().to_string())
        .collect()
}

/// GitHub says how many comments an issue has: a first import of five issues asks for the
/// comments of the one that has some, not one request per issue; when that comment is
/// deleted there, the next poll still reads the issue's comments (Elder holds one) and
/// Elder follows. Workers are off: only polls move anything.
async fn comment_reads_follow_the_count(db: TestEngine) {
    let host = SyncHost::start(HostOptions {
        db,
        workers: false,
        ..HostOptions::default()
    })
    .await;
    for n in 1..=5 {
        host.github.seed_issue(SeedIssue {
            title: format!("Issue {n}"),
            ..SeedIssue::default()
        });
    }
    let id = host.github.user_comment(3, "octocat", "Only here").unwrap();
    let report = host.poll("backfill").await;
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(
        comment_listings(&host.github),
        vec!["/repos/octocat/Hello-World/issues/3/comments".to_string()],
        "one comment listing, for the issue with a comment"
    );
    assert_eq!(elder_comments(&host, 3).await.len(), 1);
    assert!(elder_comments(&host, 1).await.is_empty());

    host.github.user_delete_comment(id).unwrap();
    let before = comment_listings(&host.github).len();
    let report = host.poll("poll").await;
    assert_eq!(report.error, None, "{report:?}");
    assert_eq!(
        comment_listings(&host.github).len(),
        before + 1,
        "issue 3 (changed, none left there, one in Elder) is read once"
    );
    assert!(
        elder_comments(&host, 3).await.is_empty(),
        "the deletion on GitHub reached Elder"
    );
}
