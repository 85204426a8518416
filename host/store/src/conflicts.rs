//! Sync conflicts: detected by the sync engine, listed and resolved through the API
//! (this module stores the resolution; the engine applies it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

use crate::Store;
use crate::db::{Sql, get_bool};
use crate::error::{Result, StoreError};
use crate::mappings::str_enum;
use crate::page::{PageRequest, Paged};
use crate::time::{from_ms, from_ms_opt, now_ms};

/// Why two sides disagree (the resolver decides it, `sync_conflicts.conflict_type` stores it).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ConflictType {
    /// Fields changed on both sides with equal `updated_at`: time could not decide.
    Timestamp,
    /// Fields changed on both sides to different values.
    FieldMismatch,
    /// Deleted in Elder, changed on the external platform.
    DeletedLocal,
    /// Deleted on the external platform, changed in Elder.
    DeletedExternal,
    /// A state or status change the receiving side cannot make.
    InvalidTransition,
}

str_enum!(ConflictType, Timestamp => "timestamp", FieldMismatch => "field_mismatch",
    DeletedLocal => "deleted_local", DeletedExternal => "deleted_external",
    InvalidTransition => "invalid_transition");

/// How a conflict is (to be) resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionStrategy {
    /// Both sides take Elder's version.
    ElderWins,
    /// Both sides take the external platform's version.
    ExternalWins,
    /// Both sides take the field-by-field merge of the two versions.
    Merge,
    /// A person settles it: the fields given in `resolution_data` over Elder's version, or, with
    /// none given, accepted only once both sides agree.
    Manual,
}

str_enum!(ResolutionStrategy, ElderWins => "elder_wins", ExternalWins => "external_wins",
    Merge => "merge", Manual => "manual");

/// One conflict.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Conflict {
    /// Row id of the conflict (`sync_conflicts.id`).
    pub id: i64,
    /// Row id of the mapping (the synced pair) the conflict is about.
    pub mapping_id: i64,
    /// Why the two sides disagree.
    pub conflict_type: ConflictType,
    /// Elder's side of the item when the conflict was detected, as a JSON object.
    #[schema(value_type = Object)]
    pub elder_data: Value,
    /// The external platform's side of the item when the conflict was detected, as a JSON object.
    #[schema(value_type = Object)]
    pub external_data: Value,
    /// How it was resolved; `None` while unresolved.
    pub resolution_strategy: Option<ResolutionStrategy>,
    /// Data given with the resolution (e.g. the merged fields).
    #[schema(value_type = Option<Object>)]
    pub resolution_data: Option<Value>,
    /// True once resolved.
    pub resolved: bool,
    /// When it was resolved (UTC); `None` while unresolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it (e.g. `api-token:3`); `None` while unresolved.
    pub resolved_by: Option<String>,
    /// When the conflict was detected (UTC).
    pub created_at: DateTime<Utc>,
}

/// A conflict to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConflict {
    /// Row id of the mapping (the synced pair) the conflict is about.
    pub mapping_id: i64,
    /// Why the two sides disagree.
    pub conflict_type: ConflictType,
    /// Elder's side of the item, as a JSON object.
    pub elder_data: Value,
    /// The external platform's side of the item, as a JSON object.
    pub external_data: Value,
}

impl Store {
    /// Records a conflict and marks its mapping `conflict`, in one transaction.
    pub async fn insert_conflict(&self, c: &NewConflict) -> Result<Conflict> {
        let mut tx = self.pool.begin().await?;
        let marked = sqlx::query(
            "UPDATE sync_mappings SET sync_status = 'conflict', updated_at = $1 WHERE id = $2",
        )
        .bind(now_ms())
        .bind(c.mapping_id)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() == 0 {
            return Err(StoreError::invalid("mapping_id", "no such mapping"));
        }
        let row = sqlx::query(
            "INSERT INTO sync_conflicts (mapping_id, conflict_type, elder_data, external_data, \
             created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *",
        )
        .bind(c.mapping_id)
        .bind(c.conflict_type.as_str())
        .bind(c.elder_data.to_string())
        .bind(c.external_data.to_string())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let out = conflict_from_row(&row)?;
        tx.commit().await?;
        Ok(out)
    }

    /// One conflict by id.
    pub async fn get_conflict(&self, id: i64) -> Result<Conflict> {
        let row = sqlx::query("SELECT * FROM sync_conflicts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("conflict {id}")))?;
        conflict_from_row(&row)
    }

    /// Conflicts, newest first, optionally only (un)resolved ones.
    pub async fn list_conflicts(
        &self,
        resolved: Option<bool>,
        page: PageRequest,
    ) -> Result<Paged<Conflict>> {
        let build = |head: &str| {
            let mut sql = Sql::new(head);
            if let Some(r) = resolved {
                sql.push(" WHERE resolved = ").bind(r);
            }
            sql
        };
        let total: i64 = build("SELECT COUNT(*) AS n FROM sync_conflicts")
            .query()
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let mut list = build("SELECT * FROM sync_conflicts");
        list.push(" ORDER BY id DESC LIMIT ").bind(page.limit());
        list.push(" OFFSET ").bind(page.offset());
        let rows = list.query().fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(conflict_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// Stores a resolution. Resolving twice is a [`StoreError::Conflict`].
    pub async fn resolve_conflict(
        &self,
        id: i64,
        strategy: ResolutionStrategy,
        data: Option<Value>,
        resolved_by: &str,
    ) -> Result<Conflict> {
        let row = sqlx::query(
            "UPDATE sync_conflicts SET resolved = $1, resolution_strategy = $2, \
             resolution_data = $3, resolved_at = $4, resolved_by = $5 \
             WHERE id = $6 AND resolved = $7 RETURNING *",
        )
        .bind(true)
        .bind(strategy.as_str())
        .bind(data.map(|d| d.to_string()))
        .bind(now_ms())
        .bind(resolved_by.to_string())
        .bind(id)
        .bind(false)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => conflict_from_row(&r),
            None => {
                self.get_conflict(id).await?;
                Err(StoreError::Conflict(format!(
                    "conflict {id} is already resolved"
                )))
            }
        }
    }
}

fn conflict_from_row(r: &AnyRow) -> Result<Conflict> {
    let ty: String = r.try_get("conflict_type")?;
    let strategy: Option<String> = r.try_get("resolution_strategy")?;
    let elder: String = r.try_get("elder_data")?;
    let external: String = r.try_get("external_data")?;
    let data: Option<String> = r.try_get("resolution_data")?;
    Ok(Conflict {
        id: r.try_get("id")?,
        mapping_id: r.try_get("mapping_id")?,
        conflict_type: ConflictType::parse(&ty)
            .ok_or_else(|| StoreError::Corrupt(format!("conflict type {ty}")))?,
        elder_data: serde_json::from_str(&elder)?,
        external_data: serde_json::from_str(&external)?,
        resolution_strategy: strategy.as_deref().and_then(ResolutionStrategy::parse),
        resolution_data: data.map(|d| serde_json::from_str(&d)).transpose()?,
        resolved: get_bool(r, "resolved")?,
        resolved_at: from_ms_opt(r.try_get("resolved_at")?)?,
        resolved_by: r.try_get("resolved_by")?,
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}
