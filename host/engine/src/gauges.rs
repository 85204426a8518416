//! The metrics that mirror stored state, refreshed before every scrape (attached to the
//! metrics with `Metrics::attach_gauge_source`): a zero series of every sync metric for
//! each installed platform, `sync_mappings_total{platform}` from the mappings table, the
//! inbox and outbox depth and the dead letters by source.

use elder_sync_store::{StoreError, WorkQueue};
use elder_sync_telemetry::{GaugeSource, Metrics};
use futures::future::BoxFuture;

use crate::engine::SyncEngine;

/// The engine as the source of the stored-state gauges.
pub struct EngineGauges(pub SyncEngine);

impl GaugeSource for EngineGauges {
    fn refresh<'a>(&'a self, metrics: &'a Metrics) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(e) = refresh(&self.0, metrics).await {
                tracing::warn!(error = %e, "the stored-state metrics could not be read");
            }
        })
    }
}

async fn refresh(engine: &SyncEngine, metrics: &Metrics) -> Result<(), StoreError> {
    let mut mapped = engine.store.mappings_by_platform().await?;
    for (platform, _) in engine.registry.slots() {
        metrics.ensure_platform(&platform);
        mapped.entry(platform).or_insert(0);
    }
    for (platform, n) in mapped {
        metrics.set_mappings(&platform, u64::try_from(n).unwrap_or(0));
    }
    let depth = |n: i64| u64::try_from(n).unwrap_or(0);
    metrics.set_inbox_depth(depth(engine.store.queue_depth(WorkQueue::Inbox).await?));
    metrics.set_outbox_depth(depth(engine.store.queue_depth(WorkQueue::Outbox).await?));
    let dead = engine.store.dead_letter_counts().await?;
    metrics.set_dead_letters(WorkQueue::Inbox.as_str(), depth(dead.inbox));
    metrics.set_dead_letters(WorkQueue::Outbox.as_str(), depth(dead.outbox));
    Ok(())
}
