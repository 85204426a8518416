//! The outbound outbox: one row per Elder resource write (same transaction), claimed by the
//! sync engine with a lease, then completed or failed (retried later, or parked as `error`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use elder_sync_model::Kind;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use crate::Store;
use crate::db::{Backend, ROWS_PER_STATEMENT, Sql};
use crate::error::{Result, StoreError};
use crate::time::{duration_ms, from_ms, now_ms, to_ms};

/// What happened to the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutboxOperation {
    /// The resource was created in Elder.
    Create,
    /// The resource changed (other than opening or closing).
    Update,
    /// The resource was closed.
    Close,
    /// The resource was reopened.
    Reopen,
    /// The resource was deleted.
    Delete,
}

impl OutboxOperation {
    /// The lowercase name stored in `outbox.operation`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxOperation::Create => "create",
            OutboxOperation::Update => "update",
            OutboxOperation::Close => "close",
            OutboxOperation::Reopen => "reopen",
            OutboxOperation::Delete => "delete",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        [
            Self::Create,
            Self::Update,
            Self::Close,
            Self::Reopen,
            Self::Delete,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt(format!("outbox operation {s}")))
    }
}

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    /// Waiting to be sent (now or at `next_attempt_at`).
    Pending,
    /// Handled: pushed to the configs it concerns.
    Done,
    /// Parked after failing for good; kept until handled.
    Error,
}

impl OutboxStatus {
    /// The lowercase name stored in `outbox.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Done => "done",
            OutboxStatus::Error => "error",
        }
    }
}

/// One outbox row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxEntry {
    /// Row id of the outbox row (`outbox.id`).
    pub id: i64,
    /// The kind of the Elder resource written.
    #[schema(value_type = String)]
    pub resource_type: Kind,
    /// Row id of the Elder resource in the table of its kind.
    pub resource_id: i64,
    /// What the write did to the resource.
    pub operation: OutboxOperation,
    /// The resource as written.
    #[schema(value_type = Object)]
    pub snapshot: Value,
    /// The resource's version after the write.
    pub version: i64,
    /// When the write happened (UTC).
    pub created_at: DateTime<Utc>,
    /// Where the row stands.
    pub status: OutboxStatus,
    /// Times the row was claimed for sending so far.
    pub attempts: i64,
    /// When the row may be tried (again) (UTC).
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last try failed; `None` when none has.
    pub last_error: Option<String>,
}

/// What an outbox row records of the resource it pushes: the table stays ignorant of
/// the resource type itself (resources write here, never the reverse).
pub(crate) struct Enqueued<'a> {
    pub kind: Kind,
    pub id: i64,
    pub version: i64,
    /// The resource as JSON, as it was when the change was made.
    pub snapshot: &'a Value,
}

/// Inserts an outbox row inside the caller's transaction.
pub(crate) async fn enqueue(
    tx: &mut Transaction<'_, Any>,
    res: Enqueued<'_>,
    op: OutboxOperation,
) -> Result<()> {
    enqueue_many(tx, &[res], op).await
}

/// Inserts the outbox rows of many resources inside the caller's transaction, in one
/// statement per [`ROWS_PER_STATEMENT`] rows (a page of a first import).
pub(crate) async fn enqueue_many(
    tx: &mut Transaction<'_, Any>,
    rows: &[Enqueued<'_>],
    op: OutboxOperation,
) -> Result<()> {
    let now = now_ms();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "INSERT INTO outbox (resource_type, resource_id, operation, snapshot, version, \
             created_at, next_attempt_at) VALUES ",
        );
        for (i, res) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(res.kind.as_str()).push(", ").bind(res.id);
            sql.push(", ").bind(op.as_str());
            sql.push(", ").bind(res.snapshot.to_string());
            sql.push(", ").bind(res.version).push(", ").bind(now);
            sql.push(", ").bind(now).push(")");
        }
        sql.query().execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// Claims up to `limit` due pending rows, oldest first, for replica `holder` and `lease`:
    /// each claimed row's attempt count goes up and it stays invisible to other claimers until
    /// the lease ends (renewed with [`Store::renew_claims`] while the rows are worked on, so a
    /// crashed worker's rows come back one lease after its last renewal). On PostgreSQL rows
    /// are locked with `FOR UPDATE SKIP LOCKED`, so replicas never claim the same row.
    pub async fn claim_outbox(
        &self,
        limit: u32,
        lease: Duration,
        holder: &str,
    ) -> Result<Vec<OutboxEntry>> {
        let now = now_ms();
        let until = now + duration_ms(lease);
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut sql = Sql::new("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ");
        sql.bind(until).push(", claimed_by = ").bind(holder);
        sql.push(
            " WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ",
        );
        sql.bind(now)
            .push(" ORDER BY id LIMIT ")
            .bind(i64::from(limit));
        sql.push(lock).push(") RETURNING *");
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut out = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|e| e.id);
        Ok(out)
    }

    /// Marks a claimed row done.
    pub async fn complete_outbox(&self, id: i64) -> Result<()> {
        self.set_outbox(id, OutboxStatus::Done, None, now_ms())
            .await
    }

    /// Records a failure of the push to `config_id`: with `retry_at` the row is retried
    /// then; without, it is parked as `error` (a dead letter, visible, never blocking the
    /// rest). The row remembers the config whose push failed (the dead letter's config).
    pub async fn fail_outbox(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        config_id: Option<i64>,
    ) -> Result<()> {
        let (status, next) = match retry_at {
            Some(t) => (OutboxStatus::Pending, to_ms(t)),
            None => (OutboxStatus::Error, now_ms()),
        };
        self.set_outbox(id, status, Some(error), next).await?;
        if config_id.is_some() {
            sqlx::query("UPDATE outbox SET sync_config_id = $1 WHERE id = $2")
                .bind(config_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    async fn set_outbox(
        &self,
        id: i64,
        status: OutboxStatus,
        error: Option<&str>,
        next: i64,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE outbox SET status = $1, last_error = COALESCE($2, last_error), \
             next_attempt_at = $3, claimed_by = NULL WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(error.map(str::to_string))
        .bind(next)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("outbox entry {id}")));
        }
        Ok(())
    }

    /// Outbox rows, newest first, optionally of one status (at most `limit`).
    pub async fn list_outbox(
        &self,
        status: Option<OutboxStatus>,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>> {
        let mut sql = Sql::new("SELECT * FROM outbox");
        if let Some(s) = status {
            sql.push(" WHERE status = ").bind(s.as_str());
        }
        sql.push(" ORDER BY id DESC LIMIT ").bind(i64::from(limit));
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter().map(entry_from_row).collect()
    }
}

fn entry_from_row(r: &AnyRow) -> Result<OutboxEntry> {
    let kind: String = r.try_get("resource_type")?;
    let op: String = r.try_get("operation")?;
    let status: String = r.try_get("status")?;
    let snapshot: String = r.try_get("snapshot")?;
    Ok(OutboxEntry {
        id: r.try_get("id")?,
        resource_type: Kind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?,
        resource_id: r.try_get("resource_id")?,
        operation: OutboxOperation::parse(&op)?,
        snapshot: serde_json::from_str(&snapshot)?,
        version: r.try_get("version")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        status: match status.as_str() {
            "done" => OutboxStatus::Done,
            "error" => OutboxStatus::Error,
            _ => OutboxStatus::Pending,
        },
        attempts: r.try_get("attempts")?,
        next_attempt_at: from_ms(r.try_get("next_attempt_at")?)?,
        last_error: r.try_get("last_error")?,
    })
}
