//! OpenProject webhooks: `work_package:created|updated` and `project:created|updated`
//! deliveries (`work_package_comment:comment` is built in `activities.rs`), signed with `X-OP-Signature: sha1=<hex HMAC-SHA1(secret, body)>` only when a
//! secret is set; no delivery id header, no handshake.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha1::Sha1;

use super::model::State;

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

/// `sha1=<hex HMAC-SHA1(secret, body)>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
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

impl State {
    /// Queues `work_package:<event>` for a work package.
    pub fn queue_wp_event(&mut self, id: u64, event: &str) {
        let Some(wp) = self.work_packages.get(&id) else {
            return;
        };
        let body =
            json!({"action": format!("work_package:{event}"), "work_package": self.wp_json(wp)});
        self.queue(body);
    }

    /// Queues `project:<event>` for a project.
    pub fn queue_project_event(&mut self, id: u64, event: &str) {
        let Some(p) = self.projects.get(&id) else {
            return;
        };
        let body = json!({"action": format!("project:{event}"), "project": self.project_json(p)});
        self.queue(body);
    }

    pub(super) fn queue(&mut self, body: Value) {
        let body = serde_json::to_vec(&body).expect("json");
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if let Some(secret) = &self.hook_secret {
            headers.push(("X-OP-Signature".into(), signature(secret, &body)));
        }
        let delivery = Delivery { headers, body };
        self.deliveries.push(delivery.clone());
        if let Some(url) = self.hook_url.clone() {
            self.pending.push(PendingHook { url, delivery });
        }
    }
}
