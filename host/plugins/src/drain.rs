//! Draining replaced versions: a version that leaves the registry stays alive while
//! calls that started on it hold it; a watcher thread lets go of it once those calls
//! have finished, or after the drain deadline (calls are bounded by their own call
//! deadline anyway), and keeps a per-plugin count of versions still draining.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use elder_sync_runtime::LoadedConnector;

const CHECK_EVERY: Duration = Duration::from_millis(20);

/// Versions still draining, by plugin id.
#[derive(Default)]
pub struct Draining {
    counts: Mutex<HashMap<String, usize>>,
}

impl Draining {
    /// How many replaced versions of `id` still have calls running.
    pub fn count(&self, id: &str) -> usize {
        let counts = self.counts.lock().expect("drain counts poisoned");
        counts.get(id).copied().unwrap_or(0)
    }

    fn add(&self, id: &str, delta: isize) {
        let mut counts = self.counts.lock().expect("drain counts poisoned");
        let n = counts.entry(id.to_string()).or_default();
        *n = n.saturating_add_signed(delta);
    }

    /// Holds `retired` until no call holds it any more, or `deadline` passes.
    pub fn drain(self: &Arc<Self>, retired: Arc<LoadedConnector>, deadline: Duration) {
        let id = retired.info().id.clone();
        self.add(&id, 1);
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("drain-{id}"))
            .spawn(move || me.wait(retired, deadline));
        if let Err(e) = spawned {
            tracing::warn!(connector = %id, error = %e, "cannot start a drain watcher; releasing the old version now");
            self.add(&id, -1);
        }
    }

    fn wait(&self, retired: Arc<LoadedConnector>, deadline: Duration) {
        let started = Instant::now();
        while Arc::strong_count(&retired) > 1 && started.elapsed() < deadline {
            std::thread::sleep(CHECK_EVERY);
        }
        let id = retired.info().id.clone();
        let running = Arc::strong_count(&retired) - 1;
        if running > 0 {
            tracing::warn!(connector = %id, source_hash = %retired.source_hash(), running, "drain deadline passed; the old version is released when its last calls end");
        } else {
            tracing::info!(connector = %id, source_hash = %retired.source_hash(), "old connector version drained and dropped");
        }
        drop(retired);
        self.add(&id, -1);
    }
}
