//! Jira webhook deliveries: `jira:issue_*` and `sprint_*` events signed with
//! `X-Hub-Signature: sha256=<hex>` over the raw body, identified by
//! `X-Atlassian-Webhook-Identifier`; retries resend the same identifier and body.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::model::State;

/// The admin webhook's settings.
#[derive(Debug, Clone, Default)]
pub struct HookConfig {
    /// Where to POST deliveries (none: only recorded).
    pub url: Option<String>,
    /// The secret that signs deliveries (none: unsigned).
    pub secret: Option<String>,
}

/// One delivery as sent.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Delivery {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A delivery to POST once the state lock is released.
#[derive(Debug, Clone)]
pub struct PendingHook {
    url: String,
    delivery: Delivery,
}

/// POSTs queued deliveries in the background.
pub fn dispatch(hooks: Vec<PendingHook>) {
    for h in hooks {
        tokio::spawn(async move {
            let mut req = reqwest::Client::new().post(&h.url).body(h.delivery.body);
            for (k, v) in &h.delivery.headers {
                req = req.header(k, v);
            }
            let _ = req.send().await;
        });
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl State {
    /// Queues an issue event with its changelog items.
    pub fn queue_issue_event(&mut self, id: u64, event: &str, type_name: &str, items: Vec<Value>) {
        let Some(i) = self.issues.get(&id) else {
            return;
        };
        let now = chrono::Utc::now().timestamp_millis();
        let mut body = json!({
            "timestamp": now,
            "webhookEvent": event,
            "issue_event_type_name": type_name,
            "user": self.user_json("5b10a2844c20165700ede21g"),
            "issue": {
                "id": i.id.to_string(),
                "key": i.key,
                "self": format!("{}/rest/api/3/issue/{}", self.base_url, i.id),
                "fields": self.fields(i),
            },
        });
        if !items.is_empty() {
            body["changelog"] = json!({"id": self.next_id().to_string(), "items": items});
        }
        self.queue(body);
    }

    /// Queues a sprint event.
    pub fn queue_sprint_event(&mut self, id: u64, event: &str) {
        let Some(s) = self.sprints.get(&id) else {
            return;
        };
        let body = json!({
            "timestamp": chrono::Utc::now().timestamp_millis(),
            "webhookEvent": event,
            "sprint": self.sprint_json(s),
        });
        self.queue(body);
    }

    pub(super) fn queue(&mut self, body: Value) {
        let body = serde_json::to_vec(&body).expect("json");
        let ident = format!("{}", self.next_id() * 7919);
        let mut headers = vec![
            (
                "Content-Type".to_string(),
                "application/json; charset=utf-8".to_string(),
            ),
            (
                "User-Agent".to_string(),
                "Atlassian Webhook HTTP Client".to_string(),
            ),
            ("X-Atlassian-Webhook-Identifier".to_string(), ident),
        ];
        if let Some(secret) = &self.hook.secret {
            headers.push(("X-Hub-Signature".into(), signature(secret, &body)));
        }
        self.record(Delivery { headers, body });
    }

    fn record(&mut self, d: Delivery) {
        self.deliveries.push(d.clone());
        if let Some(url) = self.hook.url.clone() {
            self.pending.push(PendingHook { url, delivery: d });
        }
    }

    /// Resends delivery `index` with `X-Atlassian-Webhook-Retry` incremented.
    pub fn redeliver(&mut self, index: usize) -> Delivery {
        let mut d = self.deliveries[index].clone();
        let retry = d
            .header("X-Atlassian-Webhook-Retry")
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
            + 1;
        d.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("X-Atlassian-Webhook-Retry"));
        d.headers
            .push(("X-Atlassian-Webhook-Retry".into(), retry.to_string()));
        self.record(d.clone());
        d
    }
}
