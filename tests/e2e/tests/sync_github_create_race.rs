//! Elder -> GitHub creates never make twins: the mapping is reserved before the create
//! call, and a second replica over the same database leaves GitHub's webhook for our own
//! create alone while the first holds the config's lease for the call; it applies it after,
//! as our own write coming back, without creating a copy in Elder.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use elder_sync_e2e::sync_harness::{HostOptions, SyncHost, engine_over};
use elder_sync_engine::dispatch::dispatch_batch;
use elder_sync_engine::ingest::process_inbox_batch;
use elder_sync_model::Kind;
use elder_sync_store::testing::{TestEngine, test_secret_key};
use elder_sync_store::{NewResource, Store, SyncConfigPatch, SyncStatus};
use platform_simulators::server::SimServer;
use serde_json::json;
use tokio::sync::Semaphore;

/// A pass-through proxy to the GitHub simulator that holds the answer to `POST .../issues`
/// (after GitHub has created the issue) until the test releases it.
#[derive(Clone)]
struct Proxy {
    upstream: String,
    release: Arc<Semaphore>,
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let body: Bytes = axum::body::to_bytes(req.into_body(), 10 << 20)
        .await
        .unwrap_or_default();
    let url = format!(
        "{}{}",
        p.upstream,
        uri.path_and_query().map_or("/", |pq| pq.as_str())
    );
    let mut out = reqwest::Client::new()
        .request(method.clone(), url)
        .body(body.to_vec());
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            out = out.header(k, v);
        }
    }
    let Ok(resp) = out.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = resp.status();
    let resp_headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap_or_default();
    if method == Method::POST && uri.path().ends_with("/issues") {
        let _permit = p.release.acquire().await.expect("release semaphore");
    }
    let mut answer = Response::new(Body::from(bytes));
    *answer.status_mut() = status;
    for (k, v) in &resp_headers {
        if k != "content-length" && k != "transfer-encoding" {
            answer.headers_mut().insert(k, v.clone());
        }
    }
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_for_our_own_create_arriving_before_the_call_returns_makes_no_twin() {
    race(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_twin_on_postgresql_either() {
    race(TestEngine::Postgres).await;
}

async fn race(db: TestEngine) {
    let host = SyncHost::start(HostOptions {
        workers: false,
        db,
        ..HostOptions::default()
    })
    .await;
    let proxy = Proxy {
        upstream: host.github.base_url().trim_end_matches('/').to_string(),
        release: Arc::new(Semaphore::new(0)),
    };
    let server = SimServer::start(
        axum::Router::new()
            .fallback(forward)
            .with_state(proxy.clone()),
    )
    .await
    .unwrap();
    let mut settings = serde_json::Map::new();
    settings.insert("base_url".into(), json!(server.base_url()));
    host.store
        .update_config(
            host.config_id,
            &SyncConfigPatch {
                config_json: Some(settings),
                ..SyncConfigPatch::default()
            },
        )
        .await
        .unwrap();

    let ours = host
        .store
        .create_resource(
            Kind::Issue,
            &NewResource {
                title: "Made in Elder".into(),
                description: "created while a webhook races it".into(),
                project_id: Some(host.project_id),
                ..NewResource::default()
            },
        )
        .await
        .unwrap();
    // Replica A pushes the create; GitHub creates the issue but its answer is held.
    let engine_a = host.engine.clone();
    let push = tokio::spawn(async move { dispatch_batch(&engine_a, 10).await });
    host.eventually("GitHub's webhook for the new issue is stored", || async {
        host.github
            .deliveries()
            .iter()
            .any(|d| d.action == "opened" && d.status == Some(202))
    })
    .await;
    let reserved = host
        .store
        .find_mapping_by_elder(host.config_id, Kind::Issue, ours.id)
        .await
        .unwrap()
        .expect("the mapping is reserved before the create call returns");
    assert_eq!(reserved.sync_status, SyncStatus::Pending);

    // Replica B's inbox worker leaves the config's deliveries alone while A's create holds
    // the config's lease (issue 15; issue 17: workers skip a held config instead of waiting).
    let store_b = Store::open_with(&host.db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let engine_b = engine_over(store_b);
    assert_eq!(process_inbox_batch(&engine_b, 10).await.unwrap(), 0);
    let issues = host.elder_issues().await;
    assert_eq!(issues.len(), 1, "no twin was created: {issues:?}");

    proxy.release.add_permits(1);
    push.await.unwrap().unwrap();
    // Once A's lease is released, B applies GitHub's webhook for our own create: no twin.
    let mut applied = 0;
    for _ in 0..100 {
        applied += process_inbox_batch(&engine_b, 10).await.unwrap();
        if applied > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(applied, 1, "B applied the delivery once the lease was free");
    let github = host.github.issues();
    assert_eq!(github.len(), 1, "one GitHub issue");
    let number = github[0].number;
    let m = host.mapping_for(number).await.expect("mapped");
    assert_eq!(m.elder_id, ours.id);
    assert_eq!(m.sync_status, SyncStatus::Synced);
    assert_eq!(host.elder_issues().await.len(), 1);
}
