//! Webhook gates kept in memory between deliveries (never stored elsewhere): a config's gate
//! (`Store::webhook_gate`) with its secret, once a delivery has verified with it. The next
//! delivery for the config is verified with the kept secret and written with
//! `InboxWriter::insert_if_current`, which refuses the write when the config's row changed
//! since (updated, secret rotated, deleted: on any replica); the ingest then forgets the
//! gate and takes the full path, as it does for anything a kept gate does not accept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use elder_sync_store::WebhookGate;

/// Configs whose gates are kept at most; beyond that the kept gates are dropped and kept
/// again as deliveries verify.
const MAX_KEPT: usize = 4096;

/// A gate a delivery verified with, and the secret it verified with.
pub struct KeptGate {
    /// The config's gate as read.
    pub gate: WebhookGate,
    /// The gate's secret in plaintext (memory only).
    pub secret: String,
}

/// The kept gates by config id; cheap to clone.
#[derive(Clone, Default)]
pub struct KeptGates(Arc<Mutex<HashMap<i64, Arc<KeptGate>>>>);

impl KeptGates {
    /// The gate kept for `config_id`.
    pub fn get(&self, config_id: i64) -> Option<Arc<KeptGate>> {
        self.0
            .lock()
            .expect("kept gates poisoned")
            .get(&config_id)
            .cloned()
    }

    /// Keeps `gate` with the `secret` a delivery just verified with.
    pub fn keep(&self, gate: WebhookGate, secret: String) {
        let mut map = self.0.lock().expect("kept gates poisoned");
        if map.len() >= MAX_KEPT {
            map.clear();
        }
        map.insert(gate.config_id, Arc::new(KeptGate { gate, secret }));
    }

    /// Forgets the gate of `config_id` (it did not accept a delivery).
    pub fn forget(&self, config_id: i64) {
        self.0
            .lock()
            .expect("kept gates poisoned")
            .remove(&config_id);
    }
}
