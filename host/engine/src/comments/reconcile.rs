//! One item's comments reconciled with one config's platform: the platform's list, Elder's
//! comments of the mapped issue and the comment mappings' bases. Paired comments follow
//! `decide`; a platform comment no mapping knows is imported into Elder (or, when it is
//! our own earlier create whose answer was lost, adopted); an Elder comment the config has
//! not mapped is created on the platform with its attribution line. A comment that fails is
//! noted in history and the rest go on; a rate limit stops the item's comments (the next
//! sync of the item resumes).

use std::collections::{HashMap, HashSet};

use elder_sync_model::{Comment as Remote, Kind};
use elder_sync_runtime::{ConnectorSettings, LoadedConnector};
use elder_sync_store::{
    Comment, CommentMapping, CommentMappingWrite, ImportedComment, Mapping, ResolvedConfig,
};

use crate::comments::attribution;
use crate::comments::decide::{Base, Side, Step, decide, fingerprint};
use crate::comments::note::{Where, note_comment_failed};
use crate::comments::people::{author_in_elder, name_on};
use crate::engine::{SyncEngine, connector_settings, strategy_of};
use crate::error::EngineError;

/// What reconciling one item's comments wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommentTally {
    /// Writes to Elder's comments (created, edited, deleted).
    pub to_elder: u32,
    /// Writes to the platform's comments (created, edited, deleted).
    pub to_platform: u32,
    /// Comments that failed (noted in history).
    pub failed: u32,
    /// Some failure may succeed when tried again (a timeout, a 5xx, a rate limit): the
    /// caller keeps its work for a retry where it can (an outbox row, a webhook delivery).
    pub transient: bool,
    /// The platform's rate limit met on the way (how long it asks to wait): the caller
    /// waits it out or pauses the config, as for an item.
    pub rate_limited: Option<std::time::Duration>,
}

/// Everything one item's reconciliation works with.
pub(crate) struct ItemComments<'a> {
    pub engine: &'a SyncEngine,
    pub rc: &'a ResolvedConfig,
    pub connector: &'a LoadedConnector,
    pub kind: Kind,
    /// The item mapping (config, issue, platform item).
    pub item: &'a Mapping,
}

impl ItemComments<'_> {
    fn platform(&self) -> &str {
        self.rc.config.platform.as_str()
    }

    fn cfg(&self) -> ConnectorSettings {
        connector_settings(self.rc)
    }

    fn at<'b>(&'b self, comment: Option<i64>, external: Option<&'b str>) -> Where<'b> {
        Where {
            issue_id: self.item.elder_id,
            external_id: &self.item.external_id,
            comment_id: comment,
            external_comment_id: external,
        }
    }

    fn write(&self, comment_id: i64, external_id: &str) -> CommentMappingWrite {
        CommentMappingWrite {
            sync_config_id: self.rc.config.id,
            item_mapping_id: self.item.id,
            comment_id,
            external_id: external_id.to_string(),
            ..CommentMappingWrite::default()
        }
    }
}

/// Reconciles the item's comments; fails only when the platform's list cannot be read.
pub(crate) async fn reconcile(ctx: &ItemComments<'_>) -> Result<CommentTally, EngineError> {
    let remote = ctx
        .connector
        .list_comments(&ctx.cfg(), ctx.kind, &ctx.item.external_id)
        .await?;
    let elder = ctx
        .engine
        .store
        .comments_of_issue(ctx.item.elder_id)
        .await?;
    let pairs = ctx
        .engine
        .store
        .comment_mappings_of_item(ctx.item.id)
        .await?;
    let mut tally = CommentTally::default();
    let remote_by_id: HashMap<&str, &Remote> =
        remote.iter().map(|r| (r.external_id.as_str(), r)).collect();
    let elder_by_id: HashMap<i64, &Comment> = elder.iter().map(|c| (c.id, c)).collect();
    let mut mapped_remote: HashSet<&str> = HashSet::new();
    let mut mapped_elder: HashSet<i64> = HashSet::new();
    for pair in &pairs {
        mapped_remote.insert(pair.external_id.as_str());
        mapped_elder.insert(pair.comment_id);
        let e = elder_by_id.get(&pair.comment_id).copied();
        let r = remote_by_id.get(pair.external_id.as_str()).copied();
        if !step(ctx, pair, e, r, &mut tally).await {
            return Ok(tally);
        }
    }
    let mut unmapped = Vec::new();
    for c in elder
        .iter()
        .filter(|c| c.is_live() && !mapped_elder.contains(&c.id))
    {
        let attributed = attributed(ctx, c).await.ok();
        unmapped.push(Outgoing {
            comment: c,
            attributed,
        });
    }
    for r in remote
        .iter()
        .filter(|r| !mapped_remote.contains(r.external_id.as_str()))
    {
        if !arrived(ctx, r, &mut unmapped, &mut tally).await {
            return Ok(tally);
        }
    }
    for Outgoing { comment: c, .. } in unmapped {
        let done = created_on_platform(ctx, c).await;
        if !counted(
            ctx,
            done,
            &mut tally,
            "create on the platform",
            Some(c.id),
            None,
        )
        .await
        {
            return Ok(tally);
        }
    }
    Ok(tally)
}

/// Counts one comment's outcome (a write, nothing, or a noted failure); false when the
/// platform asked to wait (the item's remaining comments wait for its next sync).
async fn counted(
    ctx: &ItemComments<'_>,
    done: Result<Wrote, EngineError>,
    tally: &mut CommentTally,
    what: &str,
    comment: Option<i64>,
    external: Option<&str>,
) -> bool {
    match done {
        Ok(Wrote::Nothing) => true,
        Ok(Wrote::Elder) => {
            tally.to_elder += 1;
            true
        }
        Ok(Wrote::Platform) => {
            tally.to_platform += 1;
            true
        }
        Err(e) => {
            tally.failed += 1;
            tally.transient |= e.is_transient();
            tally.rate_limited = tally.rate_limited.or(e.rate_limit_wait());
            note_comment_failed(ctx.engine, ctx.rc, ctx.at(comment, external), what, &e).await;
            e.rate_limit_wait().is_none()
        }
    }
}

/// Which side one comment's step wrote to.
enum Wrote {
    Nothing,
    Elder,
    Platform,
}

/// Decides and carries out one mapped pair.
async fn step(
    ctx: &ItemComments<'_>,
    pair: &CommentMapping,
    elder: Option<&Comment>,
    remote: Option<&Remote>,
    tally: &mut CommentTally,
) -> bool {
    let live = elder.filter(|c| c.is_live());
    let base = Base {
        body: &pair.base_body,
        attribution: pair.attribution.as_deref(),
        written: pair.last_write_fingerprint.as_deref(),
    };
    let elder_side = live.map(|c| Side {
        body: &c.body,
        updated_at: c.updated_at.timestamp_millis(),
    });
    let remote_side = remote.map(|r| Side {
        body: &r.body,
        updated_at: r.updated_at,
    });
    let decided = match pair.kept_on_platform_at {
        // Deleted in Elder, kept by a platform that cannot delete it: outside the sync
        // until it is gone there too.
        Some(_) if remote.is_some() => Step::Nothing,
        Some(_) => Step::Forget,
        None => decide(base, elder_side, remote_side, strategy_of(ctx.rc)),
    };
    let what = match decided {
        Step::DeleteOnPlatform => "delete on the platform",
        _ => "apply a change",
    };
    let done = carry_out(ctx, pair, live, remote, decided).await;
    counted(
        ctx,
        done,
        tally,
        what,
        Some(pair.comment_id),
        Some(&pair.external_id),
    )
    .await
}

async fn carry_out(
    ctx: &ItemComments<'_>,
    pair: &CommentMapping,
    elder: Option<&Comment>,
    remote: Option<&Remote>,
    decided: Step,
) -> Result<Wrote, EngineError> {
    let store = &ctx.engine.store;
    match (decided, elder, remote) {
        (Step::Push, Some(c), Some(_)) => {
            // A comment the platform's own user wrote keeps their words only; one we wrote
            // keeps its attribution line.
            let (line, body) = match &pair.attribution {
                Some(_) => {
                    let (line, body) = attributed(ctx, c).await?;
                    (Some(line), body)
                }
                None => (None, c.body.clone()),
            };
            let stored = ctx
                .connector
                .update_comment(
                    &ctx.cfg(),
                    ctx.kind,
                    &ctx.item.external_id,
                    &pair.external_id,
                    &body,
                )
                .await?;
            record_written(ctx, c, line, &stored).await?;
            Ok(Wrote::Platform)
        }
        (Step::Pull(text), Some(c), Some(r)) => {
            let write = CommentMappingWrite {
                base_body: text.clone(),
                attribution: pair.attribution.clone(),
                external_version: r.version.clone(),
                last_write_fingerprint: pair.last_write_fingerprint.clone(),
                ..ctx.write(c.id, &pair.external_id)
            };
            store
                .apply_comment_edit(ctx.item.elder_id, &text, &write)
                .await?;
            Ok(Wrote::Elder)
        }
        (Step::Rebase(text), Some(c), Some(r)) => {
            let write = CommentMappingWrite {
                base_body: text,
                attribution: pair.attribution.clone(),
                external_version: r.version.clone(),
                last_write_fingerprint: pair.last_write_fingerprint.clone(),
                ..ctx.write(c.id, &pair.external_id)
            };
            store.upsert_comment_mapping(&write).await?;
            Ok(Wrote::Nothing)
        }
        (Step::DeleteOnPlatform, _, Some(_)) => {
            let deleted = ctx
                .connector
                .delete_comment(
                    &ctx.cfg(),
                    ctx.kind,
                    &ctx.item.external_id,
                    &pair.external_id,
                )
                .await
                .map_err(EngineError::from);
            if let Err(e) = deleted {
                if crate::refusals::is_unsupported(&e) {
                    // Noted once (by the caller); the comment stays there, outside the sync.
                    store.keep_comment_on_platform(pair.id).await?;
                }
                return Err(e);
            }
            store.delete_comment_mapping(pair.id).await?;
            Ok(Wrote::Platform)
        }
        (Step::DeleteInElder, Some(c), None) => {
            store
                .apply_comment_delete(ctx.item.elder_id, c.id, pair.id)
                .await?;
            Ok(Wrote::Elder)
        }
        (Step::Forget, _, _) => {
            store.delete_comment_mapping(pair.id).await?;
            Ok(Wrote::Nothing)
        }
        _ => Ok(Wrote::Nothing),
    }
}

/// An Elder comment the config has not mapped, with what it would be on the platform
/// (`None` when its author could not be looked up: it is then never taken for our own).
struct Outgoing<'c> {
    comment: &'c Comment,
    attributed: Option<(String, String)>,
}

/// A platform comment no mapping knows: our own earlier create whose answer was lost
/// (its body is exactly what we would send for an unmapped Elder comment) is adopted;
/// anything else is imported into Elder, its author mapped through the identity table.
async fn arrived(
    ctx: &ItemComments<'_>,
    r: &Remote,
    unmapped: &mut Vec<Outgoing<'_>>,
    tally: &mut CommentTally,
) -> bool {
    let own = unmapped.iter().position(|o| {
        o.attributed
            .as_ref()
            .is_some_and(|(_, body)| *body == r.body)
    });
    if let Some(i) = own {
        let o = unmapped.remove(i);
        let c = o.comment;
        let line = o.attributed.map(|(line, _)| line);
        tracing::info!(comment_id = c.id, external_comment_id = %r.external_id, "an earlier create of this comment did reach the platform: adopted, not sent again");
        let done = record_written(ctx, c, line, r)
            .await
            .map(|_| Wrote::Nothing);
        return counted(ctx, done, tally, "adopt", Some(c.id), Some(&r.external_id)).await;
    }
    let done = imported(ctx, r).await;
    counted(ctx, done, tally, "import", None, Some(&r.external_id)).await
}

async fn imported(ctx: &ItemComments<'_>, r: &Remote) -> Result<Wrote, EngineError> {
    let author = author_in_elder(
        ctx.engine,
        ctx.platform(),
        &r.author,
        r.author_name.as_deref(),
    )
    .await?;
    let new = ImportedComment {
        issue_id: ctx.item.elder_id,
        body: r.body.clone(),
        author,
        origin: ctx.platform().to_string(),
        created_at: r.created_at,
    };
    let write = CommentMappingWrite {
        base_body: r.body.clone(),
        external_version: r.version.clone(),
        ..ctx.write(0, &r.external_id)
    };
    ctx.engine.store.import_comment(&new, &write).await?;
    Ok(Wrote::Elder)
}

/// An Elder comment the config has not mapped, created on the platform with its
/// attribution line.
async fn created_on_platform(ctx: &ItemComments<'_>, c: &Comment) -> Result<Wrote, EngineError> {
    let (line, body) = attributed(ctx, c).await?;
    let stored = ctx
        .connector
        .create_comment(&ctx.cfg(), ctx.kind, &ctx.item.external_id, &body)
        .await?;
    record_written(ctx, c, Some(line), &stored).await?;
    Ok(Wrote::Platform)
}

/// Elder comment `c` as written to this config's platform: its attribution line, and the
/// body with the line above it.
async fn attributed(ctx: &ItemComments<'_>, c: &Comment) -> Result<(String, String), EngineError> {
    let name = name_on(ctx.engine, ctx.platform(), &c.author).await?;
    let line = attribution::line(&name, &c.origin);
    let body = attribution::attributed(&line, &c.body);
    Ok((line, body))
}

/// Records the pair after our write: Elder's body as the base, and what the platform
/// stored (version, fingerprint) so reading it back is no change.
async fn record_written(
    ctx: &ItemComments<'_>,
    c: &Comment,
    line: Option<String>,
    stored: &Remote,
) -> Result<(), EngineError> {
    let write = CommentMappingWrite {
        base_body: c.body.clone(),
        attribution: line,
        external_version: stored.version.clone(),
        last_write_fingerprint: Some(fingerprint(&stored.body)),
        ..ctx.write(c.id, &stored.external_id)
    };
    ctx.engine.store.upsert_comment_mapping(&write).await?;
    Ok(())
}
