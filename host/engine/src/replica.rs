//! This process's identity among the replicas on one database: an id generated at start
//! (host name plus a random suffix, so a restart is a new replica), its version and start
//! time, and the heartbeat that tells the others it is alive.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::engine::SyncEngine;

/// How often a replica records its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// Who this process is.
#[derive(Debug, Clone)]
pub struct Replica {
    /// `<host name>-<random suffix>`, new at every start.
    pub id: String,
    /// The version of elder-sync running.
    pub version: String,
    /// Start time, UTC milliseconds.
    pub started_at: i64,
}

impl Replica {
    /// A fresh identity for this process.
    pub fn generate() -> Replica {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "replica".to_string());
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        Replica {
            id: format!("{host}-{}", &suffix[..12]),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: elder_sync_model::now_ms(),
        }
    }
}

/// Records this replica's heartbeat now and every [`HEARTBEAT_EVERY`] until `stop`.
pub fn spawn_heartbeat(engine: &SyncEngine, stop: CancellationToken) -> JoinHandle<()> {
    let engine = engine.clone();
    tokio::spawn(async move {
        loop {
            let me = &engine.replica;
            let now = elder_sync_model::now_ms();
            if let Err(e) = engine
                .store
                .heartbeat(&me.id, &me.version, me.started_at, now)
                .await
            {
                tracing::warn!(replica = %me.id, error = %e, "heartbeat not recorded");
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(HEARTBEAT_EVERY) => {}
            }
        }
    })
}
