//! The two-way sync engine: conflict resolution, webhook inbox, polling, outbox, scheduler.
//!
//! `resolver`: the pure three-way conflict resolver over canonical items.
//! `signatures`: pure, constant-time webhook signature verification and delivery ids.
//!
//! Steps both directions share: `sides` (the merge's sides as canonical items, in the
//! platform's terms: `terms` translates status names by the config's `status_map` and
//! assignees through the identity table, `people`),
//! `resolution` (a resolution carried out on both sides), `conflict_record`, `mapping_write`.
//!
//! Data flows one way: HTTP in (`routes`) -> `ingest` (verify, durable inbox) -> `workers`
//! -> `apply` (external -> Elder: `plan` decides, three-way via `resolver`, and `apply`
//! executes) and `dispatch` (Elder outbox -> platforms); `poll` and `scheduler` pull
//! changes when webhooks cannot be trusted (`webhook_health` decides when), and a
//! `dry_run` reports a run's plans instead of executing them. `renames` follows a platform
//! item whose id changed (a renamed GitHub label). `linking` pairs existing items by hand
//! (`POST /api/v1/sync/mappings`). `settle` applies a person's resolution of a conflict
//! to both sides (`POST /api/v1/sync/conflicts/{id}/resolve`). Every operation logs under
//! a correlation id (`run`), the same id as its `sync_history` row. `pause` decides when a
//! config's work waits (disabled config or connector, a platform's rate limit) without
//! using up attempts; `gauges` refreshes the metrics that mirror stored state before each
//! scrape. `comments` reconciles a synced issue's comments with the platform's whenever
//! the item is synced (poll, inbox, push).

pub mod resolver;
pub mod signatures;

// The I/O side: engine state, applying changes both ways, polling, webhooks, workers.
pub mod apply;
pub mod comments;
pub mod conflict_record;
pub mod conflict_view;
pub mod convert;
pub mod dispatch;
pub mod dry_run;
pub mod engine;
pub mod error;
pub mod gates;
pub mod gauges;
pub mod import_page;
pub mod inbox;
pub mod ingest;
pub mod lease;
pub mod linking;
pub mod mapping_write;
pub mod notes;
pub mod pause;
pub mod people;
pub mod plan;
pub mod poll;
pub mod progress;
pub mod refusals;
pub mod renames;
pub mod replica;
pub mod resolution;
pub mod routes;
pub mod run;
pub mod scheduler;
pub mod settle;
pub mod sides;
pub mod terms;
pub mod trust;
pub mod unknown_creates;
pub mod webhook_health;
pub mod workers;

pub use elder_sync_runtime::ConnectorRegistry;
/// The connector registry lives in the runtime crate (the plugin host swaps it too).
pub use elder_sync_runtime::registry;
pub use engine::{EngineSettings, SyncEngine};
pub use error::EngineError;
