//! The Prometheus registry of the host and the typed methods that record into it.
//!
//! Every label value is either an enum spelling or a bounded identifier (see
//! [`labels`]), so no id, URL or user text can create unbounded series.

pub mod labels;

use std::sync::{Arc, Mutex};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use futures::future::BoxFuture;

use crate::Error;
use crate::logging::LogStats;
use labels::BoundedLabel;
pub use labels::{ConflictType, StatusClass, SyncStatus, TrapKind, WebhookOutcome};

const SYNC_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];
const CALL_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Distinct platform / connector ids kept before folding into `other`.
const MAX_IDS: usize = 32;
/// Distinct connector function names kept before folding into `other`.
const MAX_FUNCTIONS: usize = 64;
/// Distinct call outcomes kept before folding into `other`.
const MAX_OUTCOMES: usize = 16;

/// The host's metrics. Cheap to clone; all clones record into the same registry.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    ids: BoundedLabel,
    functions: BoundedLabel,
    outcomes: BoundedLabel,
    sync_operations: IntCounterVec,
    sync_duration: HistogramVec,
    sync_conflicts: IntCounterVec,
    sync_mappings: IntGaugeVec,
    webhook_deliveries: IntCounterVec,
    webhook_rejected: IntCounterVec,
    inbox_depth: IntGauge,
    outbox_depth: IntGauge,
    dead_letters: IntGaugeVec,
    connector_calls: IntCounterVec,
    connector_call_duration: HistogramVec,
    connector_traps: IntCounterVec,
    egress_requests: IntCounterVec,
    rate_limit_waits: IntCounterVec,
    rate_limit_wait_seconds: prometheus::CounterVec,
    log_dropped: IntCounterVec,
    log_stats: Mutex<Option<Arc<LogStats>>>,
    gauge_source: Mutex<Option<Arc<dyn GaugeSource>>>,
}

/// Sets the gauges that mirror stored state (mapping counts, queue depths, dead letters)
/// and the series of every installed platform; called before each scrape, so even the
/// first one sees every metric.
pub trait GaugeSource: Send + Sync {
    /// Brings the gauges up to date (failures are the source's to log).
    fn refresh<'a>(&'a self, metrics: &'a Metrics) -> BoxFuture<'a, ()>;
}

impl Metrics {
    /// Creates the metrics in a fresh registry.
    pub fn new() -> Result<Self, Error> {
        let registry = Registry::new();
        let inner = Inner {
            ids: BoundedLabel::new(MAX_IDS),
            functions: BoundedLabel::new(MAX_FUNCTIONS),
            outcomes: BoundedLabel::new(MAX_OUTCOMES),
            sync_operations: counter(
                &registry,
                "sync_operations_total",
                "Sync operations by platform and result.",
                &["platform", "status"],
            )?,
            sync_duration: histogram(
                &registry,
                "sync_duration_seconds",
                "Duration of sync operations.",
                &["platform"],
                SYNC_BUCKETS,
            )?,
            sync_conflicts: counter(
                &registry,
                "sync_conflicts_total",
                "Conflicts detected by the resolver.",
                &["platform", "type"],
            )?,
            sync_mappings: gauge(
                &registry,
                "sync_mappings_total",
                "Items currently mapped between Elder and the platform.",
                &["platform"],
            )?,
            webhook_deliveries: counter(
                &registry,
                "webhook_deliveries_total",
                "Incoming webhook deliveries by platform and outcome.",
                &["platform", "outcome"],
            )?,
            webhook_rejected: counter(
                &registry,
                "sync_webhook_rejected_total",
                "Webhook deliveries refused before authentication, by platform and reason \
                 (bad_signature, unsigned, unknown_config, webhooks_disabled, \
                 no_usable_secret, no_scheme).",
                &["platform", "reason"],
            )?,
            inbox_depth: plain_gauge(
                &registry,
                "sync_inbox_depth",
                "Changes waiting in the inbox.",
            )?,
            outbox_depth: plain_gauge(
                &registry,
                "sync_outbox_depth",
                "Changes waiting in the outbox.",
            )?,
            dead_letters: gauge(
                &registry,
                "sync_dead_letters",
                "Work parked after exhausting its attempts (GET /api/v1/sync/dead-letters), \
                 by source (inbox, outbox).",
                &["source"],
            )?,
            connector_calls: counter(
                &registry,
                "connector_calls_total",
                "Calls into connector components.",
                &["connector", "function", "outcome"],
            )?,
            connector_call_duration: histogram(
                &registry,
                "connector_call_duration_seconds",
                "Duration of calls into connector components.",
                &["connector", "function"],
                CALL_BUCKETS,
            )?,
            connector_traps: counter(
                &registry,
                "connector_traps_total",
                "Connector calls that trapped, by kind.",
                &["connector", "kind"],
            )?,
            egress_requests: counter(
                &registry,
                "egress_requests_total",
                "Outgoing HTTP requests made for connectors, by status class.",
                &["connector", "status"],
            )?,
            rate_limit_waits: counter(
                &registry,
                "rate_limit_waits_total",
                "Times a connector had to wait for a platform rate limit.",
                &["connector"],
            )?,
            rate_limit_wait_seconds: float_counter(
                &registry,
                "rate_limit_wait_seconds_total",
                "Seconds spent waiting for platform rate limits.",
                &["connector"],
            )?,
            log_dropped: counter(
                &registry,
                "log_entries_dropped_total",
                "Log entries dropped by a remote sink (queue full or endpoint down).",
                &["sink"],
            )?,
            log_stats: Mutex::new(None),
            gauge_source: Mutex::new(None),
            registry,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The underlying registry, for callers that add their own collectors.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Records one finished sync operation and its duration.
    pub fn sync_operation(&self, platform: &str, status: SyncStatus, secs: f64) {
        let platform = self.inner.ids.value(platform);
        self.inner
            .sync_operations
            .with_label_values(&[platform.as_str(), status.as_str()])
            .inc();
        self.inner
            .sync_duration
            .with_label_values(&[platform.as_str()])
            .observe(non_negative(secs));
    }

    /// Records one conflict found by the resolver.
    pub fn sync_conflict(&self, platform: &str, kind: ConflictType) {
        let platform = self.inner.ids.value(platform);
        self.inner
            .sync_conflicts
            .with_label_values(&[platform.as_str(), kind.as_str()])
            .inc();
    }

    /// Sets the number of mapped items for a platform.
    pub fn set_mappings(&self, platform: &str, count: u64) {
        let platform = self.inner.ids.value(platform);
        self.inner
            .sync_mappings
            .with_label_values(&[platform.as_str()])
            .set(saturating_i64(count));
    }

    /// Records one incoming webhook delivery.
    pub fn webhook_delivery(&self, platform: &str, outcome: WebhookOutcome) {
        let platform = self.inner.ids.value(platform);
        self.inner
            .webhook_deliveries
            .with_label_values(&[platform.as_str(), outcome.as_str()])
            .inc();
    }

    /// Records one delivery refused because it could not be authenticated; `reason` is
    /// one of a fixed set of spellings chosen by the engine (`platform` is `unknown` when no
    /// config matched).
    pub fn webhook_rejected(&self, platform: &str, reason: &'static str) {
        let platform = self.inner.ids.value(platform);
        self.inner
            .webhook_rejected
            .with_label_values(&[platform.as_str(), reason])
            .inc();
    }

    /// Sets the inbox depth.
    pub fn set_inbox_depth(&self, depth: u64) {
        self.inner.inbox_depth.set(saturating_i64(depth));
    }

    /// Sets the outbox depth.
    pub fn set_outbox_depth(&self, depth: u64) {
        self.inner.outbox_depth.set(saturating_i64(depth));
    }

    /// Sets the number of dead letters of one `source` (`inbox` or `outbox`).
    pub fn set_dead_letters(&self, source: &'static str, count: u64) {
        self.inner
            .dead_letters
            .with_label_values(&[source])
            .set(saturating_i64(count));
    }

    /// Creates every per-platform series of the sync metrics for `platform` (at 0 where it
    /// has none yet), so dashboards and alerts see an installed platform before its traffic.
    pub fn ensure_platform(&self, platform: &str) {
        let platform = self.inner.ids.value(platform);
        for status in SyncStatus::ALL {
            self.inner
                .sync_operations
                .with_label_values(&[platform.as_str(), status.as_str()]);
        }
        self.inner
            .sync_duration
            .with_label_values(&[platform.as_str()]);
        for kind in ConflictType::ALL {
            self.inner
                .sync_conflicts
                .with_label_values(&[platform.as_str(), kind.as_str()]);
        }
        self.inner
            .sync_mappings
            .with_label_values(&[platform.as_str()]);
    }

    /// Has `source` refresh the stored-state gauges before every [`Metrics::scrape`].
    pub fn attach_gauge_source(&self, source: Arc<dyn GaugeSource>) {
        *self
            .inner
            .gauge_source
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(source);
    }

    /// Refreshes the stored-state gauges (when a source is attached), then renders.
    pub async fn scrape(&self) -> String {
        let source = self
            .inner
            .gauge_source
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(source) = source {
            source.refresh(self).await;
        }
        self.render()
    }

    /// `RuntimeObserver::call_finished`: one call into a connector finished.
    pub fn call_finished(&self, connector: &str, function: &str, outcome: &str, secs: f64) {
        let connector = self.inner.ids.value(connector);
        let function = self.inner.functions.value(function);
        let outcome = self.inner.outcomes.value(outcome);
        self.inner
            .connector_calls
            .with_label_values(&[connector.as_str(), function.as_str(), outcome.as_str()])
            .inc();
        self.inner
            .connector_call_duration
            .with_label_values(&[connector.as_str(), function.as_str()])
            .observe(non_negative(secs));
    }

    /// `RuntimeObserver::trapped`: a connector call trapped; `kind` as the runtime spells it.
    pub fn trapped(&self, connector: &str, kind: &str) {
        self.trap(connector, TrapKind::parse(kind));
    }

    /// A connector call trapped.
    pub fn trap(&self, connector: &str, kind: TrapKind) {
        let connector = self.inner.ids.value(connector);
        self.inner
            .connector_traps
            .with_label_values(&[connector.as_str(), kind.as_str()])
            .inc();
    }

    /// `RuntimeObserver::egress`: an egress request finished with `status` (None: no response).
    pub fn egress(&self, connector: &str, status: Option<u16>) {
        let connector = self.inner.ids.value(connector);
        self.inner
            .egress_requests
            .with_label_values(&[connector.as_str(), StatusClass::of(status).as_str()])
            .inc();
    }

    /// A connector waited `secs` seconds for a platform rate limit.
    pub fn rate_limit_wait(&self, connector: &str, secs: f64) {
        let connector = self.inner.ids.value(connector);
        self.inner
            .rate_limit_waits
            .with_label_values(&[connector.as_str()])
            .inc();
        self.inner
            .rate_limit_wait_seconds
            .with_label_values(&[connector.as_str()])
            .inc_by(non_negative(secs));
    }

    /// Exports the drop counters of the logging sinks as `log_entries_dropped_total{sink}`.
    pub fn attach_log_stats(&self, stats: Arc<LogStats>) {
        *self
            .inner
            .log_stats
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(stats);
    }

    /// All metrics in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        self.refresh_log_stats();
        let mut buf = Vec::new();
        let families = self.inner.registry.gather();
        if let Err(err) = TextEncoder::new().encode(&families, &mut buf) {
            return format!("# encoding metrics failed: {err}\n");
        }
        String::from_utf8(buf).unwrap_or_default()
    }

    fn refresh_log_stats(&self) {
        let guard = self
            .inner
            .log_stats
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let Some(stats) = guard.as_ref() else { return };
        let snapshot = stats.snapshot();
        for (sink, dropped) in [
            ("syslog", snapshot.syslog_dropped),
            ("killkrill", snapshot.killkrill_dropped),
        ] {
            let counter = self.inner.log_dropped.with_label_values(&[sink]);
            let delta = dropped.saturating_sub(counter.get());
            counter.inc_by(delta);
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn non_negative(secs: f64) -> f64 {
    if secs.is_finite() && secs > 0.0 {
        secs
    } else {
        0.0
    }
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn counter(
    reg: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<IntCounterVec, Error> {
    let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
    reg.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn float_counter(
    reg: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<prometheus::CounterVec, Error> {
    let metric = prometheus::CounterVec::new(Opts::new(name, help), labels)?;
    reg.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn gauge(reg: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntGaugeVec, Error> {
    let metric = IntGaugeVec::new(Opts::new(name, help), labels)?;
    reg.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn plain_gauge(reg: &Registry, name: &str, help: &str) -> Result<IntGauge, Error> {
    let metric = IntGauge::new(name, help)?;
    reg.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn histogram(
    reg: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> Result<HistogramVec, Error> {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    let metric = HistogramVec::new(opts, labels)?;
    reg.register(Box::new(metric.clone()))?;
    Ok(metric)
}
