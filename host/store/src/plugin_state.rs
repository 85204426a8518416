//! The plugin state the replicas of one database share (tables `plugin_components`,
//! `plugin_state`, `plugin_seen`): component bytes by SHA-256, per plugin id the serving and
//! previous versions, whether it is enabled, what was approved and what waits for approval,
//! with a revision bumped by every change; and the (component, manifest) pairs the fleet has
//! seen. The plugin host owns what these mean (manifests, surfaces and diffs arrive as text);
//! this module owns the rows, and on PostgreSQL the `NOTIFY` that wakes the other replicas
//! ([`PluginChanges`]).

use sqlx::Row;
use sqlx::any::AnyRow;
use sqlx::postgres::PgListener;

use crate::Store;
use crate::db::{Backend, Sql, get_bool};
use crate::error::Result;
use crate::time::now_ms;

/// The channel a change to the plugin state is announced on (payload: the plugin id).
pub const PLUGIN_CHANNEL: &str = "elder_sync_plugins";

/// One version of a plugin: its component's SHA-256 and its manifest (TOML text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    /// SHA-256 of the component bytes, lowercase hex (the key of `plugin_components`).
    pub source_hash: String,
    /// The manifest, as TOML text.
    pub manifest: String,
}

/// A version waiting for an operator's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPending {
    /// The version itself.
    pub version: StoredVersion,
    /// Why it waits (the plugin host's diff, as JSON text).
    pub diff: String,
    /// Where it came from (`upload` or `directory`).
    pub origin: String,
}

/// One plugin's shared state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginRecord {
    /// The plugin id (the manifest's `id`).
    pub id: String,
    /// The version every replica serves.
    pub current: Option<StoredVersion>,
    /// The version a rollback returns to.
    pub previous: Option<StoredVersion>,
    /// False when an operator disabled the plugin.
    pub enabled: bool,
    /// The manifest an operator last approved (TOML text).
    pub approved_manifest: Option<String>,
    /// The security surface last approved (JSON text).
    pub approved_surface: Option<String>,
    /// The version waiting for approval, if any.
    pub pending: Option<StoredPending>,
    /// Bumped by every change (0 for a record never saved).
    pub revision: i64,
}

const COLUMNS: &str = "id, current_hash, current_manifest, previous_hash, previous_manifest, \
    enabled, approved_manifest, approved_surface, pending_hash, pending_manifest, pending_diff, \
    pending_origin, revision";

impl Store {
    /// Stores a component's bytes under their SHA-256 `source_hash` (nothing when already
    /// stored).
    pub async fn store_plugin_component(&self, source_hash: &str, component: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO plugin_components (source_hash, component, stored_at) VALUES ($1, $2, $3) \
             ON CONFLICT (source_hash) DO NOTHING",
        )
        .bind(source_hash.to_string())
        .bind(component.to_vec())
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The bytes stored under `source_hash`, if any.
    pub async fn plugin_component(&self, source_hash: &str) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT component FROM plugin_components WHERE source_hash = $1")
            .bind(source_hash.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get::<Vec<u8>, _>("component")?),
            None => None,
        })
    }

    /// Saves `record` (all but its revision) as `id`'s state, bumps its revision, announces the
    /// change on PostgreSQL, and returns the new revision.
    pub async fn save_plugin_record(&self, record: &PluginRecord) -> Result<i64> {
        let version = |v: &Option<StoredVersion>| {
            v.as_ref().map_or((None, None), |v| {
                (Some(v.source_hash.clone()), Some(v.manifest.clone()))
            })
        };
        let (current_hash, current_manifest) = version(&record.current);
        let (previous_hash, previous_manifest) = version(&record.previous);
        let pending = record.pending.as_ref();
        let (pending_hash, pending_manifest) = version(&pending.map(|p| p.version.clone()));
        let mut sql = Sql::new(&format!(
            "INSERT INTO plugin_state ({COLUMNS}, updated_at) VALUES ("
        ));
        sql.bind(record.id.as_str()).push(", ");
        for text in [
            current_hash,
            current_manifest,
            previous_hash,
            previous_manifest,
        ] {
            sql.bind(text).push(", ");
        }
        sql.bind(record.enabled).push(", ");
        for text in [
            record.approved_manifest.clone(),
            record.approved_surface.clone(),
            pending_hash,
            pending_manifest,
            pending.map(|p| p.diff.clone()),
            pending.map(|p| p.origin.clone()),
        ] {
            sql.bind(text).push(", ");
        }
        sql.push("1, ").bind(now_ms()).push(
            ") ON CONFLICT (id) DO UPDATE SET current_hash = excluded.current_hash, \
             current_manifest = excluded.current_manifest, previous_hash = excluded.previous_hash, \
             previous_manifest = excluded.previous_manifest, enabled = excluded.enabled, \
             approved_manifest = excluded.approved_manifest, \
             approved_surface = excluded.approved_surface, pending_hash = excluded.pending_hash, \
             pending_manifest = excluded.pending_manifest, pending_diff = excluded.pending_diff, \
             pending_origin = excluded.pending_origin, \
             revision = plugin_state.revision + 1, updated_at = excluded.updated_at \
             RETURNING revision",
        );
        let revision: i64 = sql
            .query()
            .fetch_one(self.pool())
            .await?
            .try_get("revision")?;
        self.announce_plugin_change(&record.id).await?;
        Ok(revision)
    }

    /// Wakes the other replicas' [`PluginChanges`] (PostgreSQL; nothing on SQLite, where one
    /// process owns the file and the re-read suffices).
    async fn announce_plugin_change(&self, id: &str) -> Result<()> {
        if self.backend() == Backend::Postgres {
            // pg_notify returns void, which the Any driver cannot decode: select a number instead.
            sqlx::query("SELECT 1 AS n FROM (SELECT pg_notify($1, $2)) AS notified")
                .bind(PLUGIN_CHANNEL)
                .bind(id.to_string())
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    /// Every plugin's id and revision, by id.
    pub async fn plugin_revisions(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT id, revision FROM plugin_state ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("revision")?)))
            .collect()
    }

    /// `id`'s shared state, if any was saved.
    pub async fn plugin_record(&self, id: &str) -> Result<Option<PluginRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM plugin_state WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(record_of).transpose()
    }

    /// Every plugin's shared state, by id.
    pub async fn plugin_records(&self) -> Result<Vec<PluginRecord>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM plugin_state ORDER BY id"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(record_of).collect()
    }

    /// Remembers that the fleet installed or held `source_hash` with a manifest hashing to
    /// `manifest_hash`, as plugin `id`.
    pub async fn record_plugin_seen(
        &self,
        source_hash: &str,
        manifest_hash: &str,
        id: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO plugin_seen (source_hash, manifest_hash, plugin_id, seen_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (source_hash, manifest_hash) DO NOTHING",
        )
        .bind(source_hash.to_string())
        .bind(manifest_hash.to_string())
        .bind(id.to_string())
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// True when the fleet has seen `source_hash` with that manifest (with any manifest when
    /// `manifest_hash` is `None`).
    pub async fn plugin_seen(
        &self,
        source_hash: &str,
        manifest_hash: Option<&str>,
    ) -> Result<bool> {
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM plugin_seen WHERE source_hash = ");
        sql.bind(source_hash);
        if let Some(m) = manifest_hash {
            sql.push(" AND manifest_hash = ").bind(m);
        }
        let n: i64 = sql.query().fetch_one(self.pool()).await?.try_get("n")?;
        Ok(n > 0)
    }

    /// Listens for plugin changes announced by any replica: `None` on SQLite (no
    /// notifications; callers re-read periodically).
    pub async fn listen_plugin_changes(&self) -> Result<Option<PluginChanges>> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let url = self.pool().connect_options().database_url.to_string();
        let mut listener = PgListener::connect(&url).await?;
        listener.listen(PLUGIN_CHANNEL).await?;
        Ok(Some(PluginChanges { listener }))
    }
}

/// Notifications of plugin changes (PostgreSQL `LISTEN`); reconnects by itself when the
/// connection drops.
pub struct PluginChanges {
    listener: PgListener,
}

impl std::fmt::Debug for PluginChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PluginChanges")
    }
}

impl PluginChanges {
    /// Waits for the next change; the id of the plugin that changed.
    pub async fn next(&mut self) -> Result<String> {
        Ok(self.listener.recv().await?.payload().to_string())
    }
}

fn record_of(r: &AnyRow) -> Result<PluginRecord> {
    let version = |hash: &str, manifest: &str| -> Result<Option<StoredVersion>> {
        let hash: Option<String> = r.try_get(hash)?;
        let manifest: Option<String> = r.try_get(manifest)?;
        Ok(hash
            .zip(manifest)
            .map(|(source_hash, manifest)| StoredVersion {
                source_hash,
                manifest,
            }))
    };
    let pending = match version("pending_hash", "pending_manifest")? {
        Some(version) => Some(StoredPending {
            version,
            diff: r
                .try_get::<Option<String>, _>("pending_diff")?
                .unwrap_or_default(),
            origin: r
                .try_get::<Option<String>, _>("pending_origin")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(PluginRecord {
        id: r.try_get("id")?,
        current: version("current_hash", "current_manifest")?,
        previous: version("previous_hash", "previous_manifest")?,
        enabled: get_bool(r, "enabled")?,
        approved_manifest: r.try_get("approved_manifest")?,
        approved_surface: r.try_get("approved_surface")?,
        pending,
        revision: r.try_get("revision")?,
    })
}
