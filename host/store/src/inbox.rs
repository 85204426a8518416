//! The durable webhook inbox: a delivery is written here (keyed by config and delivery id)
//! before the platform gets its 2xx; workers claim rows with a lease, so a crash after the
//! write loses nothing and a redelivery is a no-op (unless the delivery was parked as a
//! dead letter: then the redelivery re-queues it).

use std::time::Duration;

use crate::db::Sql;
use crate::inbox_writer::OwnedInsert;
use crate::{Backend, Store, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::time::{duration_ms, now_ms};

/// A delivery to store.
#[derive(Debug, Clone)]
pub struct InboxInsert<'a> {
    /// Row id of the sync config the delivery is for.
    pub config_id: i64,
    /// The delivery id: from the connector's delivery-id headers, or a hash of the body.
    pub delivery_id: &'a str,
    /// The request headers as (name, value) pairs, kept for processing.
    pub headers: &'a [(String, String)],
    /// The raw request body.
    pub body: &'a [u8],
}

/// A stored delivery.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    /// Row id of the delivery (`webhook_inbox.id`).
    pub id: i64,
    /// Row id of the sync config the delivery is for.
    pub config_id: i64,
    /// The delivery id, unique per config.
    pub delivery_id: String,
    /// The request headers as (name, value) pairs.
    pub headers: Vec<(String, String)>,
    /// The raw request body.
    pub body: Vec<u8>,
    /// Times the delivery was claimed for processing, this claim included.
    pub attempts: i64,
}

/// Stores a delivery; `false` when the same (config, delivery id) is already there (a
/// caller re-queues it when it is parked: `Store::requeue_parked_delivery`). Webhook
/// requests go through the group-committing [`InboxWriter`](crate::InboxWriter) instead.
pub async fn insert_inbox(store: &Store, d: &InboxInsert<'_>) -> Result<bool, StoreError> {
    let headers =
        serde_json::to_string(d.headers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let row = OwnedInsert {
        config_id: d.config_id,
        delivery_id: d.delivery_id.to_string(),
        headers,
        body: d.body.to_vec(),
        stamp: None,
    };
    insert_row(store, &row).await
}

/// Writes one delivery on its own; `false` when it is already there (or, with a stamp,
/// when the config's row no longer has that stamp).
pub(crate) async fn insert_row(store: &Store, row: &OwnedInsert) -> Result<bool, StoreError> {
    let mut conn = store.pool().acquire().await?;
    insert_with(&mut conn, row).await
}

/// Writes one delivery on `conn` (a transaction's connection, in a group).
pub(crate) async fn insert_with(
    conn: &mut sqlx::AnyConnection,
    row: &OwnedInsert,
) -> Result<bool, StoreError> {
    const COLUMNS: &str = "INSERT INTO webhook_inbox (sync_config_id, delivery_id, headers, body, \
         received_at, next_attempt_at) ";
    const CONFLICT: &str = " ON CONFLICT (sync_config_id, delivery_id) DO NOTHING";
    let now = now_ms();
    let done = match &row.stamp {
        None => {
            let sql = format!("{COLUMNS}VALUES ($1, $2, $3, $4, $5, $5){CONFLICT}");
            sqlx::query(&sql)
                .bind(row.config_id)
                .bind(row.delivery_id.clone())
                .bind(row.headers.clone())
                .bind(row.body.clone())
                .bind(now)
                .execute(&mut *conn)
                .await?
        }
        Some(stamp) => {
            // Only while the config's row is as the gate was read (see `webhook_gate`).
            let sql = format!(
                "{COLUMNS}SELECT $1, $2, $3, $4, $5, $5 WHERE EXISTS (SELECT 1 FROM sync_configs \
                 WHERE id = $1 AND updated_at = $6 AND webhook_secret = $7){CONFLICT}"
            );
            sqlx::query(&sql)
                .bind(row.config_id)
                .bind(row.delivery_id.clone())
                .bind(row.headers.clone())
                .bind(row.body.clone())
                .bind(now)
                .bind(stamp.updated_at)
                .bind(stamp.stored_secret.clone())
                .execute(&mut *conn)
                .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Claims up to `limit` due deliveries, oldest first, for replica `holder`, hiding them for
/// `lease` (renewed with [`Store::renew_claims`] while they are worked on).
/// On PostgreSQL rows are locked with `FOR UPDATE SKIP LOCKED` so replicas never share one.
pub async fn claim_inbox(
    store: &Store,
    limit: u32,
    lease: Duration,
    holder: &str,
) -> Result<Vec<InboxEntry>, StoreError> {
    claim(store, None, limit, lease, holder).await
}

/// [`claim_inbox`] for the deliveries of one config only. The engine claims a config's
/// deliveries only while it holds the config's lease, so they are applied in the order
/// they arrived whichever worker or replica claims them.
pub async fn claim_inbox_of(
    store: &Store,
    config_id: i64,
    limit: u32,
    lease: Duration,
    holder: &str,
) -> Result<Vec<InboxEntry>, StoreError> {
    claim(store, Some(config_id), limit, lease, holder).await
}

async fn claim(
    store: &Store,
    config_id: Option<i64>,
    limit: u32,
    lease: Duration,
    holder: &str,
) -> Result<Vec<InboxEntry>, StoreError> {
    let now = now_ms();
    let until = now + duration_ms(lease);
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let of_config = if config_id.is_some() {
        " AND sync_config_id = $5"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE webhook_inbox SET attempts = attempts + 1, next_attempt_at = $1, claimed_by = $4 \
         WHERE id IN (SELECT id FROM webhook_inbox WHERE status = 'pending' AND next_attempt_at <= $2{of_config} \
         ORDER BY id LIMIT $3{lock}) RETURNING id, sync_config_id, delivery_id, headers, body, attempts"
    );
    let mut query = sqlx::query(&sql)
        .bind(until)
        .bind(now)
        .bind(i64::from(limit))
        .bind(holder.to_string());
    if let Some(id) = config_id {
        query = query.bind(id);
    }
    let rows = query.fetch_all(store.pool()).await?;
    let mut out = rows
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|e| e.id);
    Ok(out)
}

/// Up to `limit` configs that have due deliveries, the one waiting longest first.
pub async fn configs_with_due_inbox(store: &Store, limit: u32) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query(
        "SELECT sync_config_id, MIN(id) AS oldest FROM webhook_inbox \
         WHERE status = 'pending' AND next_attempt_at <= $1 \
         GROUP BY sync_config_id ORDER BY oldest LIMIT $2",
    )
    .bind(now_ms())
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get("sync_config_id")?))
        .collect()
}

fn entry_from_row(r: &AnyRow) -> Result<InboxEntry, StoreError> {
    let headers: String = r.try_get("headers")?;
    Ok(InboxEntry {
        id: r.try_get("id")?,
        config_id: r.try_get("sync_config_id")?,
        delivery_id: r.try_get("delivery_id")?,
        headers: serde_json::from_str(&headers).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        body: r.try_get("body")?,
        attempts: r.try_get("attempts")?,
    })
}

/// Marks a delivery processed.
pub async fn complete_inbox(store: &Store, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE webhook_inbox SET status = 'done', processed_at = $1, last_error = NULL, claimed_by = NULL WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Marks the deliveries `ids` processed, in one statement.
pub async fn complete_inbox_many(store: &Store, ids: &[i64]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("UPDATE webhook_inbox SET status = 'done', processed_at = ");
    sql.bind(now_ms())
        .push(", last_error = NULL, claimed_by = NULL WHERE id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
    sql.query().execute(store.pool()).await?;
    Ok(())
}

/// Records a failed attempt: retried after `retry_in`, or parked as `error` (a dead
/// letter: visible, never blocking the rest; parked now) when `give_up`. `error` is stored
/// as given: the caller redacts anything an upstream body may have quoted.
pub async fn fail_inbox(
    store: &Store,
    id: i64,
    error: &str,
    retry_in: Duration,
    give_up: bool,
) -> Result<(), StoreError> {
    let status = if give_up { "error" } else { "pending" };
    let wait = if give_up { Duration::ZERO } else { retry_in };
    let next = now_ms() + duration_ms(wait);
    sqlx::query(
        "UPDATE webhook_inbox SET status = $1, last_error = $2, next_attempt_at = $3, claimed_by = NULL \
         WHERE id = $4",
    )
    .bind(status)
    .bind(error)
    .bind(next)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Deliveries waiting to be processed.
pub async fn inbox_depth(store: &Store) -> Result<i64, StoreError> {
    store.queue_depth(crate::WorkQueue::Inbox).await
}

/// Deliveries waiting to be processed, per config (configs with none are left out).
pub async fn pending_inbox_by_config(
    store: &Store,
) -> Result<std::collections::HashMap<i64, i64>, StoreError> {
    let rows = sqlx::query(
        "SELECT sync_config_id, COUNT(*) AS n FROM webhook_inbox WHERE status = 'pending' \
         GROUP BY sync_config_id",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("sync_config_id")?, r.try_get("n")?)))
        .collect()
}
