//! KillKrill sink: entries are queued (bounded; full queue = dropped and counted) and a background
//! worker thread batches them and POSTs `{"entries": [...]}` with the API key as a Bearer token,
//! over HTTP/3 when enabled (falling back to HTTP/2) or HTTP/2.

mod http2;
mod http3;
mod tls;
mod transport;
mod worker;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::LogStats;
use super::layer::Sink;
use super::record::LogRecord;
use super::settings::KillKrillSettings;
use crate::Error;

/// Requests to the worker besides entries.
pub(crate) enum Control {
    /// Send what is queued now, then acknowledge.
    Flush(std::sync::mpsc::SyncSender<()>),
    /// Send what is queued, acknowledge and stop.
    Shutdown(std::sync::mpsc::SyncSender<()>),
}

pub(crate) struct KillKrillSink {
    tx: mpsc::Sender<Value>,
    service: String,
    hostname: String,
    stats: Arc<LogStats>,
}

/// Handle kept by the guard to flush and stop the worker.
pub(crate) struct KillKrillHandle {
    control: mpsc::Sender<Control>,
    shutdown_timeout: Duration,
}

/// Starts the worker thread and returns the sink and its handle.
pub(crate) fn start(
    settings: &KillKrillSettings,
    service: &str,
    hostname: &str,
    stats: Arc<LogStats>,
) -> Result<(KillKrillSink, KillKrillHandle), Error> {
    let (tx, rx) = mpsc::channel(settings.queue_capacity.max(1));
    let (control, control_rx) = mpsc::channel(4);
    worker::spawn(settings.clone(), rx, control_rx, stats.clone())?;
    let sink = KillKrillSink {
        tx,
        service: service.to_owned(),
        hostname: hostname.to_owned(),
        stats,
    };
    let handle = KillKrillHandle {
        control,
        shutdown_timeout: settings.shutdown_timeout,
    };
    Ok((sink, handle))
}

impl Sink for KillKrillSink {
    fn emit(&self, record: &LogRecord) {
        let entry = record.to_json(&self.service, &self.hostname);
        if self.tx.try_send(entry).is_err() {
            self.stats.killkrill_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl KillKrillHandle {
    /// Asks the worker to send everything queued; waits at most the shutdown timeout.
    pub(crate) async fn flush(&self) -> bool {
        self.request(Control::Flush).await
    }

    /// Flushes and stops the worker; waits at most the shutdown timeout.
    pub(crate) async fn shutdown(&self) -> bool {
        self.request(Control::Shutdown).await
    }

    /// Blocking shutdown, for `Drop`.
    pub(crate) fn shutdown_blocking(&self) -> bool {
        let (ack, done) = std::sync::mpsc::sync_channel(1);
        if self.control.try_send(Control::Shutdown(ack)).is_err() {
            return false;
        }
        done.recv_timeout(self.wait_limit()).is_ok()
    }

    async fn request(&self, make: fn(std::sync::mpsc::SyncSender<()>) -> Control) -> bool {
        let (ack, done) = std::sync::mpsc::sync_channel(1);
        if self.control.send(make(ack)).await.is_err() {
            return false;
        }
        let limit = self.wait_limit();
        tokio::task::spawn_blocking(move || done.recv_timeout(limit).is_ok())
            .await
            .unwrap_or(false)
    }

    fn wait_limit(&self) -> Duration {
        self.shutdown_timeout + Duration::from_millis(250)
    }
}
