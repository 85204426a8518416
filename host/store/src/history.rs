//! Sync history: one row per sync run (webhook batch, poll, batch fallback, manual).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Store;
use crate::db::{ROWS_PER_STATEMENT, Sql, get_bool};
use crate::error::{Result, StoreError};
use crate::page::{PageRequest, Paged};
use crate::time::{from_ms, from_ms_opt, to_ms};

/// One sync run.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// Row id of the run (`sync_history.id`).
    pub id: i64,
    /// Row id of the sync config the run was for.
    pub sync_config_id: i64,
    /// The id every log line of the run carries, to find them.
    pub correlation_id: Uuid,
    /// e.g. webhook | poll | batch | manual
    pub sync_type: String,
    /// Items the run synced.
    pub items_synced: i64,
    /// Items the run failed to sync.
    pub items_failed: i64,
    /// When the run started (UTC).
    pub started_at: DateTime<Utc>,
    /// When the run finished (UTC); `None` while it is running.
    pub completed_at: Option<DateTime<Utc>>,
    /// True when the run finished without an error and no item failed.
    pub success: bool,
    /// Why the run failed (secrets redacted); `None` when it did not.
    pub error_message: Option<String>,
    /// Further facts about the run as a JSON object (`{}` when none).
    #[schema(value_type = Object)]
    pub sync_metadata: Value,
}

/// A run to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHistory {
    /// Row id of the sync config the run is for.
    pub sync_config_id: i64,
    /// The id every log line of the run carries.
    pub correlation_id: Uuid,
    /// What started the run: `webhook`, `poll`, `batch`, `manual` and so on; not blank.
    pub sync_type: String,
    /// Items synced so far.
    pub items_synced: i64,
    /// Items failed so far.
    pub items_failed: i64,
    /// When the run started (UTC).
    pub started_at: DateTime<Utc>,
    /// When the run finished (UTC); `None` while it is running.
    pub completed_at: Option<DateTime<Utc>>,
    /// True when the run finished without an error and no item failed.
    pub success: bool,
    /// Why the run failed; `None` when it did not.
    pub error_message: Option<String>,
    /// Further facts about the run as a JSON object (`{}` when none).
    pub sync_metadata: Value,
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// Only runs of this sync config; `None` for all.
    pub config_id: Option<i64>,
    /// Only runs of this `sync_type`; `None` for all.
    pub sync_type: Option<String>,
    /// Only successful (`true`) or failed (`false`) runs.
    pub success: Option<bool>,
}

const INSERT_HISTORY: &str = "INSERT INTO sync_history (sync_config_id, correlation_id, \
     sync_type, items_synced, items_failed, started_at, completed_at, success, error_message, \
     sync_metadata) VALUES ";

/// Appends one run's `(...)` values tuple to `sql`; a blank `sync_type` is refused.
fn push_history_values(sql: &mut Sql, h: &NewHistory) -> Result<()> {
    if h.sync_type.trim().is_empty() {
        return Err(StoreError::invalid("sync_type", "must not be empty"));
    }
    sql.push("(").bind(h.sync_config_id);
    sql.push(", ").bind(h.correlation_id.to_string());
    sql.push(", ").bind(h.sync_type.clone());
    sql.push(", ").bind(h.items_synced);
    sql.push(", ").bind(h.items_failed);
    sql.push(", ").bind(to_ms(h.started_at));
    sql.push(", ").bind(h.completed_at.map(to_ms));
    sql.push(", ").bind(h.success);
    sql.push(", ").bind(h.error_message.clone());
    sql.push(", ").bind(h.sync_metadata.to_string()).push(")");
    Ok(())
}

/// A history write the store refused, in the caller's terms.
fn history_write_error(e: sqlx::Error) -> StoreError {
    match e.into() {
        StoreError::Invalid { field, .. } if field == "reference" => {
            StoreError::invalid("sync_config_id", "no such sync config")
        }
        e => e,
    }
}

impl Store {
    /// Records a sync run.
    pub async fn insert_history(&self, h: &NewHistory) -> Result<HistoryEntry> {
        let mut sql = Sql::new(INSERT_HISTORY);
        push_history_values(&mut sql, h)?;
        sql.push(" RETURNING *");
        let row = sql
            .query()
            .fetch_one(&self.pool)
            .await
            .map_err(history_write_error)?;
        history_from_row(&row)
    }

    /// Writes finished runs (the inbox's deliveries of one batch) in one statement per
    /// [`ROWS_PER_STATEMENT`] rows.
    pub async fn insert_finished_history(&self, rows: &[NewHistory]) -> Result<()> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(INSERT_HISTORY);
            for (i, h) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                push_history_values(&mut sql, h)?;
            }
            sql.query()
                .execute(&self.pool)
                .await
                .map_err(history_write_error)?;
        }
        Ok(())
    }

    /// Completes a run recorded without `completed_at`, with what it did (`sync_metadata`).
    pub async fn finish_history(
        &self,
        id: i64,
        completed_at: DateTime<Utc>,
        items_synced: i64,
        items_failed: i64,
        error_message: Option<&str>,
        sync_metadata: &Value,
    ) -> Result<HistoryEntry> {
        let row = sqlx::query(
            "UPDATE sync_history SET completed_at = $1, items_synced = $2, items_failed = $3, \
             success = $4, error_message = $5, sync_metadata = $6 WHERE id = $7 RETURNING *",
        )
        .bind(to_ms(completed_at))
        .bind(items_synced)
        .bind(items_failed)
        .bind(error_message.is_none())
        .bind(error_message.map(str::to_string))
        .bind(sync_metadata.to_string())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("history entry {id}")))?;
        history_from_row(&row)
    }

    /// Runs matching `filter`, newest first.
    pub async fn list_history(
        &self,
        filter: &HistoryFilter,
        page: PageRequest,
    ) -> Result<Paged<HistoryEntry>> {
        let build = |head: &str| {
            let mut sql = Sql::new(head);
            sql.push(" WHERE 1 = 1");
            if let Some(c) = filter.config_id {
                sql.push(" AND sync_config_id = ").bind(c);
            }
            if let Some(t) = &filter.sync_type {
                sql.push(" AND sync_type = ").bind(t.clone());
            }
            if let Some(ok) = filter.success {
                sql.push(" AND success = ").bind(ok);
            }
            sql
        };
        let total: i64 = build("SELECT COUNT(*) AS n FROM sync_history")
            .query()
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let mut list = build("SELECT * FROM sync_history");
        list.push(" ORDER BY started_at DESC, id DESC LIMIT ")
            .bind(page.limit());
        list.push(" OFFSET ").bind(page.offset());
        let rows = list.query().fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(history_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(items, total, page))
    }
}

fn history_from_row(r: &AnyRow) -> Result<HistoryEntry> {
    let cid: String = r.try_get("correlation_id")?;
    let meta: String = r.try_get("sync_metadata")?;
    Ok(HistoryEntry {
        id: r.try_get("id")?,
        sync_config_id: r.try_get("sync_config_id")?,
        correlation_id: Uuid::parse_str(&cid).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        sync_type: r.try_get("sync_type")?,
        items_synced: r.try_get("items_synced")?,
        items_failed: r.try_get("items_failed")?,
        started_at: from_ms(r.try_get("started_at")?)?,
        completed_at: from_ms_opt(r.try_get("completed_at")?)?,
        success: get_bool(r, "success")?,
        error_message: r.try_get("error_message")?,
        sync_metadata: serde_json::from_str(&meta)?,
    })
}
