//! The scheduler (tokio-cron-scheduler): a short repeated job that starts, for each enabled
//! config, the polls that are due: a first backfill; polling every `sync_interval` when the
//! config has webhooks off or unhealthy; and the batch fallback every `SYNC_BATCH_INTERVAL`.
//! A config already running is skipped, never run twice at once; with several replicas on one
//! database each due run is claimed in the database first ([`claim_run`]), so it happens once
//! per interval across the fleet, not once per replica; a config whose work is
//! paused (`pause`: disabled connector, rate limit) waits. A second job prunes
//! completed work older than the retention (`EngineSettings::retention`) once at start and
//! then every [`PRUNE_EVERY`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use elder_sync_store::{SyncConfig, SyncMethod};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::engine::SyncEngine;
use crate::poll::poll_config;
use crate::webhook_health::WebhookHealth;
use elder_sync_store::load_all_health;

/// How often completed work is pruned.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Batch fallback settings.
#[derive(Debug, Clone, Copy)]
pub struct BatchSettings {
    /// Whether the batch fallback runs at all (`SYNC_BATCH_FALLBACK_ENABLED`).
    pub enabled: bool,
    /// Time between batch fallback runs (`SYNC_BATCH_INTERVAL`); before the first batch it counts
    /// from the last sync.
    pub interval: Duration,
}

/// Which poll, if any, is due for a config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// The config was never polled: a first full poll (backfill) is due.
    Backfill,
    /// Webhooks are off or unhealthy and `sync_interval` has passed: a poll is due.
    Poll,
    /// The batch interval has passed: a batch fallback poll is due.
    Batch,
}

/// Decides what is due for `config` at `now` (pure).
pub fn due(
    config: &SyncConfig,
    webhooks_healthy: bool,
    batch: BatchSettings,
    now: DateTime<Utc>,
) -> Option<Due> {
    if !config.enabled {
        return None;
    }
    let Some(last) = config.last_sync_at else {
        return Some(Due::Backfill);
    };
    let interval = chrono::Duration::seconds(config.sync_interval);
    if (!config.webhook_enabled || !webhooks_healthy) && last + interval <= now {
        return Some(Due::Poll);
    }
    let batch_interval =
        chrono::Duration::from_std(batch.interval).unwrap_or(chrono::Duration::hours(1));
    let last_batch = config.last_batch_sync_at.unwrap_or(last);
    if batch.enabled && config.batch_fallback_enabled && last_batch + batch_interval <= now {
        return Some(Due::Batch);
    }
    None
}

/// Starts the scheduler, checking every `tick`.
pub async fn start_scheduler(
    engine: SyncEngine,
    batch: BatchSettings,
    tick: Duration,
) -> Result<JobScheduler, tokio_cron_scheduler::JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    let engine_for_prune = engine.clone();
    let running: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let job = Job::new_repeated_async(tick, move |_id, _lock| {
        let engine = engine.clone();
        let running = running.clone();
        Box::pin(async move { run_due(&engine, batch, &running).await })
    })?;
    scheduler.add(job).await?;
    let pruner = engine_for_prune.clone();
    scheduler
        .add(Job::new_repeated_async(PRUNE_EVERY, move |_id, _lock| {
            let engine = pruner.clone();
            Box::pin(async move { prune(&engine).await })
        })?)
        .await?;
    scheduler.start().await?;
    tokio::spawn(async move { prune(&engine_for_prune).await });
    Ok(scheduler)
}

/// Deletes completed work older than the retention; failures are logged, never fatal.
pub async fn prune(engine: &SyncEngine) {
    let retention =
        chrono::Duration::from_std(engine.settings.retention).unwrap_or(chrono::Duration::days(14));
    let cutoff = (Utc::now() - retention).timestamp_millis();
    match engine.store.prune_completed(cutoff).await {
        Ok(p) if p.total() > 0 => tracing::info!(
            inbox = p.inbox,
            outbox = p.outbox,
            history = p.history,
            "pruned completed work older than the retention"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pruning completed work failed"),
    }
}

/// One tick of the scheduler: starts, for each enabled config, the poll that is due, unless
/// the config is paused or already running (`running`: the configs whose poll this replica
/// runs now).
pub async fn run_due(
    engine: &SyncEngine,
    batch: BatchSettings,
    running: &Arc<Mutex<HashSet<i64>>>,
) {
    let configs = match engine.store.list_configs().await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "scheduler could not list configs");
            return;
        }
    };
    let health = load_all_health::<WebhookHealth>(&engine.store)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "scheduler could not read webhook health; treating all as healthy");
            Default::default()
        });
    for config in configs {
        let healthy = health.get(&config.id).is_none_or(WebhookHealth::is_healthy);
        let Some(what) = due(&config, healthy, batch, Utc::now()) else {
            continue;
        };
        if let Some(pause) = engine.paused(&config) {
            // Disabled connector or a rate limit: polled again once it resumes.
            tracing::debug!(config_id = config.id, reason = %pause.reason, "scheduled poll waits");
            continue;
        }
        if !running
            .lock()
            .expect("scheduler set poisoned")
            .insert(config.id)
        {
            continue;
        }
        if !claim_run(engine, &config, what, batch).await {
            running
                .lock()
                .expect("scheduler set poisoned")
                .remove(&config.id);
            continue;
        }
        let engine = engine.clone();
        let running = running.clone();
        tokio::spawn(async move {
            let (sync_type, method) = match what {
                Due::Backfill => ("backfill", SyncMethod::Poll),
                Due::Poll => ("poll", SyncMethod::Poll),
                Due::Batch => ("batch", SyncMethod::Batch),
            };
            if let Err(e) = poll_config(&engine, config.id, sync_type, method).await {
                tracing::warn!(config_id = config.id, error = %e, "scheduled sync failed");
            }
            running
                .lock()
                .expect("scheduler set poisoned")
                .remove(&config.id);
        });
    }
}

/// Claims the due run `what` of `config` for this replica: `false` when another replica (or
/// an earlier tick) claimed a run of the config less than an interval ago (`sync_interval`;
/// the batch interval for a batch run), or the database cannot say.
pub async fn claim_run(
    engine: &SyncEngine,
    config: &SyncConfig,
    what: Due,
    batch: BatchSettings,
) -> bool {
    let gap = match what {
        Due::Batch => elder_sync_model::duration_ms(batch.interval),
        Due::Backfill | Due::Poll => config.sync_interval.saturating_mul(1000),
    };
    match engine
        .store
        .claim_scheduled_run(config.id, elder_sync_model::now_ms(), gap)
        .await
    {
        Ok(claimed) => claimed,
        Err(e) => {
            tracing::warn!(config_id = config.id, error = %e, "scheduled run not claimed");
            false
        }
    }
}
