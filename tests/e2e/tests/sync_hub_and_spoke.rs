//! Hub and spoke: two platforms linked to one Elder project with `two_way_create` on. For
//! many rounds, items are created and edited on every side and closed on one; each change
//! must reach the other two sides exactly once (no loop: an exact number of writes per
//! platform, and the request logs stop growing once quiet; no duplicate: every item exists
//! once on each side and once in Elder, with one mapping per platform). Run over three
//! pairs, so every connector takes part.

use std::collections::BTreeSet;

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_store::{Resource, ResourcePatch, ResourceStatus};

const ROUNDS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_and_gitlab_through_elder_never_loop_and_never_duplicate() {
    hub_and_spoke(Platform::Github, Platform::Gitlab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_and_jira_through_elder_never_loop_and_never_duplicate() {
    hub_and_spoke(Platform::Gitlab, Platform::Jira).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trello_and_openproject_through_elder_never_loop_and_never_duplicate() {
    hub_and_spoke(Platform::Trello, Platform::OpenProject).await;
}

/// The Elder issue titled `title` once it is on Elder and on both platforms.
async fn everywhere(host: &PlatformHost, sides: [Platform; 2], title: &str) -> Resource {
    host.eventually(&format!("{title:?} exists on every side"), || async {
        on_every_side(host, sides, title).await.is_some()
    })
    .await;
    on_every_side(host, sides, title).await.unwrap()
}

async fn on_every_side(host: &PlatformHost, sides: [Platform; 2], title: &str) -> Option<Resource> {
    let r = host
        .elder_issues()
        .await
        .into_iter()
        .find(|i| i.title == title)?;
    for p in sides {
        if host
            .seen_for_elder(p, r.id)
            .await
            .is_none_or(|s| s.title != title)
        {
            return None;
        }
    }
    Some(r)
}

async fn external(host: &PlatformHost, p: Platform, elder_id: i64) -> String {
    host.external_id(p, elder_id).await.expect("mapped")
}

async fn hub_and_spoke(a: Platform, b: Platform) {
    let sides = [a, b];
    let host = PlatformHost::start(PlatformOptions {
        platforms: vec![a, b],
        ..PlatformOptions::one(a)
    })
    .await;
    host.settle(3).await;

    for r in 0..ROUNDS {
        // One item born on each side.
        let (from_a, from_b, from_elder) = (
            format!("r{r} from {a:?}"),
            format!("r{r} from {b:?}"),
            format!("r{r} from Elder"),
        );
        host.person_creates(a, &from_a);
        host.person_creates(b, &from_b);
        host.create_in_elder(&from_elder).await;
        let born_a = everywhere(&host, sides, &from_a).await;
        let born_b = everywhere(&host, sides, &from_b).await;
        let born_elder = everywhere(&host, sides, &from_elder).await;
        host.settle(3).await;

        // Each side edits an item born elsewhere, all at once.
        let edits = [
            format!("{from_b}, edited on {a:?}"),
            format!("{from_elder}, edited on {b:?}"),
            format!("{from_a}, edited in Elder"),
        ];
        host.person_renames(a, &external(&host, a, born_b.id).await, &edits[0]);
        host.person_renames(b, &external(&host, b, born_elder.id).await, &edits[1]);
        host.edit_in_elder(
            born_a.id,
            ResourcePatch {
                title: Some(edits[2].clone()),
                ..ResourcePatch::default()
            },
        )
        .await;
        for title in &edits {
            everywhere(&host, sides, title).await;
        }
        host.settle(3).await;

        // `b` closes the item born on `a`: closed everywhere.
        host.person_closes(b, &external(&host, b, born_a.id).await);
        host.eventually("the close reaches Elder and the other platform", || async {
            let elder = host.elder_issues().await;
            let closed_in_elder = elder
                .iter()
                .any(|i| i.id == born_a.id && i.status == ResourceStatus::Closed);
            let closed_on_a = host
                .seen_for_elder(a, born_a.id)
                .await
                .is_some_and(|s| s.closed);
            closed_in_elder && closed_on_a
        })
        .await;
        host.settle(3).await;
    }

    // Quiet: nothing more is sent by anyone.
    host.settle(10).await;
    let sent = host.tap.sent().len();
    host.settle(10).await;
    assert_eq!(host.tap.sent().len(), sent, "the host kept sending");

    // No duplicate: every item once on each side, one mapping per platform, same content.
    let items = 3 * ROUNDS;
    let elder = host.elder_issues().await;
    assert_eq!(elder.len(), items, "Elder");
    let titles: BTreeSet<&str> = elder.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles.len(), items, "titles are unique");
    for p in sides {
        assert_eq!(host.issue_count(p), items, "{p:?}");
        let mut ids = BTreeSet::new();
        for i in &elder {
            ids.insert(external(&host, p, i.id).await);
            let seen = host.seen_for_elder(p, i.id).await.expect("on the platform");
            assert_eq!(seen.title, i.title, "{p:?}");
            assert_eq!(
                seen.closed,
                i.status == ResourceStatus::Closed,
                "{p:?}: {}",
                i.title
            );
        }
        assert_eq!(ids.len(), items, "{p:?}: one platform item per Elder item");
    }
    let closed = elder
        .iter()
        .filter(|i| i.status == ResourceStatus::Closed)
        .count();
    assert_eq!(closed, ROUNDS);

    // No loop: each platform got one write per create, edit and close made elsewhere
    // (`a`: two creates, two edits and `b`'s close a round; `b`: two creates, two edits).
    let writes_a = host.tap.writes_to(&host.sim_url(a));
    let writes_b = host.tap.writes_to(&host.sim_url(b));
    assert_eq!(writes_a.len(), ROUNDS * 5, "{a:?}: {writes_a:#?}");
    assert_eq!(writes_b.len(), ROUNDS * 4, "{b:?}: {writes_b:#?}");
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}
