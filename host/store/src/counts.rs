//! The counts the metrics mirror: mappings per platform and the depth of the two work
//! queues (rows still `pending`, including work that waits for a paused config).

use std::collections::BTreeMap;

use sqlx::Row;

use crate::Store;
use crate::dead_letters::WorkQueue;
use crate::error::Result;

impl Store {
    /// Mapped items per platform (platforms without mappings are absent).
    pub async fn mappings_by_platform(&self) -> Result<BTreeMap<String, i64>> {
        let rows = sqlx::query(
            "SELECT external_platform, COUNT(*) AS n FROM sync_mappings GROUP BY external_platform",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("external_platform")?, r.try_get("n")?)))
            .collect()
    }

    /// Rows of `queue` waiting to be worked on.
    pub async fn queue_depth(&self, queue: WorkQueue) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {} WHERE status = 'pending'",
            queue.table()
        );
        Ok(sqlx::query(&sql)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}
