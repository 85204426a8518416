//! Metrics, health checks and logging (console, syslog, KillKrill) for Elder Sync.
//!
//! - [`Metrics`]: the Prometheus registry and typed recording methods.
//! - [`health::router`]: `GET /healthz`, `GET /readyz`, `GET /metrics`.
//! - [`logging`]: `tracing` subscriber with console, syslog and KillKrill sinks and secret redaction.

pub mod error;
pub mod health;
pub mod logging;
pub mod metrics;
pub mod redact;

pub use error::Error;
pub use health::{Describe, ReadinessCheck, check_fn, router, router_describing};
pub use logging::{
    CaptureWriter, KillKrillSettings, LogFormat, LogSettings, LogStats, LogStatsSnapshot, Secret,
    SyslogSettings, TelemetryGuard, build_subscriber, init,
};
pub use metrics::{
    ConflictType, GaugeSource, Metrics, StatusClass, SyncStatus, TrapKind, WebhookOutcome,
};
