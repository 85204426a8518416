//! Elder's comments on its issues: create, list, edit and soft-delete (a deleted comment is
//! kept so its deletion can still reach the platforms holding a copy). Every write also
//! enqueues outbox work for the issue in the same transaction (`touch_issue`), so the sync
//! engine reconciles the issue's comments with every config holding it. The engine's own
//! writes (a platform's comment applied to Elder) go through [`crate::comment_mappings`].

use chrono::{DateTime, Utc};
use elder_sync_model::Kind;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use utoipa::ToSchema;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::outbox::{Enqueued, OutboxOperation, enqueue};
use crate::page::{PageRequest, Paged};
use crate::resources::resource_from_row;
use crate::time::{from_ms, from_ms_opt, now_ms};

/// Where an Elder comment was first written when it was typed in Elder.
pub const ELDER_ORIGIN: &str = "elder";

/// Longest comment body, in bytes of UTF-8 (as an issue's description).
const MAX_BODY_BYTES: usize = 1_000_000;

/// Longest author name, in characters.
const MAX_AUTHOR_CHARS: usize = 200;

/// A comment on an Elder issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Comment {
    /// Row id of the comment.
    pub id: i64,
    /// Row id of the issue it is on.
    pub issue_id: i64,
    /// Markdown.
    pub body: String,
    /// Who wrote it: an identity's handle (`/api/v1/identities`), or a name no identity holds.
    pub author: String,
    /// Where it was first written: `elder`, or the platform id it was imported from.
    pub origin: String,
    /// Incremented on every change.
    pub version: i64,
    /// When it was written (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// When it was deleted (UTC); `None` (and not serialised) while it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Comment {
    /// True while the comment exists (not deleted).
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }
}

/// The body of `POST /api/v1/issues/{id}/comments`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// Markdown, not blank, at most 1 MB (UTF-8).
    #[schema(min_length = 1)]
    pub body: String,
    /// Who wrote it: an identity's handle or a free-text name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub author: String,
}

/// The body of `PATCH /api/v1/issues/{id}/comments/{cid}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentPatch {
    /// The new Markdown body, not blank, at most 1 MB (UTF-8).
    #[schema(min_length = 1)]
    pub body: String,
    /// The version the caller last saw; a different stored version refuses the edit (409).
    #[serde(default)]
    pub expected_version: Option<i64>,
}

/// A comment written into Elder by the sync engine (a platform's comment).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedComment {
    /// Row id of the issue.
    pub issue_id: i64,
    /// Markdown.
    pub body: String,
    /// An identity's handle, or the platform's name for the author.
    pub author: String,
    /// The platform it came from.
    pub origin: String,
    /// When the platform says it was written (UTC ms).
    pub created_at: i64,
}

pub(crate) fn check_body(body: &str) -> Result<()> {
    if body.trim().is_empty() {
        return Err(StoreError::invalid("body", "must not be empty"));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(StoreError::invalid("body", "at most 1 MB"));
    }
    Ok(())
}

fn check_author(author: &str) -> Result<()> {
    if author.trim().is_empty() || author.chars().count() > MAX_AUTHOR_CHARS {
        return Err(StoreError::invalid(
            "author",
            format!("must be 1 to {MAX_AUTHOR_CHARS} characters"),
        ));
    }
    Ok(())
}

fn comment_not_found(issue_id: i64, id: i64) -> StoreError {
    StoreError::NotFound(format!("comment {id} of issue {issue_id}"))
}

/// Enqueues outbox work for issue `issue_id` (an `update` with its current state) inside
/// the caller's transaction, so the engine reconciles its comments with every config
/// holding it. A row for the issue still waiting untouched (never claimed) already covers
/// this change: the engine reads the issue and its comments when it pushes, not the row's
/// snapshot. Fails with not-found when the issue does not exist (or is deleted).
pub(crate) async fn touch_issue(tx: &mut Transaction<'_, Any>, issue_id: i64) -> Result<()> {
    // Write first: on SQLite a transaction that reads before it writes fails (busy
    // snapshot) when another connection wrote in between; this takes the write lock.
    let locked =
        sqlx::query("UPDATE issues SET version = version WHERE id = $1 AND deleted_at IS NULL")
            .bind(issue_id)
            .execute(&mut **tx)
            .await?;
    if locked.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("issue {issue_id}")));
    }
    let row = sqlx::query("SELECT * FROM issues WHERE id = $1 AND deleted_at IS NULL")
        .bind(issue_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("issue {issue_id}")))?;
    let waiting = sqlx::query(
        "SELECT id FROM outbox WHERE resource_type = 'issue' AND resource_id = $1 \
         AND status = 'pending' AND attempts = 0 AND claimed_by IS NULL LIMIT 1",
    )
    .bind(issue_id)
    .fetch_optional(&mut **tx)
    .await?;
    if waiting.is_some() {
        return Ok(());
    }
    let issue = resource_from_row(Kind::Issue, &row)?;
    let snapshot = serde_json::to_value(&issue)?;
    let row = Enqueued {
        kind: Kind::Issue,
        id: issue.id,
        version: issue.version,
        snapshot: &snapshot,
    };
    enqueue(tx, row, OutboxOperation::Update).await
}

/// Inserts a comment (version 1) inside `tx`; the caller touches the issue.
pub(crate) async fn insert_comment(
    tx: &mut Transaction<'_, Any>,
    new: &ImportedComment,
) -> Result<Comment> {
    check_body(&new.body)?;
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO comments (issue_id, body, author, origin, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
    )
    .bind(new.issue_id)
    .bind(new.body.clone())
    .bind(new.author.clone())
    .bind(new.origin.clone())
    .bind(new.created_at)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    comment_from_row(&row)
}

/// Replaces a live comment's body (version + 1) inside `tx`; the caller touches the issue.
pub(crate) async fn set_comment_body(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    body: &str,
) -> Result<Comment> {
    check_body(body)?;
    let row = sqlx::query(
        "UPDATE comments SET body = $1, updated_at = $2, version = version + 1 \
         WHERE id = $3 AND deleted_at IS NULL RETURNING *",
    )
    .bind(body.to_string())
    .bind(now_ms())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("comment {id}")))?;
    comment_from_row(&row)
}

/// Soft-deletes a live comment (version + 1) inside `tx`; `None` when it was already gone.
pub(crate) async fn mark_comment_deleted(
    tx: &mut Transaction<'_, Any>,
    id: i64,
) -> Result<Option<Comment>> {
    let now = now_ms();
    let row = sqlx::query(
        "UPDATE comments SET deleted_at = $1, updated_at = $1, version = version + 1 \
         WHERE id = $2 AND deleted_at IS NULL RETURNING *",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(comment_from_row).transpose()
}

impl Store {
    /// Adds a comment typed in Elder to a live issue and enqueues the issue's outbox work.
    pub async fn create_comment(&self, issue_id: i64, new: &NewComment) -> Result<Comment> {
        check_body(&new.body)?;
        check_author(&new.author)?;
        let mut tx = self.pool.begin().await?;
        touch_issue(&mut tx, issue_id).await?;
        let comment = insert_comment(
            &mut tx,
            &ImportedComment {
                issue_id,
                body: new.body.clone(),
                author: new.author.trim().to_string(),
                origin: ELDER_ORIGIN.to_string(),
                created_at: now_ms(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(comment)
    }

    /// One live comment of a live issue.
    pub async fn get_comment(&self, issue_id: i64, id: i64) -> Result<Comment> {
        self.get_resource(Kind::Issue, issue_id).await?;
        let row = sqlx::query(
            "SELECT * FROM comments WHERE id = $1 AND issue_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(issue_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| comment_not_found(issue_id, id))?;
        comment_from_row(&row)
    }

    /// The live comments of a live issue, oldest first, one page at a time.
    pub async fn list_comments(&self, issue_id: i64, page: PageRequest) -> Result<Paged<Comment>> {
        self.get_resource(Kind::Issue, issue_id).await?;
        let total: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM comments WHERE issue_id = $1 AND deleted_at IS NULL",
        )
        .bind(issue_id)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let rows = sqlx::query(
            "SELECT * FROM comments WHERE issue_id = $1 AND deleted_at IS NULL \
             ORDER BY created_at, id LIMIT $2 OFFSET $3",
        )
        .bind(issue_id)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(comment_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// Every comment of an issue, deleted ones included (the engine compares them with a
    /// platform's), oldest first.
    pub async fn comments_of_issue(&self, issue_id: i64) -> Result<Vec<Comment>> {
        let rows =
            sqlx::query("SELECT * FROM comments WHERE issue_id = $1 ORDER BY created_at, id")
                .bind(issue_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(comment_from_row).collect()
    }

    /// Edits a comment typed or shown in Elder (optionally only at `expected_version`) and
    /// enqueues the issue's outbox work. The same body again changes nothing.
    pub async fn update_comment(
        &self,
        issue_id: i64,
        id: i64,
        patch: &CommentPatch,
    ) -> Result<Comment> {
        check_body(&patch.body)?;
        let mut tx = self.pool.begin().await?;
        // The issue's row lock orders every write to its comments.
        touch_issue(&mut tx, issue_id).await?;
        let row = sqlx::query(
            "SELECT * FROM comments WHERE id = $1 AND issue_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(issue_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| comment_not_found(issue_id, id))?;
        let cur = comment_from_row(&row)?;
        if let Some(v) = patch.expected_version
            && v != cur.version
        {
            return Err(StoreError::Conflict(format!(
                "comment {id} is at version {}, not {v}",
                cur.version
            )));
        }
        if cur.body == patch.body {
            // Nothing changes: no outbox work either (the transaction is rolled back).
            return Ok(cur);
        }
        let updated = set_comment_body(&mut tx, id, &patch.body).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a comment (kept as deleted for the engine) and enqueues the issue's outbox
    /// work.
    pub async fn delete_comment(&self, issue_id: i64, id: i64) -> Result<Comment> {
        self.get_comment(issue_id, id).await?;
        let mut tx = self.pool.begin().await?;
        touch_issue(&mut tx, issue_id).await?;
        let gone = mark_comment_deleted(&mut tx, id)
            .await?
            .ok_or_else(|| comment_not_found(issue_id, id))?;
        tx.commit().await?;
        Ok(gone)
    }
}

pub(crate) fn comment_from_row(r: &AnyRow) -> Result<Comment> {
    Ok(Comment {
        id: r.try_get("id")?,
        issue_id: r.try_get("issue_id")?,
        body: r.try_get("body")?,
        author: r.try_get("author")?,
        origin: r.try_get("origin")?,
        version: r.try_get("version")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
        deleted_at: from_ms_opt(r.try_get("deleted_at")?)?,
    })
}
