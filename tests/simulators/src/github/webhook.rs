//! Webhook deliveries as GitHub makes them: JSON payload, `X-GitHub-Event`,
//! `X-GitHub-Delivery` (a GUID), `X-GitHub-Hook-ID`, and `X-Hub-Signature-256`
//! (HMAC-SHA256 of the exact raw body with the hook's secret, `sha256=` + hex).

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::model::{State, issue_json, label_json, milestone_json, repo_json, user_json};
use super::ops::Event;

/// Where and how deliveries are sent.
#[derive(Debug, Clone, PartialEq)]
pub struct HookConfig {
    /// Delivery URL; `None` builds and records deliveries without sending them.
    pub url: Option<String>,
    /// The hook's secret.
    pub secret: String,
    /// The hook id (`X-GitHub-Hook-ID`).
    pub hook_id: u64,
}

/// One webhook delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// `X-GitHub-Event`.
    pub event: String,
    /// The payload's `action` (empty for `ping`).
    pub action: String,
    /// `X-GitHub-Delivery`.
    pub delivery_id: String,
    /// All headers sent.
    pub headers: Vec<(String, String)>,
    /// The exact raw body that was signed.
    pub body: Vec<u8>,
    /// The receiver's status, once sent.
    pub status: Option<u16>,
}

impl Delivery {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Builds a signed delivery of `payload` for `event`.
pub fn signed_delivery(secret: &str, hook_id: u64, event: &str, payload: &Value) -> Delivery {
    let body = serde_json::to_vec(payload).unwrap_or_default();
    let delivery_id = uuid::Uuid::new_v4().to_string();
    let headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("User-Agent".into(), "GitHub-Hookshot/044aadd".into()),
        ("X-GitHub-Event".into(), event.to_string()),
        ("X-GitHub-Delivery".into(), delivery_id.clone()),
        ("X-GitHub-Hook-ID".into(), hook_id.to_string()),
        (
            "X-GitHub-Hook-Installation-Target-Type".into(),
            "repository".into(),
        ),
        ("X-Hub-Signature-256".into(), sign(secret, &body)),
    ];
    Delivery {
        event: event.to_string(),
        action: payload
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        delivery_id,
        headers,
        body,
        status: None,
    }
}

/// The payload GitHub sends for `ev`, with the object as it is now in `st`.
pub fn payload(st: &State, ev: &Event) -> Value {
    let mut p = json!({
        "action": ev.action,
        "repository": repo_json(st),
        "sender": user_json(&st.options.owner),
    });
    let object = match ev.event {
        "issues" | "issue_comment" => ev
            .subject
            .parse()
            .ok()
            .and_then(|n| st.issues.get(&n))
            .map(|i| ("issue", issue_json(st, i))),
        "milestone" => ev
            .subject
            .parse()
            .ok()
            .and_then(|n| st.milestones.get(&n))
            .map(|m| ("milestone", milestone_json(st, m))),
        "label" => st.label(&ev.subject).map(|l| ("label", label_json(st, l))),
        _ => None,
    };
    if let Some((key, obj)) = object {
        p[key] = obj;
    }
    if let Value::Object(extra) = &ev.extra {
        for (k, v) in extra {
            p[k] = v.clone();
        }
    }
    p
}

/// Builds (and records) the deliveries for `events`; returns those to send.
pub fn record(st: &mut State, events: &[Event]) -> Vec<(String, Delivery)> {
    let Some(hook) = st.hook.clone() else {
        return vec![];
    };
    let mut to_send = Vec::new();
    for ev in events {
        let d = signed_delivery(&hook.secret, hook.hook_id, ev.event, &payload(st, ev));
        st.deliveries.push(d.clone());
        if let Some(url) = &hook.url {
            to_send.push((url.clone(), d));
        }
    }
    to_send
}

/// Posts deliveries in order and records the receiver's status.
pub async fn send(
    state: std::sync::Arc<std::sync::Mutex<State>>,
    deliveries: Vec<(String, Delivery)>,
) {
    let client = reqwest::Client::new();
    for (url, d) in deliveries {
        let mut req = client.post(&url).body(d.body.clone());
        for (n, v) in &d.headers {
            req = req.header(n, v);
        }
        let status =
            match tokio::time::timeout(std::time::Duration::from_secs(10), req.send()).await {
                Ok(Ok(resp)) => resp.status().as_u16(),
                _ => 0,
            };
        let mut st = state.lock().expect("github sim state");
        if let Some(rec) = st
            .deliveries
            .iter_mut()
            .find(|x| x.delivery_id == d.delivery_id)
        {
            rec.status = Some(status);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_githubs_published_test_vector() {
        assert_eq!(
            sign("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn signs_the_exact_body_it_carries() {
        let d = signed_delivery("s3cret", 7, "issues", &json!({"action": "opened", "n": 1}));
        assert_eq!(
            d.header("x-hub-signature-256").unwrap(),
            sign("s3cret", &d.body)
        );
        assert_eq!(d.header("X-GitHub-Event"), Some("issues"));
        assert_eq!(d.action, "opened");
        assert_eq!(d.delivery_id.len(), 36);
        assert_ne!(
            d.delivery_id,
            signed_delivery("s3cret", 7, "issues", &json!({})).delivery_id
        );
    }
}
