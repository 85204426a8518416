//! Dead letters: work that exhausted its attempts or failed for good, parked with status
//! `error` in one of two tables: a webhook delivery in `webhook_inbox` or an Elder change in
//! `outbox`. Listed (newest first, by config and source), retried (back to `pending`,
//! attempts reset, due now) or dropped (deleted). A platform's redelivery of a parked
//! delivery re-queues it the same way.
//!
//! A dead letter's id names its table: `inbox-12` is row 12 of `webhook_inbox`, `outbox-7`
//! row 7 of `outbox` ([`DeadLetterId`]); `source` says the same as a field of its own.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

use crate::Store;
use crate::db::Sql;
use crate::error::{Result, StoreError};
use crate::outbox::OutboxOperation;
use crate::page::{PageRequest, Paged};
use crate::time::{from_ms, now_ms};

/// The two work queues, and so where a dead letter is parked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkQueue {
    /// A webhook delivery that could not be processed.
    Inbox,
    /// An Elder change that could not be pushed to a platform.
    Outbox,
}

impl WorkQueue {
    /// Both sources.
    pub const ALL: [WorkQueue; 2] = [WorkQueue::Inbox, WorkQueue::Outbox];

    /// The spelling in ids, filters and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkQueue::Inbox => "inbox",
            WorkQueue::Outbox => "outbox",
        }
    }

    pub(crate) fn table(self) -> &'static str {
        match self {
            WorkQueue::Inbox => "webhook_inbox",
            WorkQueue::Outbox => "outbox",
        }
    }

    /// The rows of this source as dead letters (the list's columns, `status = 'error'`).
    fn select(self) -> &'static str {
        match self {
            WorkQueue::Inbox => {
                "SELECT 'inbox' AS source, id, sync_config_id, delivery_id, \
                 CAST(NULL AS TEXT) AS resource_type, CAST(NULL AS BIGINT) AS resource_id, \
                 CAST(NULL AS TEXT) AS operation, attempts, last_error, \
                 received_at AS created_at, next_attempt_at AS parked_at \
                 FROM webhook_inbox WHERE status = 'error'"
            }
            WorkQueue::Outbox => {
                "SELECT 'outbox' AS source, id, sync_config_id, CAST(NULL AS TEXT) AS delivery_id, \
                 resource_type, resource_id, operation, attempts, last_error, \
                 created_at, next_attempt_at AS parked_at \
                 FROM outbox WHERE status = 'error'"
            }
        }
    }
}

/// A dead letter's id: its table and its row, written `inbox-12` or `outbox-7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLetterId {
    /// The queue (table) the work was parked in.
    pub source: WorkQueue,
    /// Row id in that table.
    pub row: i64,
}

impl fmt::Display for DeadLetterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.source.as_str(), self.row)
    }
}

impl FromStr for DeadLetterId {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            StoreError::invalid(
                "id",
                format!("a dead letter id is inbox-<n> or outbox-<n>, got {s:?}"),
            )
        };
        let (source, row) = s.split_once('-').ok_or_else(bad)?;
        let source = WorkQueue::ALL
            .into_iter()
            .find(|d| d.as_str() == source)
            .ok_or_else(bad)?;
        let row = row
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0 && !row.starts_with('+'))
            .ok_or_else(bad)?;
        Ok(DeadLetterId { source, row })
    }
}

/// One parked piece of work.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeadLetter {
    /// `inbox-<n>` or `outbox-<n>`: the table and row (use it to retry or drop).
    pub id: String,
    /// The queue it was parked in: `inbox` (a webhook delivery) or `outbox` (an Elder change).
    pub source: WorkQueue,
    /// The config the work was for: an inbox delivery's config; for an outbox row, the
    /// config whose push failed (none for rows parked before this was recorded).
    pub sync_config_id: Option<i64>,
    /// Inbox: the platform's delivery id.
    pub delivery_id: Option<String>,
    /// Outbox: the Elder resource's kind (issue, project, milestone, label).
    pub resource_type: Option<String>,
    /// Outbox: the Elder resource's id.
    pub resource_id: Option<i64>,
    /// Outbox: what happened to the resource.
    pub operation: Option<OutboxOperation>,
    /// Attempts made before it was parked.
    pub attempts: i64,
    /// Why the last attempt failed (redacted like the logs).
    pub last_error: Option<String>,
    /// When the delivery arrived or the change was made.
    pub created_at: DateTime<Utc>,
    /// When it was parked.
    pub parked_at: DateTime<Utc>,
}

/// Dead-letter list filters.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeadLetterFilter {
    /// Only work of this sync config.
    pub config_id: Option<i64>,
    /// Only work parked in this queue.
    pub source: Option<WorkQueue>,
}

/// Dead letters by source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeadLetterCounts {
    /// Webhook deliveries parked.
    pub inbox: i64,
    /// Elder changes parked.
    pub outbox: i64,
}

impl DeadLetterCounts {
    /// Both sources together.
    pub fn total(&self) -> i64 {
        self.inbox + self.outbox
    }
}

impl Store {
    /// Dead letters matching `filter`, most recently parked first.
    pub async fn list_dead_letters(
        &self,
        filter: DeadLetterFilter,
        page: PageRequest,
    ) -> Result<Paged<DeadLetter>> {
        let build = |head: &str| {
            let mut sql = Sql::new(head);
            sql.push(" FROM (");
            let sources = WorkQueue::ALL
                .into_iter()
                .filter(|s| filter.source.is_none_or(|f| f == *s));
            for (i, source) in sources.enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push(source.select());
                if let Some(c) = filter.config_id {
                    sql.push(" AND sync_config_id = ").bind(c);
                }
            }
            sql.push(") dead");
            sql
        };
        let total: i64 = build("SELECT COUNT(*) AS n")
            .query()
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let mut list = build("SELECT *");
        list.push(" ORDER BY parked_at DESC, source, id DESC LIMIT ")
            .bind(page.limit());
        list.push(" OFFSET ").bind(page.offset());
        let rows = list.query().fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(dead_letter_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// Puts a claimed row of `queue` back untried until `until`: its claim does not count
    /// as an attempt (the config's work is paused: a disabled config or connector, a
    /// platform's rate limit), so waiting never uses up attempts.
    pub async fn hold_work(&self, queue: WorkQueue, id: i64, until: DateTime<Utc>) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET status = 'pending', attempts = CASE WHEN attempts > 0 \
             THEN attempts - 1 ELSE 0 END, next_attempt_at = $1, claimed_by = NULL WHERE id = $2",
            queue.table()
        );
        let done = sqlx::query(&sql)
            .bind(crate::time::to_ms(until))
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("{} row {id}", queue.as_str())));
        }
        Ok(())
    }

    /// Puts a dead letter back in its queue: `pending`, attempts reset, due now.
    pub async fn retry_dead_letter(&self, id: DeadLetterId) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET {REQUEUE} WHERE id = $2 AND status = 'error'",
            id.source.table()
        );
        let done = sqlx::query(&sql)
            .bind(now_ms())
            .bind(id.row)
            .execute(&self.pool)
            .await?;
        found(done.rows_affected(), id)
    }

    /// Deletes a dead letter for good.
    pub async fn drop_dead_letter(&self, id: DeadLetterId) -> Result<()> {
        let sql = format!(
            "DELETE FROM {} WHERE id = $1 AND status = 'error'",
            id.source.table()
        );
        let done = sqlx::query(&sql).bind(id.row).execute(&self.pool).await?;
        found(done.rows_affected(), id)
    }

    /// A platform redelivered `delivery_id` for `config_id`: when that delivery is parked it
    /// is re-queued like a retried dead letter (true); otherwise nothing changes (false: a
    /// duplicate of a delivery still queued or already processed).
    pub async fn requeue_parked_delivery(&self, config_id: i64, delivery_id: &str) -> Result<bool> {
        let done = sqlx::query(&format!(
            "UPDATE webhook_inbox SET {REQUEUE} \
             WHERE sync_config_id = $2 AND delivery_id = $3 AND status = 'error'"
        ))
        .bind(now_ms())
        .bind(config_id)
        .bind(delivery_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Dead letters by source, of every config.
    pub async fn dead_letter_counts(&self) -> Result<DeadLetterCounts> {
        let mut counts = DeadLetterCounts::default();
        for source in WorkQueue::ALL {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {} WHERE status = 'error'",
                source.table()
            );
            let n: i64 = sqlx::query(&sql)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
            match source {
                WorkQueue::Inbox => counts.inbox = n,
                WorkQueue::Outbox => counts.outbox = n,
            }
        }
        Ok(counts)
    }

    /// Dead letters per config (both sources; outbox rows by the config whose push failed).
    pub(crate) async fn dead_letters_by_config(
        &self,
    ) -> Result<std::collections::HashMap<i64, i64>> {
        let mut out = std::collections::HashMap::new();
        for source in WorkQueue::ALL {
            let sql = format!(
                "SELECT sync_config_id, COUNT(*) AS n FROM {} WHERE status = 'error' \
                 AND sync_config_id IS NOT NULL GROUP BY sync_config_id",
                source.table()
            );
            for r in sqlx::query(&sql).fetch_all(&self.pool).await? {
                let n: i64 = r.try_get("n")?;
                *out.entry(r.try_get("sync_config_id")?).or_insert(0) += n;
            }
        }
        Ok(out)
    }
}

/// What re-queuing sets (`$1` is now): back to `pending`, no attempts made, due now. The
/// last error stays until the next attempt tells a new story.
const REQUEUE: &str = "status = 'pending', attempts = 0, next_attempt_at = $1";

fn found(rows: u64, id: DeadLetterId) -> Result<()> {
    if rows == 0 {
        return Err(StoreError::NotFound(format!("dead letter {id}")));
    }
    Ok(())
}

fn dead_letter_from_row(r: &AnyRow) -> Result<DeadLetter> {
    let source: String = r.try_get("source")?;
    let source = WorkQueue::ALL
        .into_iter()
        .find(|s| s.as_str() == source)
        .ok_or_else(|| StoreError::Corrupt(format!("dead letter source {source}")))?;
    let row: i64 = r.try_get("id")?;
    let operation: Option<String> = r.try_get("operation")?;
    Ok(DeadLetter {
        id: DeadLetterId { source, row }.to_string(),
        source,
        sync_config_id: r.try_get("sync_config_id")?,
        delivery_id: r.try_get("delivery_id")?,
        resource_type: r.try_get("resource_type")?,
        resource_id: r.try_get("resource_id")?,
        operation: operation
            .as_deref()
            .map(OutboxOperation::parse)
            .transpose()?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        parked_at: from_ms(r.try_get("parked_at")?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_their_table() {
        let id: DeadLetterId = "inbox-12".parse().unwrap();
        assert_eq!(id.source, WorkQueue::Inbox);
        assert_eq!(id.row, 12);
        assert_eq!(id.to_string(), "inbox-12");
        assert_eq!(
            "outbox-7".parse::<DeadLetterId>().unwrap().to_string(),
            "outbox-7"
        );
        for bad in [
            "12",
            "inbox-",
            "inbox-0",
            "inbox--1",
            "inbox-+1",
            "mailbox-3",
            "outbox-x",
        ] {
            assert!(bad.parse::<DeadLetterId>().is_err(), "{bad}");
        }
    }
}
