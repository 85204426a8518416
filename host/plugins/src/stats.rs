//! Call and error counts per plugin: a [`RuntimeObserver`] that counts every finished
//! call by connector id and passes each event on to the observer it wraps (metrics).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use elder_sync_runtime::{RuntimeObserver, TrapKind};
use serde::Serialize;

/// Calls and failed calls (connector errors and traps) of one connector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    /// Calls finished since the service started.
    pub calls: u64,
    /// Of those, calls that did not end `ok` (connector errors and traps).
    pub errors: u64,
}

/// Counts calls by connector id; give it to the runtime as its observer.
pub struct PluginStats {
    counts: Mutex<HashMap<String, CallCounts>>,
    inner: Option<Arc<dyn RuntimeObserver>>,
}

impl PluginStats {
    /// Counts calls and forwards every event to `inner`.
    pub fn wrapping(inner: Option<Arc<dyn RuntimeObserver>>) -> Arc<PluginStats> {
        Arc::new(PluginStats {
            counts: Mutex::default(),
            inner,
        })
    }

    /// The counts of connector `id` so far.
    pub fn counts(&self, id: &str) -> CallCounts {
        let counts = self.counts.lock().expect("plugin stats poisoned");
        counts.get(id).copied().unwrap_or_default()
    }
}

impl RuntimeObserver for PluginStats {
    fn call_finished(&self, connector: &str, function: &str, outcome: &str, secs: f64) {
        {
            let mut counts = self.counts.lock().expect("plugin stats poisoned");
            let entry = counts.entry(connector.to_string()).or_default();
            entry.calls += 1;
            if outcome != "ok" {
                entry.errors += 1;
            }
        }
        if let Some(inner) = &self.inner {
            inner.call_finished(connector, function, outcome, secs);
        }
    }

    fn trapped(&self, connector: &str, kind: TrapKind) {
        if let Some(inner) = &self.inner {
            inner.trapped(connector, kind);
        }
    }

    fn egress(&self, connector: &str, status: Option<u16>) {
        if let Some(inner) = &self.inner {
            inner.egress(connector, status);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl RuntimeObserver for Recorder {
        fn call_finished(&self, connector: &str, function: &str, outcome: &str, _secs: f64) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{connector}.{function}:{outcome}"));
        }
    }

    #[test]
    fn counts_calls_and_failures_per_connector_and_forwards_events() {
        let recorder = Arc::new(Recorder::default());
        let stats = PluginStats::wrapping(Some(recorder.clone()));
        stats.call_finished("github", "get", "ok", 0.1);
        stats.call_finished("github", "update", "error", 0.1);
        stats.call_finished("github", "list_changes", "trap", 0.1);
        stats.call_finished("jira", "get", "ok", 0.1);
        assert_eq!(
            stats.counts("github"),
            CallCounts {
                calls: 3,
                errors: 2
            }
        );
        assert_eq!(stats.counts("jira").calls, 1);
        assert_eq!(stats.counts("trello"), CallCounts::default());
        assert_eq!(recorder.0.lock().unwrap().len(), 4);
    }
}
