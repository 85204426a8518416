//! Webhook health per sync config: a pure state machine deciding whether a config
//! relies on webhooks or falls back to polling at its `sync_interval`. Persisted as JSON
//! in `webhook_health.state`; the store reads the same JSON for `/api/v1/sync/status`
//! (`elder_sync_store::WebhookStatus`), so field names here are part of that contract.
//!
//! Signals: failed deliveries (authenticated but unparseable or failing to process) and
//! silence (changes found by polling that no webhook announced). Too many of either
//! switches the config to polling; webhooks are trusted again after a run of good
//! deliveries followed by a poll that finds nothing unannounced. Deliveries refused for a
//! bad or missing signature are not a signal (they are an attack or a misconfiguration,
//! and anyone could send them): they are counted apart (`trust`) and never reach here.

use serde::{Deserialize, Serialize};

/// Thresholds of the health rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthPolicy {
    /// Consecutive failed deliveries that make webhooks unhealthy.
    pub max_consecutive_failures: u32,
    /// Changes found by polling that no webhook announced, since the last healthy check.
    pub max_unannounced_changes: u32,
    /// Good deliveries needed (while polling) before webhooks are trusted again.
    pub recovery_deliveries: u32,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        HealthPolicy {
            max_consecutive_failures: 3,
            max_unannounced_changes: 3,
            recovery_deliveries: 2,
        }
    }
}

/// How a config currently learns about changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum DeliveryMode {
    /// Webhooks are healthy; polling runs only as the batch fallback.
    Webhooks,
    /// Webhooks are unhealthy; the config is polled every `sync_interval`.
    Polling {
        /// Why webhooks are not trusted.
        reason: String,
        /// When the switch happened (ms since the epoch, UTC).
        since_ms: i64,
    },
}

/// The health record of one config, persisted between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookHealth {
    /// Whether the config relies on webhooks or is polled.
    pub mode: DeliveryMode,
    /// Failed deliveries in a row; a success resets it.
    pub consecutive_failures: u32,
    /// Changes found by polling that no webhook announced, while webhooks are trusted.
    pub unannounced_changes: u32,
    /// Good deliveries since the last failure while polling (counts towards recovery).
    pub good_deliveries_since_switch: u32,
    /// When the last delivery was processed (ms since the epoch, UTC); `None`: never.
    pub last_delivery_ms: Option<i64>,
    /// Why the last delivery failed; `None` when none has.
    pub last_failure: Option<String>,
    /// Failed deliveries ever counted for this config.
    #[serde(default)]
    pub failed_deliveries_total: u64,
}

impl Default for WebhookHealth {
    fn default() -> Self {
        WebhookHealth {
            mode: DeliveryMode::Webhooks,
            consecutive_failures: 0,
            unannounced_changes: 0,
            good_deliveries_since_switch: 0,
            last_delivery_ms: None,
            last_failure: None,
            failed_deliveries_total: 0,
        }
    }
}

impl WebhookHealth {
    /// True when the config relies on webhooks.
    pub fn is_healthy(&self) -> bool {
        self.mode == DeliveryMode::Webhooks
    }

    /// A delivery was authenticated and processed.
    pub fn delivery_succeeded(&mut self, now_ms: i64) {
        self.consecutive_failures = 0;
        self.last_delivery_ms = Some(now_ms);
        if !self.is_healthy() {
            self.good_deliveries_since_switch += 1;
        }
    }

    /// A delivery failed (bad signature, unparseable, or not processable).
    pub fn delivery_failed(&mut self, policy: &HealthPolicy, now_ms: i64, why: &str) {
        self.consecutive_failures += 1;
        self.failed_deliveries_total += 1;
        self.good_deliveries_since_switch = 0;
        self.last_failure = Some(why.to_string());
        if self.consecutive_failures >= policy.max_consecutive_failures {
            let reason = format!(
                "{} consecutive failed webhook deliveries (last: {why})",
                self.consecutive_failures
            );
            self.switch_to_polling(reason, now_ms);
        }
    }

    /// A poll finished; `unannounced` changes it found had not arrived by webhook.
    pub fn poll_finished(&mut self, policy: &HealthPolicy, now_ms: i64, unannounced: u32) {
        if self.is_healthy() {
            self.unannounced_changes += unannounced;
            if self.unannounced_changes >= policy.max_unannounced_changes {
                let reason = format!(
                    "{} changes found by polling that no webhook announced",
                    self.unannounced_changes
                );
                self.switch_to_polling(reason, now_ms);
            }
        } else if unannounced == 0
            && self.good_deliveries_since_switch >= policy.recovery_deliveries
        {
            *self = WebhookHealth {
                last_delivery_ms: self.last_delivery_ms,
                failed_deliveries_total: self.failed_deliveries_total,
                ..WebhookHealth::default()
            };
        }
    }

    fn switch_to_polling(&mut self, reason: String, now_ms: i64) {
        if self.is_healthy() {
            self.mode = DeliveryMode::Polling {
                reason,
                since_ms: now_ms,
            };
            self.good_deliveries_since_switch = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_deliveries_switch_to_polling_and_good_ones_recover() {
        let policy = HealthPolicy::default();
        let mut h = WebhookHealth::default();
        h.delivery_failed(&policy, 1, "unparseable payload");
        h.delivery_failed(&policy, 2, "unparseable payload");
        assert!(h.is_healthy(), "two failures are tolerated");
        h.delivery_failed(&policy, 3, "unparseable payload");
        assert!(matches!(h.mode, DeliveryMode::Polling { since_ms: 3, .. }));

        h.poll_finished(&policy, 4, 0);
        assert!(!h.is_healthy(), "no good deliveries yet: stay on polling");
        h.delivery_succeeded(5);
        h.delivery_succeeded(6);
        h.poll_finished(&policy, 7, 1);
        assert!(
            !h.is_healthy(),
            "a poll that still finds unannounced changes keeps polling"
        );
        h.poll_finished(&policy, 8, 0);
        assert!(h.is_healthy());
        assert_eq!(h.consecutive_failures, 0);
    }

    #[test]
    fn a_success_resets_the_failure_run() {
        let policy = HealthPolicy::default();
        let mut h = WebhookHealth::default();
        h.delivery_failed(&policy, 1, "x");
        h.delivery_failed(&policy, 2, "x");
        h.delivery_succeeded(3);
        h.delivery_failed(&policy, 4, "x");
        assert!(h.is_healthy());
    }

    #[test]
    fn silence_switches_to_polling() {
        let policy = HealthPolicy::default();
        let mut h = WebhookHealth::default();
        h.poll_finished(&policy, 1, 2);
        assert!(h.is_healthy());
        h.poll_finished(&policy, 2, 1);
        match &h.mode {
            DeliveryMode::Polling { reason, .. } => {
                assert!(reason.contains("no webhook announced"))
            }
            other => panic!("expected polling, got {other:?}"),
        }
    }
}
