//! Background workers: the inbox workers (webhook deliveries, `inbox_workers` of them, each
//! working one config's batch at a time), the outbox dispatcher (Elder changes) and this
//! replica's heartbeat (`replica`). Each drains its queue, then sleeps until notified or a
//! short tick passes (rows retried with backoff become due without a notification).

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::dispatch::dispatch_batch;
use crate::engine::SyncEngine;
use crate::inbox::process_inbox_batch;

const BATCH: u32 = 50;
const TICK: Duration = Duration::from_secs(1);

/// Starts the workers and the heartbeat; they stop when `stop` is cancelled.
pub fn spawn_workers(engine: &SyncEngine, stop: CancellationToken) -> Vec<JoinHandle<()>> {
    let mut handles: Vec<JoinHandle<()>> = (0..engine.settings.inbox_workers.max(1))
        .map(|_| {
            let engine = engine.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let notify = engine.inbox_notify.clone();
                drain_loop("inbox", stop, notify, move || {
                    let engine = engine.clone();
                    async move { process_inbox_batch(&engine, BATCH).await }
                })
                .await
            })
        })
        .collect();
    let heartbeat = crate::replica::spawn_heartbeat(engine, stop.clone());
    let outbox = {
        let engine = engine.clone();
        tokio::spawn(async move {
            let notify = engine.outbox_notify.clone();
            drain_loop("outbox", stop, notify, move || {
                let engine = engine.clone();
                async move { dispatch_batch(&engine, BATCH).await }
            })
            .await
        })
    };
    handles.extend([outbox, heartbeat]);
    handles
}

async fn drain_loop<F, Fut>(
    name: &'static str,
    stop: CancellationToken,
    notify: std::sync::Arc<tokio::sync::Notify>,
    mut step: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, crate::error::EngineError>>,
{
    loop {
        let handled = match step().await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(worker = name, error = %e, "worker step failed");
                0
            }
        };
        if handled > 0 {
            continue;
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = notify.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}
