//! The progress of running polls (migration 0009): items handled so far and the estimated
//! total, recorded on the run's `sync_history` row after every page, and read back for
//! `GET /api/v1/sync/status` with the rate and the ETA derived from them.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Store;
use crate::error::Result;
use crate::time::{duration_ms, from_ms, now_ms};

/// A run that has not reported progress for this long is not shown as running: its process
/// died (the next run resumes from the saved cursor). A live run reports after every page;
/// the longest gap is one page read plus one rate-limit wait (at most 120 s by default).
pub const PROGRESS_SEEN_WITHIN: Duration = Duration::from_secs(300);

/// A running poll of one config (a first import above all), as it last reported.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RunProgress {
    /// Row id of the run's `sync_history` row.
    pub history_id: i64,
    /// What started it: `backfill`, `poll`, `batch`, `manual`.
    pub sync_type: String,
    /// When it started (UTC).
    pub started_at: DateTime<Utc>,
    /// When it last reported (after each page, UTC).
    pub updated_at: DateTime<Utc>,
    /// Items (and deletions) handled so far, whatever their outcome.
    pub items_done: i64,
    /// Items handled per second since the start.
    pub items_per_second: f64,
    /// The estimated number of items of the whole run; `None` when no estimate can be made
    /// yet (see `host/api/README.md`: estimated from how far the change times of the items
    /// read so far have advanced toward the run's start).
    pub estimated_total: Option<i64>,
    /// Seconds left at the current rate; `None` while `estimated_total` is unknown.
    pub eta_secs: Option<i64>,
}

impl RunProgress {
    /// The progress from the stored facts; rate and ETA are derived from them.
    fn derive(
        history_id: i64,
        sync_type: String,
        started_ms: i64,
        progress_ms: i64,
        items_done: i64,
        estimated_total: Option<i64>,
    ) -> Result<RunProgress> {
        let secs = (progress_ms - started_ms).max(1) as f64 / 1000.0;
        let rate = items_done as f64 / secs;
        let eta_secs = estimated_total.and_then(|total| {
            (rate > 0.0).then(|| ((total - items_done).max(0) as f64 / rate).ceil() as i64)
        });
        Ok(RunProgress {
            history_id,
            sync_type,
            started_at: from_ms(started_ms)?,
            updated_at: from_ms(progress_ms)?,
            items_done,
            items_per_second: (rate * 10.0).round() / 10.0,
            estimated_total: estimated_total.map(|t| t.max(items_done)),
            eta_secs,
        })
    }
}

impl Store {
    /// Records the progress of the running operation `correlation_id`: `items_done` so far
    /// and the estimated total when known.
    pub async fn record_progress(
        &self,
        correlation_id: Uuid,
        items_done: i64,
        estimated_total: Option<i64>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE sync_history SET items_done = $1, items_estimated_total = $2, \
             progress_at = $3 WHERE correlation_id = $4 AND completed_at IS NULL",
        )
        .bind(items_done)
        .bind(estimated_total)
        .bind(now_ms())
        .bind(correlation_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The running operation of each config, by config id: its newest operation that
    /// reports progress, when unfinished and heard from within [`PROGRESS_SEEN_WITHIN`] (a
    /// run whose process died is hidden by the next run, or by time).
    pub async fn running_progress(&self) -> Result<HashMap<i64, RunProgress>> {
        let seen_since = now_ms() - duration_ms(PROGRESS_SEEN_WITHIN);
        let rows = sqlx::query(
            "SELECT id, sync_config_id, sync_type, started_at, progress_at, items_done, \
             items_estimated_total FROM sync_history h WHERE completed_at IS NULL \
             AND progress_at >= $1 AND NOT EXISTS (SELECT 1 FROM sync_history l \
             WHERE l.sync_config_id = h.sync_config_id AND l.id > h.id \
             AND l.progress_at IS NOT NULL)",
        )
        .bind(seen_since)
        .fetch_all(&self.pool)
        .await?;
        let mut out = HashMap::new();
        for r in rows {
            let progress = RunProgress::derive(
                r.try_get("id")?,
                r.try_get("sync_type")?,
                r.try_get("started_at")?,
                r.try_get("progress_at")?,
                r.try_get::<Option<i64>, _>("items_done")?.unwrap_or(0),
                r.try_get("items_estimated_total")?,
            )?;
            out.insert(r.try_get("sync_config_id")?, progress);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_eta_come_from_the_stored_facts() {
        let p = RunProgress::derive(1, "backfill".into(), 0, 10_000, 5_000, Some(20_000)).unwrap();
        assert_eq!(p.items_per_second, 500.0);
        assert_eq!(p.eta_secs, Some(30));
        let unknown = RunProgress::derive(1, "backfill".into(), 0, 10_000, 5_000, None).unwrap();
        assert_eq!(unknown.eta_secs, None);
        let overrun =
            RunProgress::derive(1, "backfill".into(), 0, 10_000, 5_000, Some(4_000)).unwrap();
        assert_eq!(
            (overrun.estimated_total, overrun.eta_secs),
            (Some(5_000), Some(0))
        );
    }
}
