//! Webhook deliveries as Tinytracker makes them: a JSON body
//! `{"event", "delivery", "ticket"}`, `X-Tinytracker-Delivery` (a UUID) and
//! `X-Tinytracker-Signature` (`sha256=` + hex HMAC-SHA256 of the exact raw body).

use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::model::State;
use super::ops::Event;

/// Where deliveries go and how they are signed.
#[derive(Debug, Clone, PartialEq)]
pub struct HookConfig {
    /// Target URL; `None` builds and records deliveries without sending them.
    pub url: Option<String>,
    /// The signing secret.
    pub secret: String,
}

/// One webhook delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// `ticket.created`, `ticket.updated` or `ticket.deleted`.
    pub event: String,
    /// `X-Tinytracker-Delivery` (also the body's `delivery`).
    pub delivery_id: String,
    /// All headers sent.
    pub headers: Vec<(String, String)>,
    /// The exact raw body that was signed.
    pub body: Vec<u8>,
    /// The receiver's status once sent (0: no answer); the latest one after a redelivery.
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

/// Builds the signed delivery of `event`.
pub fn signed_delivery(secret: &str, event: &Event) -> Delivery {
    let delivery_id = uuid::Uuid::new_v4().to_string();
    let payload = json!({"event": event.name, "delivery": delivery_id, "ticket": event.ticket});
    let body = serde_json::to_vec(&payload).unwrap_or_default();
    let headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("User-Agent".into(), "Tinytracker-Webhooks/1.0".into()),
        ("X-Tinytracker-Delivery".into(), delivery_id.clone()),
        ("X-Tinytracker-Signature".into(), sign(secret, &body)),
    ];
    Delivery {
        event: event.name.to_string(),
        delivery_id,
        headers,
        body,
        status: None,
    }
}

/// Records the delivery of `event` when a hook is configured and sends it in the
/// background when the hook has a URL.
pub fn emit(shared: &Arc<Mutex<State>>, st: &mut State, event: Event) {
    let Some(hook) = st.hook.clone() else {
        return;
    };
    let d = signed_delivery(&hook.secret, &event);
    st.deliveries.push(d.clone());
    if let Some(url) = hook.url {
        tokio::spawn(send(shared.clone(), vec![(url, d)]));
    }
}

/// Posts deliveries in order and records each receiver's status.
pub async fn send(state: Arc<Mutex<State>>, deliveries: Vec<(String, Delivery)>) {
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
        let mut st = state.lock().expect("tinytracker sim state");
        if let Some(rec) = st
            .deliveries
            .iter_mut()
            .find(|x| x.delivery_id == d.delivery_id)
        {
            rec.status = Some(status);
        }
    }
}
