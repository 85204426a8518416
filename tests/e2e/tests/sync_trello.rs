//! The sync engine end to end with Trello: the Trello component in the runtime against the
//! Trello simulator. The webhook is registered the way Trello requires (a `HEAD` handshake
//! to the callback URL), and deliveries are signed over the body plus that exact URL,
//! which the host knows as its `public_url`.

use elder_sync_e2e::platform_harness::{Platform, PlatformHost, PlatformOptions};
use elder_sync_store::testing::TestEngine;
use elder_sync_store::{ResourcePatch, ResourceStatus};
use platform_simulators::trello::signature;
use serde_json::{Value, json};

const TR: Platform = Platform::Trello;

/// A host whose backfill of `n` cards ran in pages of `page`; the webhook registered after.
/// Returns the host and the card ids, oldest first.
async fn backfilled(n: usize, page: i64) -> (PlatformHost, Vec<String>) {
    backfilled_on(TestEngine::Sqlite, n, page).await
}

async fn backfilled_on(db: TestEngine, n: usize, page: i64) -> (PlatformHost, Vec<String>) {
    let host = PlatformHost::start(PlatformOptions {
        db,
        webhooks: false,
        batch_size: page,
        ..PlatformOptions::one(TR)
    })
    .await;
    let ids: Vec<String> = (1..=n)
        .map(|i| {
            host.trello().create_card(json!({
                "name": format!("Card {i}"),
                "desc": format!("Body of card {i}"),
            }))
        })
        .collect();
    host.backfill_clean(TR).await;
    host.connect_webhooks().await;
    assert_eq!(
        host.trello().webhook_count(),
        1,
        "the HEAD handshake succeeded"
    );
    (host, ids)
}

fn card(host: &PlatformHost, id: &str) -> Value {
    host.trello().card(id).unwrap()
}

fn list_of(host: &PlatformHost, id: &str) -> String {
    card(host, id)["idList"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_pages_then_edits_flow_both_ways_without_echo() {
    both_ways(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_pages_then_edits_flow_both_ways_on_postgresql() {
    both_ways(TestEngine::Postgres).await;
}

async fn both_ways(db: TestEngine) {
    let (host, ids) = backfilled_on(db, 25, 10).await;
    assert_eq!(host.elder_issues().await.len(), 25);
    let board_reads = host
        .tap
        .sent()
        .iter()
        .filter(|r| r.method == "GET" && r.url.contains("/cards"))
        .count();
    assert!(
        board_reads >= 3,
        "25 cards in pages of 10: {board_reads} reads"
    );
    let first = host.elder_issue(TR, &ids[0]).await.unwrap();
    assert_eq!(first.title, "Card 1");
    assert_eq!(first.description, "Body of card 1");

    // Trello -> Elder by a delivery signed over body + callback URL.
    host.trello()
        .update_card(&ids[2], json!({"name": "Renamed on Trello"}));
    host.eventually("the rename reaches Elder", || async {
        host.elder_issue(TR, &ids[2])
            .await
            .is_some_and(|i| i.title == "Renamed on Trello")
    })
    .await;
    let delivery = host.trello().deliveries().pop().unwrap();
    assert_eq!(delivery.callback_url, host.webhook_url(TR));

    // Elder -> Trello through the outbox: one write, and the echo changes nothing.
    host.settle(3).await;
    let writes_before = host.tap.writes_to(&host.trello().base_url()).len();
    let elder = host.elder_issue(TR, &ids[4]).await.unwrap();
    let edited = host
        .edit_in_elder(
            elder.id,
            ResourcePatch {
                title: Some("Renamed in Elder".into()),
                ..ResourcePatch::default()
            },
        )
        .await;
    host.eventually("the Elder rename reaches Trello", || async {
        card(&host, &ids[4])["name"] == "Renamed in Elder"
    })
    .await;
    host.eventually("Trello's webhook for our own write was sent", || async {
        host.trello()
            .deliveries()
            .iter()
            .any(|d| d.body.windows(16).any(|w| w == b"Renamed in Elder"))
    })
    .await;
    host.settle(5).await;
    let after = host.elder_issue(TR, &ids[4]).await.unwrap();
    assert_eq!(after.title, "Renamed in Elder");
    assert_eq!(after.version, edited.version, "the echo was applied again");
    let writes = host.tap.writes_to(&host.trello().base_url());
    assert_eq!(writes.len() - writes_before, 1, "{writes:?}");
    assert_eq!(host.elder_issues().await.len(), 25, "no twin in Elder");
    assert_eq!(host.trello().card_count(), 25, "no twin on the board");
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_and_reopening_on_either_side_reaches_the_other() {
    let (host, ids) = backfilled(2, 100).await;
    let done = host.trello().list_id("Done").unwrap();
    let todo = host.trello().list_id("To Do").unwrap();
    host.trello().update_card(&ids[0], json!({"idList": done}));
    host.eventually("moving to Done closes it in Elder", || async {
        host.elder_issue(TR, &ids[0])
            .await
            .is_some_and(|i| i.status == ResourceStatus::Closed)
    })
    .await;
    host.trello().update_card(&ids[0], json!({"idList": todo}));
    host.eventually("moving back reopens it in Elder", || async {
        host.elder_issue(TR, &ids[0])
            .await
            .is_some_and(|i| i.status == ResourceStatus::Open)
    })
    .await;

    let elder = host.elder_issue(TR, &ids[1]).await.unwrap();
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            status: Some(ResourceStatus::Closed),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("Elder's close moves the card to Done", || async {
        list_of(&host, &ids[1]) == done
    })
    .await;
    host.settle(3).await;
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            status: Some(ResourceStatus::Open),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("Elder's reopen moves it out of Done", || async {
        list_of(&host, &ids[1]) != done
    })
    .await;
    host.settle(3).await;
    assert_eq!(
        host.elder_issue(TR, &ids[1]).await.unwrap().status,
        ResourceStatus::Open
    );
    assert_eq!(card(&host, &ids[1])["closed"], false, "not archived");
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_cover_the_exact_callback_url_and_bad_ones_are_refused() {
    let (host, ids) = backfilled(1, 100).await;
    let secret = host.trello().options().app_secret;
    host.settle(3).await;
    host.trello()
        .update_card(&ids[0], json!({"desc": "Genuine change"}));
    host.eventually("the genuine change is applied", || async {
        host.elder_issue(TR, &ids[0])
            .await
            .is_some_and(|i| i.description == "Genuine change")
    })
    .await;
    let genuine = host.trello().deliveries().pop().unwrap();
    let signed_for = |url: &str| {
        vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            (
                "X-Trello-Webhook".to_string(),
                signature(&secret, &genuine.body, url),
            ),
        ]
    };
    // Signed with the right secret over another callback URL.
    let elsewhere = format!("{}/", host.webhook_url(TR));
    let (status, body) = host
        .post_webhook(TR, &signed_for(&elsewhere), genuine.body.clone())
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
    // A changed body.
    let mut forged = genuine.body.clone();
    forged.extend_from_slice(b"\n");
    let (status, _) = host
        .post_webhook(TR, &signed_for(&host.webhook_url(TR)), forged)
        .await;
    assert_eq!(status, 401);
    assert_eq!(host.inbox_depth().await, 0, "nothing was stored");

    // The same body signed over the exact URL is the genuine delivery: a duplicate now.
    let (status, _) = host
        .post_webhook(TR, &signed_for(&host.webhook_url(TR)), genuine.body.clone())
        .await;
    assert_eq!(status, 200, "the action id makes it a redelivery");
    let head = reqwest::Client::new()
        .head(host.webhook_url(TR))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200, "the handshake route answers HEAD");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_push_backs_off_and_lands_once() {
    let (host, ids) = backfilled(1, 100).await;
    host.settle(3).await;
    let before = host.tap.sent().len();
    host.trello().rate_limit_next(1);
    let elder = host.elder_issue(TR, &ids[0]).await.unwrap();
    host.edit_in_elder(
        elder.id,
        ResourcePatch {
            title: Some("Pushed after a 429".into()),
            ..ResourcePatch::default()
        },
    )
    .await;
    host.eventually("the push lands after backing off", || async {
        card(&host, &ids[0])["name"] == "Pushed after a 429"
    })
    .await;
    host.settle(3).await;
    let sent = host.tap.sent();
    assert!(
        sent[before..].iter().any(|r| r.status == Some(429)),
        "Trello answered 429 first"
    );
    let writes = host.tap.writes_to(&host.trello().base_url());
    assert_eq!(
        writes.iter().filter(|w| w.method == "PUT").count(),
        1,
        "{writes:?}"
    );
    let failed = host.failed_outbox().await;
    assert!(failed.is_empty(), "{failed:?}");
}
