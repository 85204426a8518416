//! Logging: a `tracing` subscriber writing every event to the console (JSON or pretty), and when
//! enabled to syslog (RFC 5424/UDP) and KillKrill (batched HTTP/3 or HTTP/2). Span fields
//! (correlation id, config id, platform) are carried on every line; secrets are redacted.
//!
//! A sync operation runs inside `tracing::info_span!("sync", correlation_id, config_id, platform)`;
//! every sink repeats those span fields on each line logged inside it.
//!
//! Production calls [`init`]; tests call [`build_subscriber`] with a [`CaptureWriter`] and install
//! it with `tracing::subscriber::set_default`, so tests can run in parallel.

mod console;
mod filter;
mod killkrill;
mod layer;
mod record;
mod settings;
pub mod syslog;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::Subscriber;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use console::CaptureWriter;
pub use layer::TelemetryLayer;
pub use settings::{KillKrillSettings, LogFormat, LogSettings, Secret, SyslogSettings};

use crate::Error;
use killkrill::KillKrillHandle;
use layer::Sink;

/// Counters of the remote sinks (all monotonic).
#[derive(Debug, Default)]
pub struct LogStats {
    pub(crate) syslog_sent: AtomicU64,
    pub(crate) syslog_dropped: AtomicU64,
    pub(crate) killkrill_sent: AtomicU64,
    pub(crate) killkrill_dropped: AtomicU64,
    pub(crate) killkrill_failed_attempts: AtomicU64,
    pub(crate) killkrill_http3_batches: AtomicU64,
    pub(crate) killkrill_http2_batches: AtomicU64,
}

/// A copy of [`LogStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogStatsSnapshot {
    /// Syslog datagrams sent.
    pub syslog_sent: u64,
    /// Syslog lines dropped (queue full or send failed).
    pub syslog_dropped: u64,
    /// KillKrill entries delivered.
    pub killkrill_sent: u64,
    /// KillKrill entries dropped (queue full, or the batch failed all attempts).
    pub killkrill_dropped: u64,
    /// KillKrill requests that failed (each retry counts).
    pub killkrill_failed_attempts: u64,
    /// Batches delivered over HTTP/3.
    pub killkrill_http3_batches: u64,
    /// Batches delivered over HTTP/2 (or the HTTP version the server chose on plain http).
    pub killkrill_http2_batches: u64,
}

impl LogStats {
    /// Reads every counter.
    pub fn snapshot(&self) -> LogStatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LogStatsSnapshot {
            syslog_sent: get(&self.syslog_sent),
            syslog_dropped: get(&self.syslog_dropped),
            killkrill_sent: get(&self.killkrill_sent),
            killkrill_dropped: get(&self.killkrill_dropped),
            killkrill_failed_attempts: get(&self.killkrill_failed_attempts),
            killkrill_http3_batches: get(&self.killkrill_http3_batches),
            killkrill_http2_batches: get(&self.killkrill_http2_batches),
        }
    }
}

/// Keeps the remote sinks running; dropping it (or [`TelemetryGuard::shutdown`]) flushes KillKrill.
pub struct TelemetryGuard {
    stats: Arc<LogStats>,
    killkrill: Option<KillKrillHandle>,
}

impl TelemetryGuard {
    /// The sinks' counters (also exportable with `Metrics::attach_log_stats`).
    pub fn stats(&self) -> Arc<LogStats> {
        self.stats.clone()
    }

    /// Sends every queued KillKrill entry now; `false` if that did not finish in the shutdown timeout.
    pub async fn flush(&self) -> bool {
        match &self.killkrill {
            Some(handle) => handle.flush().await,
            None => true,
        }
    }

    /// Flushes and stops the KillKrill worker; `false` if that did not finish in time.
    pub async fn shutdown(mut self) -> bool {
        match self.killkrill.take() {
            Some(handle) => handle.shutdown().await,
            None => true,
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(handle) = self.killkrill.take() {
            handle.shutdown_blocking();
        }
    }
}

impl std::fmt::Debug for TelemetryGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryGuard")
            .field("stats", &self.stats.snapshot())
            .finish_non_exhaustive()
    }
}

/// Installs the global subscriber (console on stdout plus the enabled remote sinks).
pub fn init(settings: LogSettings) -> Result<TelemetryGuard, Error> {
    let (subscriber, guard) = build_subscriber(&settings, Box::new(std::io::stdout()))?;
    // Also routes `log` records (from crates that do not use `tracing`) into the subscriber.
    subscriber
        .try_init()
        .map_err(|_| Error::AlreadyInitialized)?;
    Ok(guard)
}

/// Builds the subscriber without installing it; the console goes to `console`.
pub fn build_subscriber(
    settings: &LogSettings,
    console: Box<dyn Write + Send>,
) -> Result<(impl Subscriber + Send + Sync + 'static, TelemetryGuard), Error> {
    let filter = filter::parse(&settings.level)?;
    let stats = Arc::new(LogStats::default());
    let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(console::ConsoleSink::new(
        settings.format,
        settings.service_name.clone(),
        settings.hostname.clone(),
        console,
    ))];
    if let Some(syslog) = &settings.syslog {
        let sink = syslog::SyslogSink::start(
            syslog,
            &settings.service_name,
            &settings.hostname,
            stats.clone(),
        )?;
        sinks.push(Box::new(sink));
    }
    let mut killkrill_handle = None;
    if let Some(kk) = &settings.killkrill {
        let (sink, handle) = killkrill::start(
            kk,
            &settings.service_name,
            &settings.hostname,
            stats.clone(),
        )?;
        sinks.push(Box::new(sink));
        killkrill_handle = Some(handle);
    }
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(TelemetryLayer::new(sinks));
    let guard = TelemetryGuard {
        stats,
        killkrill: killkrill_handle,
    };
    Ok((subscriber, guard))
}
