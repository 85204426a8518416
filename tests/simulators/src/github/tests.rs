//! The simulator's own behaviour, over HTTP with reqwest.

use super::*;
use serde_json::{Value, json};

async fn sim() -> GithubSim {
    GithubSim::start(GithubOptions::default()).await.unwrap()
}

fn client(sim: &GithubSim) -> (reqwest::Client, String, String) {
    (
        reqwest::Client::new(),
        format!("{}/repos/octocat/Hello-World", sim.base_url()),
        format!("Bearer {}", sim.token()),
    )
}

#[tokio::test]
async fn rejects_bad_credentials_like_github() {
    let s = sim().await;
    let (c, repo, _) = client(&s);
    let r = c
        .get(&repo)
        .header("Authorization", "Bearer nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["message"], "Bad credentials");
}

#[tokio::test]
async fn paginates_with_link_and_filters_since() {
    let s = sim().await;
    for i in 0..150 {
        s.seed_issue(SeedIssue {
            title: format!("i{i}"),
            updated_at: Some(1_700_000_000 + i),
            pull_request: i % 10 == 0,
            ..Default::default()
        });
    }
    let (c, repo, auth) = client(&s);
    let r = c
        .get(format!(
            "{repo}/issues?state=all&sort=updated&direction=asc&per_page=500"
        ))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-ratelimit-remaining"], "4999");
    let link = r.headers()["link"].to_str().unwrap().to_string();
    assert!(
        link.contains("page=2>; rel=\"next\"") && link.contains("per_page=100"),
        "{link}"
    );
    let rows: Vec<Value> = r.json().await.unwrap();
    assert_eq!(rows.len(), 100);
    assert!(rows[0].get("pull_request").is_some());
    assert_eq!(rows[0]["updated_at"], iso(1_700_000_000));
    let since = iso(1_700_000_145);
    let r = c
        .get(format!(
            "{repo}/issues?state=all&sort=updated&direction=asc&since={since}"
        ))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("link").is_none());
    let rows: Vec<Value> = r.json().await.unwrap();
    assert_eq!(rows.len(), 5);
}

#[tokio::test]
async fn patch_replaces_labels_and_sets_state_reason() {
    let s = sim().await;
    let m = s.seed_milestone("v1");
    let n = s.seed_issue(SeedIssue {
        title: "t".into(),
        labels: vec!["a".into(), "b".into()],
        updated_at: Some(1_600_000_000),
        ..Default::default()
    });
    let (c, repo, auth) = client(&s);
    let r = c
        .patch(format!("{repo}/issues/{n}"))
        .header("Authorization", &auth)
        .json(&json!({"labels": ["c"], "state": "closed", "state_reason": "not_planned", "milestone": m}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let i = s.issue(n).unwrap();
    assert_eq!(i.labels, vec!["c".to_string()]);
    assert_eq!(
        (i.state.as_str(), i.state_reason.as_deref()),
        ("closed", Some("not_planned"))
    );
    assert_eq!(i.milestone, Some(m));
    assert!(i.updated_at > 1_600_000_000);
    let r = c
        .patch(format!("{repo}/issues/{n}"))
        .header("Authorization", &auth)
        .json(&json!({"milestone": 999}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn gives_planned_rate_limit_answers() {
    let s = sim().await;
    s.rate_limit_next(1, RateLimitKind::Primary { reset_in_secs: 90 });
    s.rate_limit_next(
        1,
        RateLimitKind::TooManyRequests {
            retry_after_secs: Some(3),
        },
    );
    let (c, repo, auth) = client(&s);
    let r = c
        .get(&repo)
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    let reset: i64 = r.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((reset - s.now() - 90).abs() <= 1);
    let r = c
        .get(&repo)
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "3")
    );
    let r = c
        .get(&repo)
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.request_count(), 3);
}

#[tokio::test]
async fn user_edits_emit_signed_deliveries() {
    let s = sim().await;
    s.set_webhook(HookConfig {
        url: None,
        secret: "sekrit".into(),
        hook_id: 9,
    });
    let n = s.user_open_issue("hello", IssueEdit::default()).unwrap();
    s.user_edit_issue(
        n,
        IssueEdit {
            labels: Some(vec!["bug".into()]),
            state: Some("closed".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let d = s.deliveries();
    let actions: Vec<&str> = d.iter().map(|d| d.action.as_str()).collect();
    assert_eq!(actions, vec!["opened", "labeled", "closed"]);
    for x in &d {
        assert_eq!(
            x.header("X-Hub-Signature-256").unwrap(),
            sign("sekrit", &x.body)
        );
        let v: Value = serde_json::from_slice(&x.body).unwrap();
        assert_eq!(v["issue"]["number"], n);
    }
    let built = s.build_delivery("k", "issues", "edited", &n.to_string());
    assert_eq!(built.header("x-github-event"), Some("issues"));
    assert_eq!(
        s.deliveries().len(),
        3,
        "building a delivery does not record or send it"
    );
}

#[tokio::test]
async fn comments_list_in_pages_and_writes_bump_the_issue_and_emit_webhooks() {
    let s = sim().await;
    s.set_webhook(HookConfig {
        url: None,
        secret: "sekrit".into(),
        hook_id: 9,
    });
    let n = s.seed_issue(SeedIssue {
        title: "talk".into(),
        updated_at: Some(1_700_000_000),
        ..Default::default()
    });
    for i in 0..105 {
        s.user_comment(n, "hubot", &format!("c{i}")).unwrap();
    }
    let (c, repo, auth) = client(&s);
    let r = c
        .get(format!("{repo}/issues/{n}/comments?per_page=100"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    let link = r.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    let rows: Vec<Value> = r.json().await.unwrap();
    assert_eq!((rows.len(), rows[0]["body"].clone()), (100, json!("c0")));
    assert_eq!(rows[0]["user"]["login"], "hubot");

    // A comment through the API: 201, the token's user, the issue bumped and counted.
    s.advance_clock(60);
    let r = c
        .post(format!("{repo}/issues/{n}/comments"))
        .header("Authorization", &auth)
        .json(&json!({"body": "from the API"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.unwrap();
    assert_eq!(made["user"]["login"], "octocat");
    let issue = s.issue(n).unwrap();
    assert_eq!(issue.updated_at, s.now());
    let r = c
        .get(format!("{repo}/issues/{n}"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["comments"], 106);

    // `since` keeps comments updated at or after it; an edit moves one into the window.
    let id = s.comments(n)[3].id;
    s.advance_clock(60);
    let r = c
        .patch(format!("{repo}/issues/comments/{id}"))
        .header("Authorization", &auth)
        .json(&json!({"body": "edited"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let since = iso(s.now());
    let r = c
        .get(format!("{repo}/issues/{n}/comments?since={since}"))
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    let rows: Vec<Value> = r.json().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["id"].as_u64(), rows[0]["body"].clone()),
        (Some(id), json!("edited"))
    );

    // Deleting: 204, then 404; a blank body is refused.
    let del = || {
        c.delete(format!("{repo}/issues/comments/{id}"))
            .header("Authorization", &auth)
            .send()
    };
    assert_eq!(del().await.unwrap().status(), 204);
    assert_eq!(del().await.unwrap().status(), 404);
    let r = c
        .post(format!("{repo}/issues/{n}/comments"))
        .header("Authorization", &auth)
        .json(&json!({"body": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    let actions: Vec<String> = s
        .deliveries()
        .iter()
        .filter(|d| d.event == "issue_comment")
        .map(|d| d.action.clone())
        .collect();
    assert_eq!(actions.len(), 108);
    assert_eq!(actions[105..], ["created", "edited", "deleted"]);
    let edited: Value = serde_json::from_slice(&s.deliveries()[106].body).unwrap();
    assert_eq!(edited["changes"]["body"]["from"], "c3");
    assert_eq!(edited["issue"]["number"], n);
    assert_eq!(edited["comment"]["body"], "edited");
}
