//! Sync mappings: which Elder resource corresponds to which external item under a config,
//! with the three-way-merge base snapshot and the fingerprint of our last write.

use chrono::{DateTime, Utc};
use elder_sync_model::Kind;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

use crate::Store;
use crate::db::{ROWS_PER_STATEMENT, Sql};
use crate::error::{Result, StoreError};
use crate::page::{PageRequest, Paged};
use crate::time::{from_ms, from_ms_opt, now_ms};

/// State of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyncStatus {
    /// Both sides hold the same item as of the last sync.
    Synced,
    /// An unresolved conflict waits for a person (see `sync_conflicts`).
    Conflict,
    /// The pair's last sync failed (a value the `sync_status` column allows; the engine sets
    /// none today).
    Error,
    /// Not in step yet, e.g. a create sent to the platform whose answer is not recorded.
    Pending,
}

/// How a mapping was last synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyncMethod {
    /// A webhook delivery.
    Webhook,
    /// A scheduled poll (or the first full poll of a config).
    Poll,
    /// The batch fallback sync.
    Batch,
    /// A sync an operator started through the API, or a push of an Elder change.
    Manual,
}

macro_rules! str_enum {
    ($t:ty, $($v:ident => $s:literal),+) => {
        impl $t {
            /// The lowercase name stored in the database and shown by the API.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
            /// Parses the stored name; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)+ _ => None }
            }
        }
    };
}
pub(crate) use str_enum;

str_enum!(SyncStatus, Synced => "synced", Conflict => "conflict", Error => "error", Pending => "pending");
str_enum!(SyncMethod, Webhook => "webhook", Poll => "poll", Batch => "batch", Manual => "manual");

/// One mapping.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Mapping {
    /// Row id of the mapping (`sync_mappings.id`).
    pub id: i64,
    /// Row id of the sync config the pair belongs to.
    pub sync_config_id: i64,
    /// The kind of the Elder resource (and of the external item).
    #[schema(value_type = String)]
    pub elder_type: Kind,
    /// Row id of the Elder resource in the table of its kind.
    pub elder_id: i64,
    /// The platform id of the external side, e.g. `github`.
    pub external_platform: String,
    /// The platform's id for the item (issue number, key, card id, ...).
    pub external_id: String,
    /// Where the pair stands.
    pub sync_status: SyncStatus,
    /// How the pair was last synced.
    pub sync_method: SyncMethod,
    /// When the pair was last synced (UTC); `None`: never.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// The Elder resource's `updated_at` at the last sync (UTC); `None` when unknown.
    pub elder_updated_at: Option<DateTime<Utc>>,
    /// The external item's `updated_at` at the last sync (UTC); `None` when unknown.
    pub external_updated_at: Option<DateTime<Utc>>,
    /// The last synced canonical snapshot (three-way-merge base).
    #[schema(value_type = Option<Object>)]
    pub base_snapshot: Option<Value>,
    /// Fingerprint of our last write to the platform (echo suppression).
    pub last_write_fingerprint: Option<String>,
    /// When the mapping was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When the mapping last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// Insert-or-update of a mapping, keyed by (config, elder type, elder id).
#[derive(Debug, Clone, PartialEq)]
pub struct MappingUpsert {
    /// Row id of the sync config the pair belongs to.
    pub sync_config_id: i64,
    /// The kind of the Elder resource.
    pub elder_type: Kind,
    /// Row id of the Elder resource in the table of its kind.
    pub elder_id: i64,
    /// The platform id of the external side, e.g. `github`.
    pub external_platform: String,
    /// The platform's id for the item; not empty.
    pub external_id: String,
    /// Where the pair stands.
    pub sync_status: SyncStatus,
    /// How the pair was synced.
    pub sync_method: SyncMethod,
    /// When the pair was synced (UTC); `None`: not yet.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// The Elder resource's `updated_at` as synced (UTC); `None` when unknown.
    pub elder_updated_at: Option<DateTime<Utc>>,
    /// The external item's `updated_at` as synced (UTC); `None` when unknown.
    pub external_updated_at: Option<DateTime<Utc>>,
    /// The synced canonical item (three-way-merge base); `None`: none yet.
    pub base_snapshot: Option<Value>,
    /// Fingerprint of our last write to the platform (echo suppression); `None`: none.
    pub last_write_fingerprint: Option<String>,
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct MappingFilter {
    /// Only mappings of this sync config; `None` for all.
    pub config_id: Option<i64>,
    /// Only mappings of this kind; `None` for all.
    pub elder_type: Option<Kind>,
}

fn ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_millis())
}

impl Store {
    /// Inserts or updates the mapping of (config, elder type, elder id). Another mapping already
    /// holding the same external id under the config is a [`StoreError::Conflict`].
    pub async fn upsert_mapping(&self, m: &MappingUpsert) -> Result<Mapping> {
        upsert_mapping_on(&self.pool, m).await
    }

    /// One mapping by id.
    pub async fn get_mapping(&self, id: i64) -> Result<Mapping> {
        let row = sqlx::query("SELECT * FROM sync_mappings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("mapping {id}")))?;
        mapping_from_row(&row)
    }

    /// The mapping of an Elder resource under a config.
    pub async fn find_mapping_by_elder(
        &self,
        config_id: i64,
        kind: Kind,
        elder_id: i64,
    ) -> Result<Option<Mapping>> {
        let row = sqlx::query(
            "SELECT * FROM sync_mappings WHERE sync_config_id = $1 AND elder_type = $2 AND elder_id = $3",
        )
        .bind(config_id)
        .bind(kind.as_str())
        .bind(elder_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(mapping_from_row).transpose()
    }

    /// The mapping of an external item under a config.
    pub async fn find_mapping_by_external(
        &self,
        config_id: i64,
        kind: Kind,
        external_id: &str,
    ) -> Result<Option<Mapping>> {
        let row = sqlx::query(
            "SELECT * FROM sync_mappings WHERE sync_config_id = $1 AND elder_type = $2 AND external_id = $3",
        )
        .bind(config_id)
        .bind(kind.as_str())
        .bind(external_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(mapping_from_row).transpose()
    }

    /// All mappings of an Elder resource, across configs (hub and spoke fan-out).
    pub async fn mappings_of_elder(&self, kind: Kind, elder_id: i64) -> Result<Vec<Mapping>> {
        let rows = sqlx::query(
            "SELECT * FROM sync_mappings WHERE elder_type = $1 AND elder_id = $2 ORDER BY id",
        )
        .bind(kind.as_str())
        .bind(elder_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(mapping_from_row).collect()
    }

    /// Sets a mapping's status.
    pub async fn set_mapping_status(&self, id: i64, status: SyncStatus) -> Result<()> {
        let done =
            sqlx::query("UPDATE sync_mappings SET sync_status = $1, updated_at = $2 WHERE id = $3")
                .bind(status.as_str())
                .bind(now_ms())
                .bind(id)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("mapping {id}")));
        }
        Ok(())
    }

    /// Deletes a mapping.
    pub async fn delete_mapping(&self, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM sync_mappings WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("mapping {id}")));
        }
        Ok(())
    }

    /// Links Elder `(kind, elder_id)` to the platform's `external_id` under a config, by
    /// hand: a new mapping with no base (status `pending`), so the next sync reconciles the
    /// pair from a fresh base (see [`Store::fresh_links`]). Either side already mapped
    /// under the config is a [`StoreError::Conflict`].
    pub async fn link_mapping(
        &self,
        config_id: i64,
        kind: Kind,
        elder_id: i64,
        external_platform: &str,
        external_id: &str,
    ) -> Result<Mapping> {
        if external_id.trim().is_empty() {
            return Err(StoreError::invalid("external_id", "must not be empty"));
        }
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO sync_mappings (sync_config_id, elder_type, elder_id, external_platform, \
             external_id, sync_status, sync_method, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
        )
        .bind(config_id)
        .bind(kind.as_str())
        .bind(elder_id)
        .bind(external_platform.to_string())
        .bind(external_id.to_string())
        .bind(SyncStatus::Pending.as_str())
        .bind(SyncMethod::Manual.as_str())
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match e.into() {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "{kind} {elder_id} or external id {external_id} is already mapped under config {config_id}"
            )),
            e => e,
        })?;
        mapping_from_row(&row)
    }

    /// The mappings of a config linked by hand and not synced since: no base snapshot yet.
    pub async fn fresh_links(&self, config_id: i64) -> Result<Vec<Mapping>> {
        let rows = sqlx::query(
            "SELECT * FROM sync_mappings WHERE sync_config_id = $1 AND base_snapshot IS NULL ORDER BY id",
        )
        .bind(config_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(mapping_from_row).collect()
    }

    /// Mappings matching `filter`, by id, one page at a time.
    pub async fn list_mappings(
        &self,
        filter: &MappingFilter,
        page: PageRequest,
    ) -> Result<Paged<Mapping>> {
        let build = |head: &str| {
            let mut sql = Sql::new(head);
            sql.push(" WHERE 1 = 1");
            if let Some(c) = filter.config_id {
                sql.push(" AND sync_config_id = ").bind(c);
            }
            if let Some(k) = filter.elder_type {
                sql.push(" AND elder_type = ").bind(k.as_str());
            }
            sql
        };
        let total: i64 = build("SELECT COUNT(*) AS n FROM sync_mappings")
            .query()
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let mut list = build("SELECT * FROM sync_mappings");
        list.push(" ORDER BY id LIMIT ").bind(page.limit());
        list.push(" OFFSET ").bind(page.offset());
        let rows = list.query().fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(mapping_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(items, total, page))
    }
}

pub(crate) fn mapping_from_row(r: &AnyRow) -> Result<Mapping> {
    let kind: String = r.try_get("elder_type")?;
    let status: String = r.try_get("sync_status")?;
    let method: String = r.try_get("sync_method")?;
    let snapshot: Option<String> = r.try_get("base_snapshot")?;
    Ok(Mapping {
        id: r.try_get("id")?,
        sync_config_id: r.try_get("sync_config_id")?,
        elder_type: Kind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?,
        elder_id: r.try_get("elder_id")?,
        external_platform: r.try_get("external_platform")?,
        external_id: r.try_get("external_id")?,
        sync_status: SyncStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("sync status {status}")))?,
        sync_method: SyncMethod::parse(&method)
            .ok_or_else(|| StoreError::Corrupt(format!("sync method {method}")))?,
        last_synced_at: from_ms_opt(r.try_get("last_synced_at")?)?,
        elder_updated_at: from_ms_opt(r.try_get("elder_updated_at")?)?,
        external_updated_at: from_ms_opt(r.try_get("external_updated_at")?)?,
        base_snapshot: snapshot.map(|s| serde_json::from_str(&s)).transpose()?,
        last_write_fingerprint: r.try_get("last_write_fingerprint")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

/// The columns a mapping write sets, and what an existing row takes from the new one.
const INSERT_MAPPING: &str = "INSERT INTO sync_mappings (sync_config_id, elder_type, elder_id, \
     external_platform, external_id, sync_status, sync_method, last_synced_at, elder_updated_at, \
     external_updated_at, base_snapshot, last_write_fingerprint, created_at, updated_at) VALUES ";
const ON_MAPPING_CONFLICT: &str = " ON CONFLICT (sync_config_id, elder_type, elder_id) DO UPDATE SET \
     external_platform = excluded.external_platform, external_id = excluded.external_id, \
     sync_status = excluded.sync_status, sync_method = excluded.sync_method, \
     last_synced_at = excluded.last_synced_at, elder_updated_at = excluded.elder_updated_at, \
     external_updated_at = excluded.external_updated_at, \
     base_snapshot = excluded.base_snapshot, \
     last_write_fingerprint = excluded.last_write_fingerprint, \
     updated_at = excluded.updated_at";

/// Appends one mapping's `(...)` values tuple to `sql`.
fn push_mapping_values(sql: &mut Sql, m: &MappingUpsert, now: i64) -> Result<()> {
    if m.external_id.is_empty() {
        return Err(StoreError::invalid("external_id", "must not be empty"));
    }
    let snapshot = m.base_snapshot.as_ref().map(Value::to_string);
    sql.push("(").bind(m.sync_config_id).push(", ");
    sql.bind(m.elder_type.as_str()).push(", ").bind(m.elder_id);
    sql.push(", ").bind(m.external_platform.clone());
    sql.push(", ").bind(m.external_id.clone());
    sql.push(", ").bind(m.sync_status.as_str());
    sql.push(", ").bind(m.sync_method.as_str());
    sql.push(", ").bind(ms(m.last_synced_at));
    sql.push(", ").bind(ms(m.elder_updated_at));
    sql.push(", ").bind(ms(m.external_updated_at));
    sql.push(", ").bind(snapshot);
    sql.push(", ").bind(m.last_write_fingerprint.clone());
    sql.push(", ").bind(now).push(", ").bind(now).push(")");
    Ok(())
}

/// A mapping write the store refused, in the caller's terms.
fn mapping_write_error(e: sqlx::Error, m: &MappingUpsert) -> StoreError {
    match e.into() {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "external id {} is already mapped under config {}",
            m.external_id, m.sync_config_id
        )),
        StoreError::Invalid { field, .. } if field == "reference" => {
            StoreError::invalid("sync_config_id", "no such sync config")
        }
        e => e,
    }
}

/// Writes many mappings inside the caller's transaction, one statement per
/// [`ROWS_PER_STATEMENT`] mappings (a page of a first import); an error names the first
/// mapping of the statement that failed.
pub(crate) async fn upsert_mappings_on(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    mappings: &[MappingUpsert],
) -> Result<()> {
    let now = now_ms();
    for chunk in mappings.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(INSERT_MAPPING);
        for (i, m) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            push_mapping_values(&mut sql, m, now)?;
        }
        sql.push(ON_MAPPING_CONFLICT);
        sql.query()
            .execute(&mut **tx)
            .await
            .map_err(|e| mapping_write_error(e, &chunk[0]))?;
    }
    Ok(())
}

/// [`Store::upsert_mapping`] on any executor (the pool, or a transaction that writes the
/// mapping together with the change it records).
pub(crate) async fn upsert_mapping_on<'e, E>(exec: E, m: &MappingUpsert) -> Result<Mapping>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let mut sql = Sql::new(INSERT_MAPPING);
    push_mapping_values(&mut sql, m, now_ms())?;
    sql.push(ON_MAPPING_CONFLICT).push(" RETURNING *");
    let row = sql
        .query()
        .fetch_one(exec)
        .await
        .map_err(|e| mapping_write_error(e, m))?;
    mapping_from_row(&row)
}
