//! Elder's own resources (issues, projects, milestones, labels): typed CRUD with filters,
//! pagination, soft delete and a version counter. Every write also enqueues an outbox row in
//! the same transaction.

use chrono::{DateTime, Utc};
use elder_sync_model::Kind;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use crate::Store;
use crate::db::Sql;
use crate::error::{Result, StoreError};
use crate::mappings::{Mapping, MappingUpsert, upsert_mapping_on};
use crate::outbox::{Enqueued, OutboxOperation, enqueue};
use crate::page::{PageRequest, Paged};
use crate::serde_util::double_option;
use crate::time::{from_ms, from_ms_opt, now_ms};

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResourceStatus {
    /// Not finished.
    Open,
    /// Finished, archived or abandoned.
    Closed,
}

impl ResourceStatus {
    /// The lowercase name stored in the `status` column (`open`, `closed`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Open => "open",
            ResourceStatus::Closed => "closed",
        }
    }
}

/// An Elder issue, project, milestone or label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Resource {
    /// Row id in the table of its kind (`issues`, `projects`, `milestones` or `labels`).
    pub id: i64,
    /// issue | project | milestone | label
    #[schema(value_type = String)]
    pub kind: Kind,
    /// Title, name or summary.
    pub title: String,
    /// Markdown.
    pub description: String,
    /// Open or closed.
    pub status: ResourceStatus,
    /// The workflow status in Elder's words (e.g. `In Review`), translated from and to each
    /// platform's through its config's `status_map`; `None` when none was ever set.
    pub status_name: Option<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignees: identity handles (`/api/v1/identities`), or a login no identity holds.
    pub assignees: Vec<String>,
    /// Row id of the Elder milestone it belongs to; `None` for none.
    pub milestone_id: Option<i64>,
    /// Row id of the Elder project it belongs to; `None` for none.
    pub project_id: Option<i64>,
    /// JSON object. Its shared fields reach every platform: `start_date`, `due_date`
    /// (`YYYY-MM-DD`) and `color` (`#rrggbb`, lowercase); other keys are Elder's own.
    #[schema(value_type = Object)]
    pub extras: Value,
    /// Incremented on every change.
    pub version: i64,
    /// When it was created in Elder (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// When it was closed (UTC); `None` while open (a reopen clears it).
    pub closed_at: Option<DateTime<Utc>>,
    /// When it was soft-deleted (UTC); `None` (and not serialised) while it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The body of a create request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResource {
    /// 1 to 500 characters, not blank.
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    /// Markdown, at most 1 MB (UTF-8).
    #[serde(default)]
    pub description: String,
    /// Initial state; `None` means open.
    #[serde(default)]
    pub status: Option<ResourceStatus>,
    /// Workflow status name, 1 to 200 characters; `None` for none.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub status_name: Option<String>,
    /// At most 100 entries of 1 to 200 characters.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub labels: Vec<String>,
    /// At most 100 entries of 1 to 200 characters.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub assignees: Vec<String>,
    /// Row id of the Elder milestone to attach; `None` for none.
    #[serde(default)]
    pub milestone_id: Option<i64>,
    /// Row id of the Elder project to attach; `None` for none.
    #[serde(default)]
    pub project_id: Option<i64>,
    /// JSON object; `None` means `{}`. Shared fields: `start_date`, `due_date` (`YYYY-MM-DD`),
    /// `color` (`#rrggbb`, lowercase); a malformed one is refused naming `extras.<key>`, and
    /// the API refuses a `start_date` after the `due_date`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub extras: Option<Value>,
}

/// The body of a PATCH: only the fields given change; `null` clears `milestone_id`/`project_id`.
/// `expected_version`, when given, must equal the stored version (optimistic locking).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcePatch {
    /// 1 to 500 characters, not blank.
    #[schema(min_length = 1, max_length = 500)]
    pub title: Option<String>,
    /// Markdown, at most 1 MB (UTF-8).
    pub description: Option<String>,
    /// New state (close or reopen).
    pub status: Option<ResourceStatus>,
    /// New workflow status name (1 to 200 characters); `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub status_name: Option<Option<String>>,
    /// At most 100 entries of 1 to 200 characters.
    #[schema(max_items = 100)]
    pub labels: Option<Vec<String>>,
    /// At most 100 entries of 1 to 200 characters.
    #[schema(max_items = 100)]
    pub assignees: Option<Vec<String>>,
    /// Milestone change: `Some(None)` (JSON `null`) detaches it.
    #[serde(default, deserialize_with = "double_option")]
    pub milestone_id: Option<Option<i64>>,
    /// Project change: `Some(None)` (JSON `null`) detaches it.
    #[serde(default, deserialize_with = "double_option")]
    pub project_id: Option<Option<i64>>,
    /// New JSON object, replacing the old one (shared fields checked as on create).
    #[schema(value_type = Option<Object>)]
    pub extras: Option<Value>,
    /// The version the caller last saw; a different stored version refuses the patch.
    pub expected_version: Option<i64>,
}

/// List filters; all optional.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    /// Only resources in this state.
    pub status: Option<ResourceStatus>,
    /// Only resources of this Elder project.
    pub project_id: Option<i64>,
    /// Only resources of this Elder milestone.
    pub milestone_id: Option<i64>,
    /// Has this label.
    pub label: Option<String>,
    /// Has this assignee.
    pub assignee: Option<String>,
    /// Title contains (case-insensitive).
    pub q: Option<String>,
}

pub(crate) fn table(kind: Kind) -> &'static str {
    match kind {
        Kind::Issue => "issues",
        Kind::Project => "projects",
        Kind::Milestone => "milestones",
        Kind::Label => "labels",
    }
}

fn check_text(field: &str, v: &str, max: usize) -> Result<()> {
    if v.trim().is_empty() || v.chars().count() > max {
        return Err(StoreError::invalid(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(())
}

fn check_list(field: &str, v: &[String]) -> Result<()> {
    if v.len() > 100 {
        return Err(StoreError::invalid(field, "at most 100 entries"));
    }
    for s in v {
        check_text(field, s, 200)?;
    }
    Ok(())
}

/// An object; its shared fields (dates, colour: `elder_sync_model::SHARED_EXTRAS`) in
/// their canonical form, since they reach every platform.
fn check_extras(v: &Value) -> Result<()> {
    let Some(obj) = v.as_object() else {
        return Err(StoreError::invalid("extras", "must be a JSON object"));
    };
    elder_sync_model::check_shared(obj).map_err(|e| StoreError::invalid(&e.field, e.message))
}

fn check_description(v: &str) -> Result<()> {
    if v.len() > 1_000_000 {
        return Err(StoreError::invalid("description", "at most 1 MB"));
    }
    Ok(())
}

/// Values of every mutable column, written as a whole.
struct Fields {
    title: String,
    description: String,
    status: ResourceStatus,
    status_name: Option<String>,
    labels: Vec<String>,
    assignees: Vec<String>,
    milestone_id: Option<i64>,
    project_id: Option<i64>,
    extras: Value,
}

impl Fields {
    fn validate(&self) -> Result<()> {
        check_text("title", &self.title, 500)?;
        check_description(&self.description)?;
        if let Some(n) = &self.status_name {
            check_text("status_name", n, 200)?;
        }
        check_list("labels", &self.labels)?;
        check_list("assignees", &self.assignees)?;
        check_extras(&self.extras)
    }

    fn from_new(n: &NewResource) -> Self {
        Fields {
            title: n.title.clone(),
            description: n.description.clone(),
            status: n.status.unwrap_or(ResourceStatus::Open),
            status_name: n.status_name.clone(),
            labels: n.labels.clone(),
            assignees: n.assignees.clone(),
            milestone_id: n.milestone_id,
            project_id: n.project_id,
            extras: n
                .extras
                .clone()
                .unwrap_or_else(|| Value::Object(Default::default())),
        }
    }

    fn patched(cur: &Resource, p: &ResourcePatch) -> Self {
        Fields {
            title: p.title.clone().unwrap_or_else(|| cur.title.clone()),
            description: p
                .description
                .clone()
                .unwrap_or_else(|| cur.description.clone()),
            status: p.status.unwrap_or(cur.status),
            status_name: p
                .status_name
                .clone()
                .unwrap_or_else(|| cur.status_name.clone()),
            labels: p.labels.clone().unwrap_or_else(|| cur.labels.clone()),
            assignees: p.assignees.clone().unwrap_or_else(|| cur.assignees.clone()),
            milestone_id: p.milestone_id.unwrap_or(cur.milestone_id),
            project_id: p.project_id.unwrap_or(cur.project_id),
            extras: p.extras.clone().unwrap_or_else(|| cur.extras.clone()),
        }
    }

    fn bind(&self, sql: &mut Sql) -> Result<()> {
        sql.bind(self.title.clone()).push(", ");
        sql.bind(self.description.clone()).push(", ");
        sql.bind(self.status.as_str()).push(", ");
        sql.bind(self.status_name.clone()).push(", ");
        sql.bind(serde_json::to_string(&self.labels)?).push(", ");
        sql.bind(serde_json::to_string(&self.assignees)?).push(", ");
        sql.bind(self.milestone_id).push(", ");
        sql.bind(self.project_id).push(", ");
        sql.bind(self.extras.to_string());
        Ok(())
    }
}

const COLUMNS: &str =
    "title, description, status, status_name, labels, assignees, milestone_id, project_id, extras";

async fn check_reference(
    tx: &mut Transaction<'_, Any>,
    field: &str,
    kind: Kind,
    id: Option<i64>,
) -> Result<()> {
    let Some(id) = id else { return Ok(()) };
    let sql = format!(
        "SELECT id FROM {} WHERE id = $1 AND deleted_at IS NULL",
        table(kind)
    );
    let found = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    if found.is_none() {
        return Err(StoreError::invalid(
            field,
            format!("no {kind} with id {id}"),
        ));
    }
    Ok(())
}

async fn check_references(tx: &mut Transaction<'_, Any>, f: &Fields) -> Result<()> {
    check_reference_ids(tx, (f.milestone_id, f.project_id)).await
}

/// Inserts a resource (version 1) and its `create` outbox row inside `tx`.
pub(crate) async fn insert_resource(
    tx: &mut Transaction<'_, Any>,
    kind: Kind,
    new: &NewResource,
) -> Result<Resource> {
    let res = insert_resource_row(tx, kind, new).await?;
    check_reference_ids(tx, references_of(new)).await?;
    enqueue_change(tx, &res, OutboxOperation::Create).await?;
    Ok(res)
}

/// The milestone and project a new resource points at, each to be checked once per
/// transaction by [`check_reference_ids`].
pub(crate) fn references_of(new: &NewResource) -> (Option<i64>, Option<i64>) {
    (new.milestone_id, new.project_id)
}

/// Checks a milestone and project reference inside `tx` (a page's distinct ones).
pub(crate) async fn check_reference_ids(
    tx: &mut Transaction<'_, Any>,
    (milestone_id, project_id): (Option<i64>, Option<i64>),
) -> Result<()> {
    check_reference(tx, "milestone_id", Kind::Milestone, milestone_id).await?;
    check_reference(tx, "project_id", Kind::Project, project_id).await
}

/// Inserts a resource row (version 1) inside `tx`; checking its references and enqueueing
/// its outbox row are the caller's.
pub(crate) async fn insert_resource_row(
    tx: &mut Transaction<'_, Any>,
    kind: Kind,
    new: &NewResource,
) -> Result<Resource> {
    let fields = Fields::from_new(new);
    fields.validate()?;
    let now = now_ms();
    let mut sql = Sql::new(&format!(
        "INSERT INTO {} ({COLUMNS}, closed_at, created_at, updated_at) VALUES (",
        table(kind)
    ));
    fields.bind(&mut sql)?;
    let closed = (fields.status == ResourceStatus::Closed).then_some(now);
    sql.push(", ")
        .bind(closed)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now);
    sql.push(") RETURNING *");
    let row = sql.query().fetch_one(&mut **tx).await?;
    resource_from_row(kind, &row)
}

fn not_found(kind: Kind, id: i64) -> StoreError {
    StoreError::NotFound(format!("{kind} {id}"))
}

impl Store {
    /// Creates a resource (version 1) and enqueues a `create` outbox row.
    pub async fn create_resource(&self, kind: Kind, new: &NewResource) -> Result<Resource> {
        let mut tx = self.pool.begin().await?;
        let res = insert_resource(&mut tx, kind, new).await?;
        tx.commit().await?;
        Ok(res)
    }

    /// Creates a resource that came from a platform together with its sync mapping (and
    /// the `create` outbox row), in one transaction: the mapping's `elder_id` is set to the
    /// new resource's id. A crash never leaves an unmapped copy that a retry would
    /// duplicate.
    pub async fn create_resource_mapped(
        &self,
        kind: Kind,
        new: &NewResource,
        mapping: &MappingUpsert,
    ) -> Result<(Resource, Mapping)> {
        let mut tx = self.pool.begin().await?;
        let res = insert_resource(&mut tx, kind, new).await?;
        let m = MappingUpsert {
            elder_type: kind,
            elder_id: res.id,
            elder_updated_at: Some(res.updated_at),
            ..mapping.clone()
        };
        let mapped = upsert_mapping_on(&mut *tx, &m).await?;
        tx.commit().await?;
        Ok((res, mapped))
    }

    /// One live (not deleted) resource.
    pub async fn get_resource(&self, kind: Kind, id: i64) -> Result<Resource> {
        let sql = format!(
            "SELECT * FROM {} WHERE id = $1 AND deleted_at IS NULL",
            table(kind)
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| not_found(kind, id))?;
        resource_from_row(kind, &row)
    }

    /// Live resources matching `filter`, by id, one page at a time.
    pub async fn list_resources(
        &self,
        kind: Kind,
        filter: &ResourceFilter,
        page: PageRequest,
    ) -> Result<Paged<Resource>> {
        let mut count = Sql::new(&format!(
            "SELECT COUNT(*) AS n FROM {} WHERE deleted_at IS NULL",
            table(kind)
        ));
        push_filters(&mut count, filter);
        let total: i64 = count.query().fetch_one(&self.pool).await?.try_get("n")?;
        let mut list = Sql::new(&format!(
            "SELECT * FROM {} WHERE deleted_at IS NULL",
            table(kind)
        ));
        push_filters(&mut list, filter);
        list.push(" ORDER BY id LIMIT ").bind(page.limit());
        list.push(" OFFSET ").bind(page.offset());
        let rows = list.query().fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(|r| resource_from_row(kind, r))
            .collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// Applies a patch, bumps the version and enqueues `update`, `close` or `reopen`.
    /// An empty patch changes nothing and returns the resource as it is.
    pub async fn update_resource(
        &self,
        kind: Kind,
        id: i64,
        patch: &ResourcePatch,
    ) -> Result<Resource> {
        let mut tx = self.pool.begin().await?;
        let lock = format!(
            "UPDATE {} SET version = version WHERE id = $1 AND deleted_at IS NULL",
            table(kind)
        );
        let locked = sqlx::query(&lock).bind(id).execute(&mut *tx).await?;
        if locked.rows_affected() == 0 {
            return Err(not_found(kind, id));
        }
        let sel = format!("SELECT * FROM {} WHERE id = $1", table(kind));
        let cur = resource_from_row(kind, &sqlx::query(&sel).bind(id).fetch_one(&mut *tx).await?)?;
        if let Some(v) = patch.expected_version
            && v != cur.version
        {
            return Err(StoreError::Conflict(format!(
                "{kind} {id} is at version {}, not {v}",
                cur.version
            )));
        }
        let fields = Fields::patched(&cur, patch);
        fields.validate()?;
        check_references(&mut tx, &fields).await?;
        let op = match (cur.status, fields.status) {
            (ResourceStatus::Open, ResourceStatus::Closed) => OutboxOperation::Close,
            (ResourceStatus::Closed, ResourceStatus::Open) => OutboxOperation::Reopen,
            _ => OutboxOperation::Update,
        };
        let now = now_ms();
        let closed_at = match op {
            OutboxOperation::Close => Some(now),
            OutboxOperation::Reopen => None,
            _ => cur.closed_at.map(|t| t.timestamp_millis()),
        };
        let mut sql = Sql::new(&format!(
            "UPDATE {} SET ({COLUMNS}, closed_at, updated_at) = (",
            table(kind)
        ));
        fields.bind(&mut sql)?;
        sql.push(", ").bind(closed_at).push(", ").bind(now);
        sql.push(") , version = version + 1 WHERE id = ")
            .bind(id)
            .push(" RETURNING *");
        let res = resource_from_row(kind, &sql.query().fetch_one(&mut *tx).await?)?;
        enqueue_change(&mut tx, &res, op).await?;
        tx.commit().await?;
        Ok(res)
    }

    /// Soft-deletes a resource (bumping its version) and enqueues `delete`.
    pub async fn delete_resource(&self, kind: Kind, id: i64) -> Result<Resource> {
        let now = now_ms();
        let sql = format!(
            "UPDATE {} SET deleted_at = $1, updated_at = $1, version = version + 1 \
             WHERE id = $2 AND deleted_at IS NULL RETURNING *",
            table(kind)
        );
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&sql)
            .bind(now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found(kind, id))?;
        let res = resource_from_row(kind, &row)?;
        enqueue_change(&mut tx, &res, OutboxOperation::Delete).await?;
        tx.commit().await?;
        Ok(res)
    }
}

fn like_json_string(v: &str) -> String {
    let quoted = serde_json::to_string(v).unwrap_or_default();
    let escaped = quoted
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn push_filters(sql: &mut Sql, f: &ResourceFilter) {
    if let Some(s) = f.status {
        sql.push(" AND status = ").bind(s.as_str());
    }
    if let Some(p) = f.project_id {
        sql.push(" AND project_id = ").bind(p);
    }
    if let Some(m) = f.milestone_id {
        sql.push(" AND milestone_id = ").bind(m);
    }
    if let Some(l) = &f.label {
        sql.push(" AND labels LIKE ")
            .bind(like_json_string(l))
            .push(" ESCAPE '\\'");
    }
    if let Some(a) = &f.assignee {
        sql.push(" AND assignees LIKE ")
            .bind(like_json_string(a))
            .push(" ESCAPE '\\'");
    }
    if let Some(q) = &f.q {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        sql.push(" AND LOWER(title) LIKE ")
            .bind(format!("%{escaped}%"))
            .push(" ESCAPE '\\'");
    }
}

pub(crate) fn resource_from_row(kind: Kind, r: &AnyRow) -> Result<Resource> {
    let status: String = r.try_get("status")?;
    let labels: String = r.try_get("labels")?;
    let assignees: String = r.try_get("assignees")?;
    let extras: String = r.try_get("extras")?;
    Ok(Resource {
        id: r.try_get("id")?,
        kind,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        status: if status == "closed" {
            ResourceStatus::Closed
        } else {
            ResourceStatus::Open
        },
        status_name: r.try_get("status_name")?,
        labels: serde_json::from_str(&labels)?,
        assignees: serde_json::from_str(&assignees)?,
        milestone_id: r.try_get("milestone_id")?,
        project_id: r.try_get("project_id")?,
        extras: serde_json::from_str(&extras)?,
        version: r.try_get("version")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
        closed_at: from_ms_opt(r.try_get("closed_at")?)?,
        deleted_at: from_ms_opt(r.try_get("deleted_at")?)?,
    })
}

/// Enqueues the outbox row of a change to `res` in the change's transaction.
async fn enqueue_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    res: &Resource,
    op: OutboxOperation,
) -> Result<()> {
    let snapshot = serde_json::to_value(res)?;
    let row = Enqueued {
        kind: res.kind,
        id: res.id,
        version: res.version,
        snapshot: &snapshot,
    };
    enqueue(tx, row, op).await
}
