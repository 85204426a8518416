//! Retention: completed work (processed webhook deliveries, sent outbox rows, finished
//! sync runs) older than the retention period is deleted; failed and parked work
//! (`pending` or `error` rows) is kept until it is handled. The scheduler calls
//! [`Store::prune_completed`]; the SQL lives here.

use crate::Store;
use crate::error::Result;

/// Rows deleted by one prune.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Processed webhook deliveries deleted (`webhook_inbox`).
    pub inbox: u64,
    /// Sent outbox rows deleted (`outbox`).
    pub outbox: u64,
    /// Finished sync runs deleted (`sync_history`).
    pub history: u64,
}

impl Pruned {
    /// All rows deleted.
    pub fn total(&self) -> u64 {
        self.inbox + self.outbox + self.history
    }
}

impl Store {
    /// Deletes completed rows finished before `cutoff_ms` (UTC milliseconds): inbox
    /// deliveries with status `done` (by `processed_at`), outbox rows with status `done`
    /// (by the time they were sent, kept in `next_attempt_at`) and sync runs that have
    /// finished (by `completed_at`). Rows still pending or parked as `error` are kept.
    pub async fn prune_completed(&self, cutoff_ms: i64) -> Result<Pruned> {
        let inbox = self
            .delete_before(
                "DELETE FROM webhook_inbox WHERE status = 'done' AND processed_at < $1",
                cutoff_ms,
            )
            .await?;
        let outbox = self
            .delete_before(
                "DELETE FROM outbox WHERE status = 'done' AND next_attempt_at < $1",
                cutoff_ms,
            )
            .await?;
        let history = self
            .delete_before(
                "DELETE FROM sync_history WHERE completed_at IS NOT NULL AND completed_at < $1",
                cutoff_ms,
            )
            .await?;
        Ok(Pruned {
            inbox,
            outbox,
            history,
        })
    }

    async fn delete_before(&self, sql: &str, cutoff_ms: i64) -> Result<u64> {
        let done = sqlx::query(sql).bind(cutoff_ms).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
