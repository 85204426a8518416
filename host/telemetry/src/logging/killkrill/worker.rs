//! The batching worker: runs on its own thread with a single-threaded tokio runtime, collects
//! entries, sends a batch at the batch size, at the flush interval and on flush/shutdown, retries
//! with exponential backoff and drops (counting) a batch the endpoint keeps refusing.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::Control;
use super::transport::{Protocol, Transport};
use crate::Error;
use crate::logging::LogStats;
use crate::logging::settings::KillKrillSettings;

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

struct Worker {
    settings: KillKrillSettings,
    entries: mpsc::Receiver<Value>,
    control: mpsc::Receiver<Control>,
    stats: Arc<LogStats>,
    transport: Transport,
    batch: Vec<Value>,
}

pub(super) fn spawn(
    settings: KillKrillSettings,
    entries: mpsc::Receiver<Value>,
    control: mpsc::Receiver<Control>,
    stats: Arc<LogStats>,
) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let transport = Transport::new(&settings)?;
    std::thread::Builder::new()
        .name("killkrill-sender".to_owned())
        .spawn(move || {
            // The HTTP stack logs through `tracing` too: keep its events out of our own sinks.
            let _quiet =
                tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
            let worker = Worker {
                batch: Vec::with_capacity(settings.batch_size),
                settings,
                entries,
                control,
                stats,
                transport,
            };
            runtime.block_on(worker.run());
        })?;
    Ok(())
}

impl Worker {
    async fn run(mut self) {
        // `interval` panics on a zero period; settings built by hand may hold one.
        let period = self.settings.flush_interval.max(Duration::from_millis(1));
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker.tick().await;
        // The sink (the subscriber) may go away before the guard: keep answering the guard.
        let mut entries_open = true;
        loop {
            tokio::select! {
                biased;
                control = self.control.recv() => match control {
                    Some(Control::Flush(ack)) => {
                        self.drain_and_send().await;
                        let _ = ack.try_send(());
                    }
                    Some(Control::Shutdown(ack)) => {
                        self.shutdown().await;
                        let _ = ack.try_send(());
                        return;
                    }
                    None => {
                        self.shutdown().await;
                        return;
                    }
                },
                entry = self.entries.recv(), if entries_open => match entry {
                    Some(entry) => {
                        self.batch.push(entry);
                        if self.batch.len() >= self.settings.batch_size {
                            self.send_batch().await;
                            ticker.reset();
                        }
                    }
                    None => {
                        entries_open = false;
                        self.drain_and_send().await;
                    }
                },
                _ = ticker.tick() => {
                    if !self.batch.is_empty() {
                        self.send_batch().await;
                    }
                }
            }
        }
    }

    async fn shutdown(&mut self) {
        let deadline = Instant::now() + self.settings.shutdown_timeout;
        if tokio::time::timeout_at(deadline, self.drain_and_send())
            .await
            .is_err()
        {
            let lost = self.batch.len() as u64;
            self.batch.clear();
            self.stats
                .killkrill_dropped
                .fetch_add(lost, Ordering::Relaxed);
        }
    }

    /// Sends what is batched plus everything queued right now, in batches.
    async fn drain_and_send(&mut self) {
        while let Ok(entry) = self.entries.try_recv() {
            self.batch.push(entry);
            if self.batch.len() >= self.settings.batch_size {
                self.send_batch().await;
            }
        }
        if !self.batch.is_empty() {
            self.send_batch().await;
        }
    }

    async fn send_batch(&mut self) {
        let count = self.batch.len() as u64;
        let body = json!({"entries": self.batch});
        self.batch.clear();
        let body = Bytes::from(body.to_string());
        let mut attempt = 0;
        loop {
            match self.transport.send(body.clone()).await {
                Ok(protocol) => {
                    self.stats
                        .killkrill_sent
                        .fetch_add(count, Ordering::Relaxed);
                    let counter = match protocol {
                        Protocol::Http3 => &self.stats.killkrill_http3_batches,
                        Protocol::Http2 => &self.stats.killkrill_http2_batches,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(err) => {
                    self.stats
                        .killkrill_failed_attempts
                        .fetch_add(1, Ordering::Relaxed);
                    if !err.retryable() || attempt >= self.settings.max_retries {
                        self.stats
                            .killkrill_dropped
                            .fetch_add(count, Ordering::Relaxed);
                        return;
                    }
                    tokio::time::sleep(backoff(self.settings.retry_backoff, attempt)).await;
                    attempt += 1;
                }
            }
        }
    }
}

/// `base * 2^attempt`, at most [`MAX_BACKOFF`].
fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(attempt))
        .min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_millis(100);
        assert_eq!(backoff(base, 0), Duration::from_millis(100));
        assert_eq!(backoff(base, 3), Duration::from_millis(800));
        assert_eq!(backoff(base, 40), MAX_BACKOFF);
    }
}
