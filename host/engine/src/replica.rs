//! This process's identity among the replicas on one database: an id generated at start
//! (host name plus a random suffix) and kept in the data directory when there is one, so a
//! replica restarted on the same data takes back its earlier claims at once; its version and
//! start time; and the heartbeat that tells the others it is alive.

use std::sync::Arc;
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
    /// The locked id file, held while the process runs (see [`Replica::kept_in`]).
    id_lock: Option<Arc<std::fs::File>>,
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
            id_lock: None,
        }
    }
}

/// The file in the data directory that keeps a replica's id across restarts.
pub const REPLICA_ID_FILE: &str = "replica-id";

impl Replica {
    /// The identity kept in `data_dir` (written there the first time), with a fresh start time.
    /// The file stays locked while this process runs: a second process on the same data
    /// directory gets a fresh id of its own instead (two live processes never share an id).
    pub fn kept_in(data_dir: &std::path::Path) -> std::io::Result<Replica> {
        use std::io::{Read, Seek, Write};
        let mut replica = Replica::generate();
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(data_dir.join(REPLICA_ID_FILE))?;
        if file.try_lock().is_err() {
            return Ok(replica);
        }
        let mut kept = String::new();
        file.read_to_string(&mut kept)?;
        if kept.trim().is_empty() {
            file.rewind()?;
            file.write_all(replica.id.as_bytes())?;
        } else {
            replica.id = kept.trim().to_string();
        }
        replica.id_lock = Some(Arc::new(file));
        Ok(replica)
    }
}

/// Takes back at once what this replica held before a restart (config leases, inbox and
/// outbox claims), instead of waiting for those leases to expire. Call before the workers start.
pub async fn take_back_own_work(engine: &SyncEngine) {
    match engine.store.free_work_of(&engine.replica.id).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(replica = %engine.replica.id, claims = n, "took back earlier claims")
        }
        Err(e) => tracing::warn!(error = %e, "earlier claims not taken back; their leases expire"),
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

#[cfg(test)]
mod tests {
    use super::Replica;

    #[test]
    fn the_id_is_kept_across_restarts_but_never_shared_by_live_processes() {
        let dir = std::env::temp_dir().join(format!("replica-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = Replica::kept_in(&dir).unwrap();
        let second = Replica::kept_in(&dir).unwrap();
        assert_ne!(first.id, second.id, "a second live process gets its own id");
        let id = first.id.clone();
        drop(first);
        assert_eq!(Replica::kept_in(&dir).unwrap().id, id, "a restart keeps it");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
