//! Comment mappings: which platform comment an Elder comment is under a sync config (within
//! the item mapping of its issue), with the pair's base (the body last synced, in Elder's
//! terms) and what our last write produced on the platform (the attribution line we wrote,
//! the version returned, a fingerprint of the stored body) for echo suppression. The sync
//! engine's writes to Elder's comments happen here together with the mapping, in one
//! transaction that also enqueues the issue's outbox work (other configs get the change).

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::Store;
use crate::comments::{
    Comment, ImportedComment, insert_comment, mark_comment_deleted, set_comment_body, touch_issue,
};
use crate::error::Result;
use crate::time::{from_ms, from_ms_opt, now_ms};

/// One comment mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentMapping {
    /// Row id.
    pub id: i64,
    /// The sync config the pair belongs to.
    pub sync_config_id: i64,
    /// The item mapping (`sync_mappings.id`) of the issue the comment is on.
    pub item_mapping_id: i64,
    /// Row id of the Elder comment.
    pub comment_id: i64,
    /// The platform's id of the comment.
    pub external_id: String,
    /// The body last synced, in Elder's terms (without our attribution line).
    pub base_body: String,
    /// The attribution line we wrote above the body on the platform; `None` when we never
    /// wrote the comment there (it came from the platform).
    pub attribution: Option<String>,
    /// The platform's version token of the comment as last synced.
    pub external_version: Option<String>,
    /// Fingerprint of the body the platform stored at our last write.
    pub last_write_fingerprint: Option<String>,
    /// When the platform refused to delete the comment Elder deleted (it has no way to):
    /// the comment stays there, outside the sync, and the deletion is not tried again.
    pub kept_on_platform_at: Option<DateTime<Utc>>,
    /// When the pair was made (UTC).
    pub created_at: DateTime<Utc>,
    /// When the pair last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// Insert-or-update of a comment mapping, keyed by (config, Elder comment).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommentMappingWrite {
    /// The sync config.
    pub sync_config_id: i64,
    /// The item mapping of the issue.
    pub item_mapping_id: i64,
    /// The Elder comment (0 when [`Store::import_comment`] creates it).
    pub comment_id: i64,
    /// The platform's id of the comment.
    pub external_id: String,
    /// The body now in step, in Elder's terms.
    pub base_body: String,
    /// The attribution line written above the body on the platform, if we wrote one.
    pub attribution: Option<String>,
    /// The platform's version token now.
    pub external_version: Option<String>,
    /// Fingerprint of the body the platform stored at our write.
    pub last_write_fingerprint: Option<String>,
}

async fn upsert_on(
    tx: &mut Transaction<'_, Any>,
    m: &CommentMappingWrite,
) -> Result<CommentMapping> {
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO comment_mappings (sync_config_id, item_mapping_id, comment_id, external_id, \
         base_body, attribution, external_version, last_write_fingerprint, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (sync_config_id, comment_id) DO UPDATE SET \
         item_mapping_id = excluded.item_mapping_id, external_id = excluded.external_id, \
         base_body = excluded.base_body, attribution = excluded.attribution, \
         external_version = excluded.external_version, \
         last_write_fingerprint = excluded.last_write_fingerprint, updated_at = excluded.updated_at \
         RETURNING *",
    )
    .bind(m.sync_config_id)
    .bind(m.item_mapping_id)
    .bind(m.comment_id)
    .bind(m.external_id.clone())
    .bind(m.base_body.clone())
    .bind(m.attribution.clone())
    .bind(m.external_version.clone())
    .bind(m.last_write_fingerprint.clone())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    mapping_from_row(&row)
}

impl Store {
    /// The comment mappings under one item mapping.
    pub async fn comment_mappings_of_item(
        &self,
        item_mapping_id: i64,
    ) -> Result<Vec<CommentMapping>> {
        let rows =
            sqlx::query("SELECT * FROM comment_mappings WHERE item_mapping_id = $1 ORDER BY id")
                .bind(item_mapping_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(mapping_from_row).collect()
    }

    /// Records a pair in step (after a write to the platform, or to adopt what both hold).
    pub async fn upsert_comment_mapping(&self, m: &CommentMappingWrite) -> Result<CommentMapping> {
        let mut tx = self.pool.begin().await?;
        let out = upsert_on(&mut tx, m).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Records that the platform refused to delete the pair's comment (deleted in Elder):
    /// the pair stays, so the comment there is neither deleted again nor imported again.
    pub async fn keep_comment_on_platform(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE comment_mappings SET kept_on_platform_at = $1, updated_at = $1 WHERE id = $2",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a pair (its comment is gone on one side and was deleted on the other).
    pub async fn delete_comment_mapping(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM comment_mappings WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A platform's new comment written into Elder with its mapping (`comment_id` is the new
    /// comment's) and the issue's outbox work, in one transaction.
    pub async fn import_comment(
        &self,
        new: &ImportedComment,
        mapping: &CommentMappingWrite,
    ) -> Result<(Comment, CommentMapping)> {
        let mut tx = self.pool.begin().await?;
        touch_issue(&mut tx, new.issue_id).await?;
        let comment = insert_comment(&mut tx, new).await?;
        let m = CommentMappingWrite {
            comment_id: comment.id,
            ..mapping.clone()
        };
        let mapped = upsert_on(&mut tx, &m).await?;
        tx.commit().await?;
        Ok((comment, mapped))
    }

    /// A platform's edit written into Elder's comment with the pair's new base and the
    /// issue's outbox work, in one transaction.
    pub async fn apply_comment_edit(
        &self,
        issue_id: i64,
        body: &str,
        mapping: &CommentMappingWrite,
    ) -> Result<Comment> {
        let mut tx = self.pool.begin().await?;
        touch_issue(&mut tx, issue_id).await?;
        let comment = set_comment_body(&mut tx, mapping.comment_id, body).await?;
        upsert_on(&mut tx, mapping).await?;
        tx.commit().await?;
        Ok(comment)
    }

    /// A platform's deletion applied to Elder's comment: deleted, the pair forgotten and the
    /// issue's outbox work enqueued, in one transaction.
    pub async fn apply_comment_delete(
        &self,
        issue_id: i64,
        comment_id: i64,
        mapping_id: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        touch_issue(&mut tx, issue_id).await?;
        mark_comment_deleted(&mut tx, comment_id).await?;
        sqlx::query("DELETE FROM comment_mappings WHERE id = $1")
            .bind(mapping_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn mapping_from_row(r: &AnyRow) -> Result<CommentMapping> {
    Ok(CommentMapping {
        id: r.try_get("id")?,
        sync_config_id: r.try_get("sync_config_id")?,
        item_mapping_id: r.try_get("item_mapping_id")?,
        comment_id: r.try_get("comment_id")?,
        external_id: r.try_get("external_id")?,
        base_body: r.try_get("base_body")?,
        attribution: r.try_get("attribution")?,
        external_version: r.try_get("external_version")?,
        last_write_fingerprint: r.try_get("last_write_fingerprint")?,
        kept_on_platform_at: from_ms_opt(r.try_get("kept_on_platform_at")?)?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}
