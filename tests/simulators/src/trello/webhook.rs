//! Trello webhooks: the `HEAD` handshake on creation, deliveries of board actions signed
//! with `X-Trello-Webhook = base64(HMAC-SHA1(app secret, body + callbackURL))`, and the
//! webhook's removal when the callback answers 410.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha1::Sha1;

use super::model::{Action, State};

/// One delivery as sent.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub callback_url: String,
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
    webhook_id: String,
    delivery: Delivery,
}

/// `base64(HMAC-SHA1(secret, body + callback_url))`.
pub fn signature(secret: &str, body: &[u8], callback_url: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.update(callback_url.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Trello's creation handshake: a `HEAD` to the callback URL that must answer 200.
pub async fn handshake(callback_url: &str) -> Result<(), String> {
    let resp = reqwest::Client::new().head(callback_url).send().await;
    match resp {
        Ok(r) if r.status().as_u16() == 200 => Ok(()),
        Ok(r) => Err(format!(
            "URL ({callback_url}) did not return 200 status code, got {}",
            r.status().as_u16()
        )),
        Err(_) => Err(format!(
            "URL ({callback_url}) did not return 200 status code, got no response"
        )),
    }
}

/// POSTs queued deliveries in the background; a 410 answer deletes the webhook.
pub fn dispatch(state: Arc<Mutex<State>>, hooks: Vec<PendingHook>) {
    for h in hooks {
        let state = state.clone();
        tokio::spawn(async move {
            let mut req = reqwest::Client::new()
                .post(&h.delivery.callback_url)
                .body(h.delivery.body);
            for (k, v) in &h.delivery.headers {
                req = req.header(k, v);
            }
            if let Ok(r) = req.send().await
                && r.status().as_u16() == 410
            {
                state
                    .lock()
                    .expect("sim state")
                    .webhooks
                    .retain(|w| w.id != h.webhook_id);
            }
        });
    }
}

impl State {
    /// Signs and queues one delivery of `action` per active webhook on the board.
    pub fn queue_deliveries(&mut self, action: &Action) {
        let body = json!({"action": self.action_json(action), "model": self.board_json()});
        let body = serde_json::to_vec(&body).expect("json");
        let hooks: Vec<_> = self
            .webhooks
            .iter()
            .filter(|w| w.active && w.id_model == self.options.board_id)
            .cloned()
            .collect();
        for w in hooks {
            let headers = vec![
                ("Content-Type".to_string(), "application/json".to_string()),
                (
                    "X-Trello-Webhook".to_string(),
                    signature(&self.options.app_secret, &body, &w.callback_url),
                ),
            ];
            let delivery = Delivery {
                callback_url: w.callback_url.clone(),
                headers,
                body: body.clone(),
            };
            self.deliveries.push(delivery.clone());
            self.pending.push(PendingHook {
                webhook_id: w.id,
                delivery,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_body_then_callback_url() {
        let a = signature("s3cret", b"{}", "https://example.com/hook");
        assert_ne!(a, signature("s3cret", b"{}", "https://example.com/hook/"));
        assert_eq!(a, signature("s3cret", b"{}https://example.com/", "hook"));
        assert!(STANDARD.decode(&a).is_ok_and(|b| b.len() == 20));
    }
}
