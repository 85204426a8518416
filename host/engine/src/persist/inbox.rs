//! The durable webhook inbox: a delivery is written here (keyed by config and delivery id)
//! before the platform gets its 2xx; workers claim rows with a lease, so a crash after the
//! write loses nothing and a redelivery is a no-op.

use std::time::Duration;

use elder_sync_store::{Backend, Store, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::now_ms;

/// A delivery to store.
#[derive(Debug, Clone)]
pub struct InboxInsert<'a> {
    pub config_id: i64,
    pub delivery_id: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// A stored delivery.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub id: i64,
    pub config_id: i64,
    pub delivery_id: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub attempts: i64,
}

/// Stores a delivery; `false` when the same (config, delivery id) is already there.
pub async fn insert_inbox(store: &Store, d: &InboxInsert<'_>) -> Result<bool, StoreError> {
    let headers =
        serde_json::to_string(d.headers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let now = now_ms();
    let done = sqlx::query(
        "INSERT INTO webhook_inbox (sync_config_id, delivery_id, headers, body, received_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (sync_config_id, delivery_id) DO NOTHING",
    )
    .bind(d.config_id)
    .bind(d.delivery_id.to_string())
    .bind(headers)
    .bind(d.body.to_vec())
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Claims up to `limit` due deliveries, oldest first, hiding them for `lease`.
/// On PostgreSQL rows are locked with `FOR UPDATE SKIP LOCKED` so replicas never share one.
pub async fn claim_inbox(
    store: &Store,
    limit: u32,
    lease: Duration,
) -> Result<Vec<InboxEntry>, StoreError> {
    let now = now_ms();
    let until = now + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE webhook_inbox SET attempts = attempts + 1, next_attempt_at = $1 \
         WHERE id IN (SELECT id FROM webhook_inbox WHERE status = 'pending' AND next_attempt_at <= $2 \
         ORDER BY id LIMIT $3{lock}) RETURNING id, sync_config_id, delivery_id, headers, body, attempts"
    );
    let rows = sqlx::query(&sql)
        .bind(until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(store.pool())
        .await?;
    let mut out = rows
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|e| e.id);
    Ok(out)
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
    sqlx::query("UPDATE webhook_inbox SET status = 'done', processed_at = $1, last_error = NULL WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Records a failed attempt: retried after `retry_in`, or parked as `error` (visible,
/// never blocking the rest) when `give_up`.
pub async fn fail_inbox(
    store: &Store,
    id: i64,
    error: &str,
    retry_in: Duration,
    give_up: bool,
) -> Result<(), StoreError> {
    let status = if give_up { "error" } else { "pending" };
    let next = now_ms() + i64::try_from(retry_in.as_millis()).unwrap_or(i64::MAX / 2);
    sqlx::query(
        "UPDATE webhook_inbox SET status = $1, last_error = $2, next_attempt_at = $3 WHERE id = $4",
    )
    .bind(status)
    // Upstream bodies may quote credentials: the same redaction as the logs.
    .bind(elder_sync_telemetry::redact::redact_text(error))
    .bind(next)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Deliveries waiting to be processed.
pub async fn inbox_depth(store: &Store) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM webhook_inbox WHERE status = 'pending'")
        .fetch_one(store.pool())
        .await?;
    Ok(row.try_get("n")?)
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
