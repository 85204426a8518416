//! The simulator's own behaviour, over HTTP with reqwest, as a connector would see it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::*;

async fn sim() -> TinytrackerSim {
    TinytrackerSim::start(TinytrackerOptions::default())
        .await
        .unwrap()
}

struct Api {
    c: reqwest::Client,
    tickets: String,
    auth: String,
}

impl Api {
    fn new(s: &TinytrackerSim) -> Api {
        Api {
            c: reqwest::Client::new(),
            tickets: format!("{}/api/projects/ELD/tickets", s.base_url()),
            auth: format!("Bearer {}", s.token()),
        }
    }

    async fn get(&self, suffix: &str) -> reqwest::Response {
        self.c
            .get(format!("{}{suffix}", self.tickets))
            .header("Authorization", &self.auth)
            .send()
            .await
            .unwrap()
    }

    async fn patch(&self, n: u64, body: Value) -> reqwest::Response {
        self.c
            .patch(format!("{}/{n}", self.tickets))
            .header("Authorization", &self.auth)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, body: Value) -> reqwest::Response {
        self.c
            .post(&self.tickets)
            .header("Authorization", &self.auth)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()[name].to_str().unwrap().to_string()
}

#[tokio::test]
async fn refuses_missing_or_wrong_bearer_tokens_with_json_401() {
    let s = sim().await;
    s.seed_ticket(SeedTicket {
        title: "secret".into(),
        ..Default::default()
    });
    let api = Api::new(&s);
    for auth in [
        None,
        Some("Bearer nope"),
        Some(&*format!("token {}", s.token())),
    ] {
        let mut req = api.c.get(format!("{}/1", api.tickets));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        assert_eq!(
            header(&r, "www-authenticate"),
            "Bearer realm=\"tinytracker\""
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "unauthorized");
        assert!(v.get("title").is_none());
    }
    assert_eq!(api.get("/1").await.status(), 200);
}

#[tokio::test]
async fn paginates_by_page_number_in_updated_then_number_order() {
    let s = sim().await;
    // 120 tickets, two per second, seeded newest first so number order differs from time order.
    for i in 0..120 {
        s.seed_ticket(SeedTicket {
            title: format!("t{i}"),
            updated_at: Some(1_700_000_000 + (119 - i) / 2),
            ..Default::default()
        });
    }
    let api = Api::new(&s);
    let mut seen = Vec::new();
    for page in 1..=3 {
        let r = api.get(&format!("?per_page=500&page={page}")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-total-pages"), "3");
        assert_eq!(header(&r, "x-total-count"), "120");
        assert_eq!(header(&r, "x-per-page"), "50", "per_page is capped at 50");
        let rows: Vec<Value> = r.json().await.unwrap();
        assert_eq!(rows.len(), if page < 3 { 50 } else { 20 });
        seen.extend(rows);
    }
    let keys: Vec<(String, u64)> = seen
        .iter()
        .map(|t| {
            (
                t["updated_at"].as_str().unwrap().into(),
                t["number"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(keys[0], ("2023-11-14T22:13:20+00:00".into(), 119));
    assert_eq!(keys[1].1, 120);
    let rows: Vec<Value> = api.get("?per_page=50&page=4").await.json().await.unwrap();
    assert!(rows.is_empty(), "past the last page is an empty array");
}

#[tokio::test]
async fn updated_since_is_inclusive_and_needs_an_encoded_plus() {
    let s = sim().await;
    for i in 0..10 {
        s.seed_ticket(SeedTicket {
            title: format!("t{i}"),
            updated_at: Some(1_700_000_000 + i),
            ..Default::default()
        });
    }
    let api = Api::new(&s);
    let since = rfc3339(1_700_000_007).replace('+', "%2B");
    let r = api.get(&format!("?updated_since={since}")).await;
    let rows: Vec<Value> = r.json().await.unwrap();
    let numbers: Vec<u64> = rows.iter().map(|t| t["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, vec![8, 9, 10]);
    let r = api.get("?updated_since=2023-11-14T22:13:29Z").await;
    assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 1);
    let raw_plus = api
        .get(&format!("?updated_since={}", rfc3339(1_700_000_007)))
        .await;
    assert_eq!(raw_plus.status(), 400);
    let v: Value = raw_plus.json().await.unwrap();
    assert_eq!(v["error"]["code"], "invalid_parameter");
    let r = api.get("?updated_since=2099-01-01T00:00:00Z").await;
    assert_eq!(header(&r, "x-total-pages"), "0");
}

#[tokio::test]
async fn creates_open_tickets_and_refuses_bad_bodies() {
    let s = sim().await;
    let api = Api::new(&s);
    let r = api
        .post(json!({"title": " Printer on fire ", "labels": ["bug", " bug", "p1", ""]}))
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(header(&r, "location"), "/api/projects/ELD/tickets/1");
    let t: Value = r.json().await.unwrap();
    assert_eq!(
        (&t["title"], &t["state"], &t["revision"], &t["body"]),
        (
            &json!("Printer on fire"),
            &json!("open"),
            &json!(1),
            &Value::Null
        )
    );
    assert_eq!(t["labels"], json!(["bug", "p1"]));
    assert!(t["updated_at"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(t["url"], format!("{}/p/ELD/tickets/1", s.base_url()));
    for bad in [
        json!({"title": "  "}),
        json!({"title": "x", "state": "done"}),
        json!({}),
    ] {
        let r = api.post(bad.clone()).await;
        assert_eq!(r.status(), 422, "{bad}");
    }
    let r = api
        .c
        .post(&api.tickets)
        .header("Authorization", &api.auth)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let other = format!("{}/api/projects/NOPE/tickets/1", s.base_url());
    let r = api
        .c
        .get(other)
        .header("Authorization", &api.auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(s.tickets().len(), 1);
}

#[tokio::test]
async fn patch_needs_the_current_revision_and_answers_409_with_the_ticket() {
    let s = sim().await;
    let n = s.seed_ticket(SeedTicket {
        title: "t".into(),
        labels: vec!["a".into()],
        updated_at: Some(1_600_000_000),
        ..Default::default()
    });
    let api = Api::new(&s);
    let r = api.patch(n, json!({"state": "done"})).await;
    assert_eq!(r.status(), 422, "revision is required");
    let r = api
        .patch(n, json!({"revision": 1, "state": "done", "labels": ["b"]}))
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!((&t["revision"], &t["state"]), (&json!(2), &json!("done")));
    assert_ne!(t["updated_at"], rfc3339(1_600_000_000));
    s.person_edit(
        n,
        TicketEdit {
            title: Some("renamed by a person".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let r = api.patch(n, json!({"revision": 2, "title": "mine"})).await;
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "revision_conflict");
    assert_eq!(v["ticket"]["revision"], 3);
    assert_eq!(v["ticket"]["title"], "renamed by a person");
    assert_eq!(s.ticket(n).unwrap().title, "renamed by a person");
    let r = api
        .patch(n, json!({"revision": 3, "title": "renamed by a person"}))
        .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["revision"],
        3,
        "no-op is no bump"
    );
    let r = api
        .patch(n, json!({"revision": 3, "state": "closed"}))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(api.patch(999, json!({"revision": 1})).await.status(), 404);
}

#[tokio::test]
async fn answers_429_with_retry_after_on_demand_and_performs_nothing() {
    let s = sim().await;
    let api = Api::new(&s);
    s.rate_limit_next(1, 7);
    let r = api.post(json!({"title": "x"})).await;
    assert_eq!(
        (r.status().as_u16(), header(&r, "retry-after")),
        (429, "7".into())
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limited");
    assert!(s.tickets().is_empty(), "a refused create creates nothing");
    assert_eq!(api.get("").await.status(), 200, "planned limit is used up");
    s.set_rate_limited(Some(30));
    for _ in 0..3 {
        let r = api.get("").await;
        assert_eq!(
            (r.status().as_u16(), header(&r, "retry-after")),
            (429, "30".into())
        );
    }
    s.set_rate_limited(None);
    assert_eq!(api.get("/1").await.status(), 404);
    assert_eq!(s.count_requests("/api/projects/ELD/tickets"), 5);
    assert_eq!(s.count_requests("/api/projects/ELD/tickets/1"), 1);
    assert_eq!(s.request_count(), 6);
}

type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

async fn receiver() -> (crate::server::SimServer, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |h: HeaderMap, body: axum::body::Bytes| async move {
            sink.lock().unwrap().push((h, body.to_vec()));
            "ok"
        }),
    );
    (crate::server::SimServer::start(app).await.unwrap(), got)
}

async fn wait_for(got: &Received, n: usize) -> Vec<(HeaderMap, Vec<u8>)> {
    for _ in 0..200 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    got.lock().unwrap().clone()
}

/// Verifies a signature without the simulator's own `sign`.
fn verifies(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

#[test]
fn signs_like_the_published_hmac_sha256_vector() {
    assert_eq!(
        sign("It's a Secret to Everybody", b"Hello, World!"),
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
}

#[tokio::test]
async fn every_change_posts_a_signed_delivery() {
    let s = sim().await;
    let (rx, got) = receiver().await;
    s.set_webhook(Some(HookConfig {
        url: Some(format!("{}/hook", rx.base_url())),
        secret: "whsecret".into(),
    }));
    let n = s.person_create("by a person", None, vec![]).unwrap();
    assert!(
        s.person_create(" ", None, vec![]).is_err(),
        "blank titles are refused"
    );
    wait_for(&got, 1).await;
    let api = Api::new(&s);
    api.patch(n, json!({"revision": 1, "state": "done"})).await;
    wait_for(&got, 2).await;
    api.patch(n, json!({"revision": 2, "state": "done"})).await; // no-op: no delivery
    s.person_delete(n).unwrap();
    let received = wait_for(&got, 3).await;
    assert_eq!(received.len(), 3);
    let mut events = Vec::new();
    for (h, body) in &received {
        let sig = h["x-tinytracker-signature"].to_str().unwrap();
        assert!(
            verifies("whsecret", body, sig),
            "signature over the raw body"
        );
        assert!(!verifies("other", body, sig));
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["delivery"], h["x-tinytracker-delivery"].to_str().unwrap());
        assert_eq!(v["ticket"]["number"], n);
        events.push((
            v["event"].as_str().unwrap().to_string(),
            v["ticket"]["revision"].clone(),
        ));
    }
    assert_eq!(
        events,
        vec![
            ("ticket.created".to_string(), json!(1)),
            ("ticket.updated".to_string(), json!(2)),
            ("ticket.deleted".to_string(), json!(2)),
        ]
    );
    let mut recorded = s.deliveries();
    for _ in 0..200 {
        if recorded.iter().all(|d| d.status.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        recorded = s.deliveries();
    }
    assert!(
        recorded.iter().all(|d| d.status == Some(200)),
        "{recorded:?}"
    );
    assert!(s.redeliver(&recorded[0].delivery_id));
    let again = wait_for(&got, 4).await;
    assert_eq!(
        again[3].1, received[0].1,
        "a redelivery is byte for byte the same"
    );
    assert_eq!(
        again[3].0["x-tinytracker-delivery"],
        received[0].0["x-tinytracker-delivery"]
    );
}

#[tokio::test]
async fn person_edits_bump_the_revision_and_seeds_emit_nothing() {
    let s = sim().await;
    s.set_webhook(Some(HookConfig {
        url: None,
        secret: "k".into(),
    }));
    let n = s.seed_ticket(SeedTicket {
        title: "seeded".into(),
        ..Default::default()
    });
    assert!(s.deliveries().is_empty());
    s.person_edit(
        n,
        TicketEdit {
            labels: Some(vec!["triaged".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    let t = s.ticket(n).unwrap();
    assert_eq!(
        (t.revision, t.labels.clone()),
        (2, vec!["triaged".to_string()])
    );
    let d = s.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].event, "ticket.updated");
    assert_eq!(
        d[0].header("X-Tinytracker-Signature").unwrap(),
        sign("k", &d[0].body)
    );
    assert_eq!(s.request_count(), 0);
}

#[tokio::test]
async fn api_delete_removes_the_ticket_and_emits_ticket_deleted() {
    let s = sim().await;
    s.set_webhook(Some(HookConfig {
        url: None,
        secret: "k".into(),
    }));
    let api = Api::new(&s);
    let t: Value = api
        .post(json!({"title": "short-lived"}))
        .await
        .json()
        .await
        .unwrap();
    let n = t["number"].as_u64().unwrap();
    let r = api
        .c
        .delete(format!("{}/{n}", api.tickets))
        .header("Authorization", &api.auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(api.get(&format!("/{n}")).await.status(), 404);
    assert!(
        api.get("")
            .await
            .json::<Vec<Value>>()
            .await
            .unwrap()
            .is_empty()
    );
    let events: Vec<String> = s.deliveries().iter().map(|d| d.event.clone()).collect();
    assert_eq!(events, vec!["ticket.created", "ticket.deleted"]);
    let again: Value = api
        .post(json!({"title": "next"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["number"], n + 1, "numbers are never reused");
}

#[tokio::test]
async fn a_change_while_paging_shifts_rows_across_pages() {
    let s = sim().await;
    for i in 0..4 {
        s.seed_ticket(SeedTicket {
            title: format!("t{i}"),
            updated_at: Some(1_700_000_000 + i),
            ..Default::default()
        });
    }
    let api = Api::new(&s);
    let numbers = |rows: Vec<Value>| -> Vec<u64> {
        rows.iter().map(|t| t["number"].as_u64().unwrap()).collect()
    };
    let first = numbers(api.get("?per_page=2&page=1").await.json().await.unwrap());
    assert_eq!(first, vec![1, 2]);
    s.person_edit(
        1,
        TicketEdit {
            state: Some("done".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let second = numbers(api.get("?per_page=2&page=2").await.json().await.unwrap());
    assert_eq!(
        second,
        vec![4, 1],
        "ticket 3 slid back onto page 1: naive paging misses it"
    );
}
