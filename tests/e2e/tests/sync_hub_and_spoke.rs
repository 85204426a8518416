//! Hub and spoke: GitHub and GitLab both linked to one Elder project with `two_way_create`
//! on. For many rounds, items are created and edited on every side and closed on one; each
//! change must reach the other two sides exactly once (no loop: a bounded number of writes
//! per platform, and the request logs stop growing once quiet; no duplicate: every item
//! exists once on each side and once in Elder, with one mapping per platform).

use std::collections::BTreeSet;

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_model::Kind;
use elder_sync_store::{Resource, ResourcePatch, ResourceStatus};
use platform_simulators::{github, gitlab};

const GH: Platform = Platform::Github;
const GL: Platform = Platform::Gitlab;
const ROUNDS: usize = 5;

fn gitlab_issues(host: &PlatformHost) -> Vec<gitlab::Issue> {
    // GitLab iids are dense from 1; a few past the end prove nothing else exists.
    (1..=(3 * ROUNDS as u64 + 5))
        .filter_map(|iid| host.gitlab().issue(iid))
        .collect()
}

/// The Elder issue titled `title`, waiting until it exists on all three sides.
async fn everywhere(host: &PlatformHost, title: &str) -> Resource {
    host.eventually(&format!("{title:?} exists on every side"), || async {
        on_every_side(host, title).await
    })
    .await;
    host.elder_issues()
        .await
        .into_iter()
        .find(|i| i.title == title)
        .unwrap()
}

async fn on_every_side(host: &PlatformHost, title: &str) -> bool {
    let in_elder = host.elder_issues().await.iter().any(|i| i.title == title);
    let on_github = host.github().issues().iter().any(|i| i.title == title);
    let on_gitlab = gitlab_issues(host).iter().any(|i| i.title == title);
    in_elder && on_github && on_gitlab
}

async fn rename_in_elder(host: &PlatformHost, id: i64, title: &str) {
    host.edit_in_elder(
        id,
        ResourcePatch {
            title: Some(title.into()),
            ..ResourcePatch::default()
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_platforms_through_elder_never_loop_and_never_duplicate() {
    let host = PlatformHost::start(PlatformOptions {
        platforms: vec![GH, GL],
        ..PlatformOptions::one(GH)
    })
    .await;
    host.settle(3).await;
    let (gh_url, gl_url) = (host.github().base_url(), host.gitlab().base_url());

    for r in 0..ROUNDS {
        // One item born on each side.
        let number = host
            .github()
            .user_open_issue(&format!("r{r} from GitHub"), github::IssueEdit::default())
            .unwrap();
        let iid = host
            .gitlab()
            .create_issue(&format!("r{r} from GitLab"), gitlab::IssueEdit::default())
            .iid;
        let elder_born = host.create_in_elder(&format!("r{r} from Elder")).await;
        let a = everywhere(&host, &format!("r{r} from GitHub")).await;
        let b = everywhere(&host, &format!("r{r} from GitLab")).await;
        everywhere(&host, &format!("r{r} from Elder")).await;
        host.settle(3).await;

        // Each side edits an item born elsewhere, all at once.
        let b_on_github: u64 = host.external_id(GH, b.id).await.unwrap().parse().unwrap();
        host.github()
            .user_edit_issue(
                b_on_github,
                github::IssueEdit {
                    title: Some(format!("r{r} from GitLab, edited on GitHub")),
                    ..github::IssueEdit::default()
                },
            )
            .unwrap();
        let elder_on_gitlab: u64 = host
            .external_id(GL, elder_born.id)
            .await
            .unwrap()
            .parse()
            .unwrap();
        host.gitlab().update_issue(
            elder_on_gitlab,
            gitlab::IssueEdit {
                title: Some(format!("r{r} from Elder, edited on GitLab")),
                ..gitlab::IssueEdit::default()
            },
        );
        rename_in_elder(&host, a.id, &format!("r{r} from GitHub, edited in Elder")).await;
        for title in [
            format!("r{r} from GitLab, edited on GitHub"),
            format!("r{r} from Elder, edited on GitLab"),
            format!("r{r} from GitHub, edited in Elder"),
        ] {
            everywhere(&host, &title).await;
        }
        host.settle(3).await;

        // GitLab closes the item born on GitHub: closed everywhere.
        let a_on_gitlab: u64 = host.external_id(GL, a.id).await.unwrap().parse().unwrap();
        host.gitlab().update_issue(
            a_on_gitlab,
            gitlab::IssueEdit {
                state_event: Some("close".into()),
                ..gitlab::IssueEdit::default()
            },
        );
        host.eventually("GitLab's close reaches Elder and GitHub", || async {
            let elder = host.store.get_resource(Kind::Issue, a.id).await.unwrap();
            elder.status == ResourceStatus::Closed
                && host.github().issue(number).unwrap().state == "closed"
        })
        .await;
        host.settle(3).await;
        assert!(host.gitlab().issue(iid).is_some());
    }

    // Quiet: nothing more is sent by anyone.
    host.settle(10).await;
    let sent = host.tap.sent().len();
    let (gh_requests, gl_requests) = (host.github().request_count(), host.gitlab().request_count());
    let (gh_hooks, gl_hooks) = (
        host.github().deliveries().len(),
        host.gitlab().deliveries().len(),
    );
    host.settle(10).await;
    assert_eq!(host.tap.sent().len(), sent, "the host kept sending");
    assert_eq!(host.github().request_count(), gh_requests);
    assert_eq!(host.gitlab().request_count(), gl_requests);
    assert_eq!(
        host.github().deliveries().len(),
        gh_hooks,
        "GitHub kept hooking"
    );
    assert_eq!(
        host.gitlab().deliveries().len(),
        gl_hooks,
        "GitLab kept hooking"
    );

    // No duplicate: every item once on each side, one mapping per platform.
    let items = 3 * ROUNDS;
    let elder = host.elder_issues().await;
    let github_issues = host.github().issues();
    let gitlab_issues = gitlab_issues(&host);
    assert_eq!(elder.len(), items, "Elder");
    assert_eq!(github_issues.len(), items, "GitHub");
    assert_eq!(gitlab_issues.len(), items, "GitLab");
    let titles = |t: Vec<String>| t.into_iter().collect::<BTreeSet<_>>();
    let elder_titles = titles(elder.iter().map(|i| i.title.clone()).collect());
    assert_eq!(elder_titles.len(), items, "titles are unique");
    assert_eq!(
        titles(github_issues.iter().map(|i| i.title.clone()).collect()),
        elder_titles
    );
    assert_eq!(
        titles(gitlab_issues.iter().map(|i| i.title.clone()).collect()),
        elder_titles
    );
    for i in &elder {
        let on_github = host.external_id(GH, i.id).await.expect("mapped to GitHub");
        let on_gitlab = host.external_id(GL, i.id).await.expect("mapped to GitLab");
        let gh = host.github().issue(on_github.parse().unwrap()).unwrap();
        let gl = host.gitlab().issue(on_gitlab.parse().unwrap()).unwrap();
        assert_eq!(
            (gh.title.as_str(), gl.title.as_str()),
            (i.title.as_str(), i.title.as_str())
        );
    }

    // No loop: each platform got one write per create, edit and close made elsewhere
    // (GitHub: two creates, two edits, one close a round; GitLab: two creates, two edits).
    let gh_writes = host.tap.writes_to(&gh_url);
    let gl_writes = host.tap.writes_to(&gl_url);
    assert_eq!(gh_writes.len(), ROUNDS * 5, "{gh_writes:?}");
    assert_eq!(gl_writes.len(), ROUNDS * 4, "{gl_writes:?}");
    let closed = |states: Vec<bool>| states.into_iter().filter(|c| *c).count();
    assert_eq!(
        closed(
            elder
                .iter()
                .map(|i| i.status == ResourceStatus::Closed)
                .collect()
        ),
        ROUNDS
    );
    assert_eq!(
        closed(github_issues.iter().map(|i| i.state == "closed").collect()),
        ROUNDS
    );
    assert_eq!(
        closed(gitlab_issues.iter().map(|i| i.state == "closed").collect()),
        ROUNDS
    );
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}
