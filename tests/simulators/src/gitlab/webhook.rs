//! GitLab webhook deliveries: `Issue Hook` and `Milestone Hook` payloads (`Note Hook`
//! bodies are built in `notes.rs`), the
//! `X-Gitlab-Token` secret and the Standard Webhooks signature, recorded for tests and
//! POSTed to the configured URL.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::model::{State, utc_words};

/// The project hook's settings.
#[derive(Debug, Clone, Default)]
pub struct HookConfig {
    /// Where to POST deliveries (none: only recorded).
    pub url: Option<String>,
    /// Sent in clear as `X-Gitlab-Token`.
    pub secret_token: Option<String>,
    /// A Standard Webhooks key `whsec_<base64>`: deliveries get `webhook-signature`.
    pub signing_token: Option<String>,
}

/// One delivery as sent: headers and raw body.
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

/// A delivery waiting to be POSTed once the state lock is released.
#[derive(Debug, Clone)]
pub struct PendingHook {
    url: String,
    delivery: Delivery,
}

/// POSTs queued deliveries in the background (failures are the receiver's problem).
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
    /// Queues an `Issue Hook` for the issue's current state.
    pub fn queue_issue_hook(&mut self, iid: u64, action: &str, changes: Map<String, Value>) {
        let i = self.issues[&iid].clone();
        let labels: Vec<Value> = i.labels.iter().map(|n| self.hook_label(n)).collect();
        let assignees: Vec<Value> = i.assignee_ids.iter().map(|a| self.user_json(*a)).collect();
        let body = json!({
            "object_kind": "issue",
            "event_type": "issue",
            "user": self.user_json(1),
            "project": self.hook_project(),
            "object_attributes": {
                "id": i.id,
                "iid": i.iid,
                "title": i.title,
                "description": i.description,
                "state": i.state,
                "state_id": if i.state == "opened" { 1 } else { 2 },
                "action": action,
                "project_id": self.options.project_id,
                "created_at": i.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "updated_at": utc_words(i.updated_at),
                "closed_at": i.closed_at.map(utc_words),
                "labels": labels,
                "assignee_ids": i.assignee_ids,
                "milestone_id": i.milestone_id,
                "due_date": i.due_date,
                "url": format!("{}/-/issues/{}", self.web_base(), i.iid),
                "type": "Issue",
            },
            "labels": labels,
            "assignees": assignees,
            "changes": changes,
        });
        self.queue("Issue Hook", body);
    }

    /// Queues a `Milestone Hook` (`create`, `close`, `reopen`, `delete`).
    pub fn queue_milestone_hook(&mut self, id: u64, action: &str) {
        let m = self.milestones[&id].clone();
        let body = json!({
            "object_kind": "milestone",
            "event_type": "milestone",
            "project": self.hook_project(),
            "object_attributes": {
                "id": m.id,
                "iid": m.iid,
                "title": m.title,
                "description": m.description,
                "state": m.state,
                "project_id": self.options.project_id,
                "created_at": utc_words(m.created_at),
                "updated_at": utc_words(m.updated_at),
                "due_date": m.due_date,
                "start_date": m.start_date,
            },
            "action": action,
        });
        self.queue("Milestone Hook", body);
    }

    fn hook_label(&self, name: &str) -> Value {
        let l = self.labels.values().find(|l| l.name == name);
        json!({
            "id": l.map(|l| l.id),
            "title": name,
            "color": l.map(|l| l.color.clone()),
            "project_id": self.options.project_id,
            "created_at": "2013-12-03T17:15:43Z",
            "updated_at": "2013-12-03 17:15:43 UTC",
            "type": "ProjectLabel",
        })
    }

    pub(super) fn hook_project(&self) -> Value {
        json!({
            "id": self.options.project_id,
            "path_with_namespace": self.options.project_path,
            "web_url": self.web_base(),
        })
    }

    /// Signs, records and (when a URL is set) queues a delivery.
    pub(super) fn queue(&mut self, event: &str, body: Value) {
        let body = serde_json::to_vec(&body).expect("json");
        let uuid = uuid::Uuid::new_v4().to_string();
        let mut headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            ("User-Agent".to_string(), "GitLab/19.0.0".to_string()),
            ("X-Gitlab-Event".to_string(), event.to_string()),
            ("X-Gitlab-Event-UUID".to_string(), uuid.clone()),
            (
                "X-Gitlab-Webhook-UUID".to_string(),
                "5f1a3e4c-hook".to_string(),
            ),
            ("X-Gitlab-Instance".to_string(), self.base_url.clone()),
            ("Idempotency-Key".to_string(), uuid.clone()),
        ];
        if let Some(t) = &self.hook.secret_token {
            headers.push(("X-Gitlab-Token".into(), t.clone()));
        }
        if let Some(key) = &self.hook.signing_token {
            let ts = chrono::Utc::now().timestamp().to_string();
            let id = format!("msg_{uuid}");
            headers.push((
                "webhook-signature".into(),
                standard_signature(key, &id, &ts, &body),
            ));
            headers.push(("webhook-id".into(), id));
            headers.push(("webhook-timestamp".into(), ts));
        }
        let delivery = Delivery { headers, body };
        self.deliveries.push(delivery.clone());
        if let Some(url) = self.hook.url.clone() {
            self.pending.push(PendingHook { url, delivery });
        }
    }
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` with a `whsec_` key.
pub fn standard_signature(key: &str, id: &str, ts: &str, body: &[u8]) -> String {
    let raw = B64
        .decode(key.trim_start_matches("whsec_"))
        .unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(&raw).expect("any key length");
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}
