//! Per-config leases shared by every replica on one database: a row per config naming its
//! holder (a replica id) and an expiry. A lease is taken when it is free, expired or already
//! the caller's; renewed while the work runs; released at the end. A crashed holder's lease
//! simply expires. Inbox and outbox claims (`claim_inbox`, `Store::claim_outbox`) are leases
//! too, renewed here while their batch runs. Also the scheduler's claim of a config's
//! scheduled run: a conditional update only one replica wins per interval.

use crate::Store;
use crate::db::Sql;
use crate::dead_letters::WorkQueue;
use crate::error::Result;

impl Store {
    /// Takes the lease of `config_id` for `holder` until `now + ttl_ms` when it is free,
    /// expired at `now`, or already held by `holder`; `false` when another holder has it.
    pub async fn try_acquire_config_lease(
        &self,
        config_id: i64,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool> {
        let mut sql =
            Sql::new("INSERT INTO config_leases (sync_config_id, holder, expires_at) VALUES (");
        sql.bind(config_id)
            .push(", ")
            .bind(holder)
            .push(", ")
            .bind(now + ttl_ms);
        sql.push(
            ") ON CONFLICT (sync_config_id) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at WHERE config_leases.holder = excluded.holder \
             OR config_leases.expires_at <= ",
        )
        .bind(now);
        self.changed_one(&sql).await
    }

    /// Extends `holder`'s lease of `config_id` to `now + ttl_ms`; `false` when the lease is no
    /// longer `holder`'s (it expired and another replica took it).
    pub async fn renew_config_lease(
        &self,
        config_id: i64,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool> {
        let mut sql = Sql::new("UPDATE config_leases SET expires_at = ");
        sql.bind(now + ttl_ms)
            .push(" WHERE sync_config_id = ")
            .bind(config_id);
        sql.push(" AND holder = ").bind(holder);
        self.changed_one(&sql).await
    }

    /// Gives up `holder`'s lease of `config_id` (nothing when another holder has it).
    pub async fn release_config_lease(&self, config_id: i64, holder: &str) -> Result<()> {
        let mut sql = Sql::new("DELETE FROM config_leases WHERE sync_config_id = ");
        sql.bind(config_id).push(" AND holder = ").bind(holder);
        self.changed_one(&sql).await.map(drop)
    }

    /// Claims the scheduled run of `config_id` at `now`: `true` for exactly one caller per
    /// `min_gap_ms` (the last claim must be at least that old), whichever replica asks.
    pub async fn claim_scheduled_run(
        &self,
        config_id: i64,
        now: i64,
        min_gap_ms: i64,
    ) -> Result<bool> {
        let mut sql = Sql::new("UPDATE sync_configs SET last_scheduled_at = ");
        sql.bind(now).push(" WHERE id = ").bind(config_id);
        sql.push(" AND (last_scheduled_at IS NULL OR last_scheduled_at <= ")
            .bind(now - min_gap_ms)
            .push(")");
        self.changed_one(&sql).await
    }

    /// Frees everything `holder` held before it restarted: its config leases, and its inbox
    /// and outbox claims (due again at once, attempts kept). Call only before `holder` starts
    /// working, since it frees claims on rows a running `holder` may be working on. Returns how
    /// many claims were freed.
    pub async fn free_work_of(&self, holder: &str) -> Result<u64> {
        let mut leases = Sql::new("DELETE FROM config_leases WHERE holder = ");
        leases.bind(holder).query().execute(self.pool()).await?;
        let mut freed = 0;
        for queue in WorkQueue::ALL {
            let mut sql = Sql::new(&format!(
                "UPDATE {} SET claimed_by = NULL, next_attempt_at = ",
                queue.table()
            ));
            sql.bind(crate::time::now_ms())
                .push(" WHERE status = 'pending' AND claimed_by = ")
                .bind(holder);
            freed += sql.query().execute(self.pool()).await?.rows_affected();
        }
        Ok(freed)
    }

    /// Runs `sql`; `true` when it changed exactly one row (the conditional write won).
    async fn changed_one(&self, sql: &Sql) -> Result<bool> {
        Ok(sql.query().execute(self.pool()).await?.rows_affected() == 1)
    }

    /// Extends to `until` the claims `holder` still has on the pending rows `ids` of `queue`
    /// (rows completed, retried later, held or parked meanwhile are no longer claimed);
    /// returns how many were extended.
    pub async fn renew_claims(
        &self,
        queue: WorkQueue,
        ids: &[i64],
        holder: &str,
        until: i64,
    ) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut sql = Sql::new(&format!("UPDATE {} SET next_attempt_at = ", queue.table()));
        sql.bind(until)
            .push(" WHERE status = 'pending' AND claimed_by = ")
            .bind(holder)
            .push(" AND id IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        Ok(sql.query().execute(self.pool()).await?.rows_affected())
    }
}
