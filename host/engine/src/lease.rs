//! Per-config leases across replicas: one replica at a time works on a config (a poll run, a
//! webhook batch, its outbox pushes, a link or a conflict settlement). Inside a process an
//! in-memory mutex queues the config's work; across processes the holder is the database
//! row of [`Store::try_acquire_config_lease`](elder_sync_store::Store), taken when free or
//! expired, renewed every [`LEASE_RENEW`] while the work runs, and released when the guard
//! drops. A replica that dies loses its leases within [`CONFIG_LEASE`]. Inbox and outbox
//! claims are leases of [`CLAIM_LEASE`](crate::engine::CLAIM_LEASE), renewed the same way
//! while their batch runs ([`ClaimRenewal`]).

use std::time::Duration;

use elder_sync_model::duration_ms;
use elder_sync_store::{Store, WorkQueue};
use tokio::sync::OwnedMutexGuard;
use tokio::task::JoinHandle;

use crate::engine::SyncEngine;

/// How long a config lease lasts without renewal: a crashed replica's configs are free again
/// this long after its last renewal.
pub const CONFIG_LEASE: Duration = Duration::from_secs(15);

/// How often a held lease is renewed while its work runs.
pub const LEASE_RENEW: Duration = Duration::from_secs(5);

/// How long to wait before asking again for a lease another replica holds.
const LEASE_RETRY: Duration = Duration::from_millis(200);

/// A held config lease; dropping it releases the lease, then the in-process queue.
pub struct ConfigLease {
    config_id: i64,
    store: Store,
    holder: String,
    renewer: JoinHandle<()>,
    local: Option<OwnedMutexGuard<()>>,
}

impl Drop for ConfigLease {
    fn drop(&mut self) {
        self.renewer.abort();
        let (store, holder, config_id) = (self.store.clone(), self.holder.clone(), self.config_id);
        let local = self.local.take();
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return; // No runtime left: the lease expires on its own.
        };
        rt.spawn(async move {
            if let Err(e) = store.release_config_lease(config_id, &holder).await {
                tracing::warn!(config_id, error = %e, "config lease not released; it expires");
            }
            drop(local);
        });
    }
}

/// Waits for the lease of `config_id` (the in-process queue first, then the database row),
/// and keeps it renewed until the returned guard drops.
pub async fn acquire(
    engine: &SyncEngine,
    local: OwnedMutexGuard<()>,
    config_id: i64,
) -> ConfigLease {
    loop {
        if take_row(engine, config_id).await {
            return held(engine, local, config_id);
        }
        tokio::time::sleep(LEASE_RETRY).await;
    }
}

/// The lease of `config_id` when its database row is free now (one attempt, no waiting);
/// `None` when another replica holds it (`local` is released then).
pub async fn try_acquire(
    engine: &SyncEngine,
    local: OwnedMutexGuard<()>,
    config_id: i64,
) -> Option<ConfigLease> {
    take_row(engine, config_id)
        .await
        .then(|| held(engine, local, config_id))
}

/// One attempt at the lease's database row; errors are logged and count as not taken.
async fn take_row(engine: &SyncEngine, config_id: i64) -> bool {
    let now = elder_sync_model::now_ms();
    match engine
        .store
        .try_acquire_config_lease(
            config_id,
            &engine.replica.id,
            now,
            duration_ms(CONFIG_LEASE),
        )
        .await
    {
        Ok(taken) => taken,
        Err(e) => {
            tracing::warn!(config_id, error = %e, "config lease not taken; retrying");
            false
        }
    }
}

/// The guard of a lease whose row was just taken: renewed from now on.
fn held(engine: &SyncEngine, local: OwnedMutexGuard<()>, config_id: i64) -> ConfigLease {
    let store = engine.store.clone();
    let holder = engine.replica.id.clone();
    let renewer = tokio::spawn(renew(store.clone(), holder.clone(), config_id));
    ConfigLease {
        config_id,
        store,
        holder,
        renewer,
        local: Some(local),
    }
}

async fn renew(store: Store, holder: String, config_id: i64) {
    loop {
        tokio::time::sleep(LEASE_RENEW).await;
        let now = elder_sync_model::now_ms();
        match store
            .renew_config_lease(config_id, &holder, now, duration_ms(CONFIG_LEASE))
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::error!(config_id, "config lease lost while its work runs"),
            Err(e) => tracing::warn!(config_id, error = %e, "config lease not renewed"),
        }
    }
}

/// Keeps a batch's inbox or outbox claims renewed until dropped (rows finished meanwhile are
/// no longer claimed and are left alone).
pub struct ClaimRenewal(JoinHandle<()>);

impl Drop for ClaimRenewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Renews `engine`'s claims on the rows `ids` of `queue` every [`LEASE_RENEW`] while the
/// returned guard lives.
pub fn renew_claims(engine: &SyncEngine, queue: WorkQueue, ids: Vec<i64>) -> ClaimRenewal {
    let store = engine.store.clone();
    let holder = engine.replica.id.clone();
    ClaimRenewal(tokio::spawn(async move {
        loop {
            tokio::time::sleep(LEASE_RENEW).await;
            let until = elder_sync_model::now_ms() + duration_ms(crate::engine::CLAIM_LEASE);
            if let Err(e) = store.renew_claims(queue, &ids, &holder, until).await {
                tracing::warn!(queue = queue.as_str(), error = %e, "claims not renewed");
            }
        }
    }))
}
