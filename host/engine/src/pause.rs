//! When a config's work waits instead of being attempted: the config is disabled, its
//! connector is disabled, or its platform answered with a rate limit whose reset lies ahead.
//! Waiting work (inbox deliveries, outbox pushes, scheduled polls) is not attempted, so it
//! uses up no attempts and is never parked because time passed; it resumes by itself once
//! the reason is gone (re-enabled, or the reset time reached).
//!
//! Rate-limit pauses are kept in memory by each engine (a restart forgets them: the first
//! call after it meets the limit again and pauses again).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use elder_sync_store::SyncConfig;

use crate::engine::SyncEngine;

/// How often paused work of a disabled config or connector is looked at again: re-enabling
/// resumes it within this long.
pub const DISABLED_RECHECK: Duration = Duration::from_secs(5);

/// Why a config's work waits, and until when it is looked at again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// When the config's work is looked at again (UTC).
    pub until: DateTime<Utc>,
    /// Why it waits, in words (disabled config or connector, rate limit).
    pub reason: String,
}

/// Rate-limit pauses by config id.
#[derive(Debug, Clone, Default)]
pub struct RateLimitPauses(Arc<Mutex<HashMap<i64, Pause>>>);

impl RateLimitPauses {
    /// Pauses `config_id` until `until` (a later pause already recorded stays).
    pub fn pause(&self, config_id: i64, until: DateTime<Utc>, reason: String) {
        let mut map = self.0.lock().expect("rate-limit pauses poisoned");
        let entry = map.entry(config_id).or_insert_with(|| Pause {
            until,
            reason: reason.clone(),
        });
        if until > entry.until {
            *entry = Pause { until, reason };
        }
    }

    /// The pause of `config_id` still running at `now`.
    pub fn current(&self, config_id: i64, now: DateTime<Utc>) -> Option<Pause> {
        let mut map = self.0.lock().expect("rate-limit pauses poisoned");
        match map.get(&config_id) {
            Some(p) if p.until > now => Some(p.clone()),
            Some(_) => {
                map.remove(&config_id);
                None
            }
            None => None,
        }
    }
}

impl SyncEngine {
    /// Why `config`'s work waits now, if it does.
    pub fn paused(&self, config: &SyncConfig) -> Option<Pause> {
        let now = Utc::now();
        let recheck = now + chrono::Duration::from_std(DISABLED_RECHECK).unwrap_or_default();
        if !config.enabled {
            return Some(Pause {
                until: recheck,
                reason: "the sync config is disabled".into(),
            });
        }
        let platform = config.platform.as_str();
        if self
            .registry
            .slot(platform)
            .is_some_and(|slot| !slot.enabled)
        {
            return Some(Pause {
                until: recheck,
                reason: format!("the {platform} connector is disabled"),
            });
        }
        self.rate_limits.current(config.id, now)
    }

    /// Records that `config_id`'s platform asked to wait `wait` (a rate limit): its work
    /// waits until then, the time it returns.
    pub fn pause_for_rate_limit(
        &self,
        config_id: i64,
        platform: &str,
        wait: Duration,
    ) -> DateTime<Utc> {
        let until = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        self.metrics.rate_limit_wait(platform, wait.as_secs_f64());
        tracing::info!(
            config_id,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "rate limited: the config's work waits until the platform's reset"
        );
        self.rate_limits.pause(
            config_id,
            until,
            format!("rate limited by the platform until {}", until.to_rfc3339()),
        );
        until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_ends_at_its_time_and_the_later_one_wins() {
        let pauses = RateLimitPauses::default();
        let now = Utc::now();
        let later = now + chrono::Duration::seconds(60);
        pauses.pause(1, later, "long".into());
        pauses.pause(1, now + chrono::Duration::seconds(5), "short".into());
        assert_eq!(pauses.current(1, now).unwrap().reason, "long");
        assert_eq!(pauses.current(2, now), None);
        assert_eq!(pauses.current(1, later), None, "over at its time");
    }
}
