//! Sync configurations: their types, validation on write, secret sealing, CRUD and resolution.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

use crate::Store;
use crate::db::{Sql, get_bool};
use crate::error::{Result, StoreError};
use crate::platform::{
    ConfigRequirements, PlatformId, check_batch_size, check_conflict_strategy, check_interval,
    check_status_map,
};
use crate::secrets::{SealedSecret, SecretInput, SecretStatus, is_secret_key, seal_config};
use crate::serde_util::double_option;
use crate::time::{from_ms, from_ms_opt, now_ms};
use crate::webhook_secret::{
    WebhookSecretForm, check_webhook_secret, generate_webhook_secret, require_secret,
};

/// A sync configuration as the API shows it: secrets appear only as [`SecretStatus`].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SyncConfig {
    /// Row id of the sync config (`sync_configs.id`).
    pub id: i64,
    /// The config's unique name, chosen by the operator.
    pub name: String,
    /// The platform it syncs with: the platform id of an installed connector.
    pub platform: PlatformId,
    /// False when the config is switched off: it is neither polled nor fed by webhooks.
    pub enabled: bool,
    /// Polling interval, seconds.
    pub sync_interval: i64,
    /// Whether the config takes part in the batch fallback sync.
    pub batch_fallback_enabled: bool,
    /// Items per batch page.
    pub batch_size: i64,
    /// Whether Elder items created in the project are created on the platform too (platform
    /// items are imported into Elder whatever this says).
    pub two_way_create: bool,
    /// Whether the config receives webhooks (it then always has a webhook secret).
    pub webhook_enabled: bool,
    /// Whether a webhook secret is set (never its value).
    pub webhook_secret: Option<SecretStatus>,
    /// Non-secret settings.
    #[schema(value_type = Object)]
    pub config_json: Map<String, Value>,
    /// Secret settings: which are set, never their values.
    pub secrets: BTreeMap<String, SecretStatus>,
    /// The Elder project this config is linked to.
    pub elder_project_id: Option<i64>,
    /// When its last poll (first, scheduled or manual) finished (UTC); `None`: never polled.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// When its last batch fallback sync finished (UTC); `None`: never.
    pub last_batch_sync_at: Option<DateTime<Utc>>,
    /// When the config was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When the config last changed (UTC).
    pub updated_at: DateTime<Utc>,
    #[serde(skip)]
    pub(crate) sealed: BTreeMap<String, SealedSecret>,
    #[serde(skip)]
    pub(crate) sealed_webhook: Option<SealedSecret>,
}

impl SyncConfig {
    /// Whether Elder resource `r` belongs to what this config syncs: its project itself,
    /// the project's issues, milestones and labels, and milestones and labels without a
    /// project (shared by every config).
    pub fn covers(&self, r: &crate::Resource) -> bool {
        match (self.elder_project_id, r.kind) {
            (Some(p), elder_sync_model::Kind::Project) => p == r.id,
            (Some(p), kind) => {
                r.project_id == Some(p)
                    || (r.project_id.is_none() && kind != elder_sync_model::Kind::Issue)
            }
            (None, _) => false,
        }
    }

    /// Names of secrets (`webhook_secret` included) whose environment variable is missing.
    pub fn unresolved_secret_refs(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .secrets
            .iter()
            .filter(|(_, s)| !s.resolved)
            .map(|(k, _)| k.clone())
            .collect();
        if self.webhook_secret.as_ref().is_some_and(|s| !s.resolved) {
            out.push("webhook_secret".into());
        }
        out
    }
}

fn yes() -> bool {
    true
}
fn default_interval() -> i64 {
    300
}
fn default_batch() -> i64 {
    100
}

/// The body of a create request. Secret keys in `config_json` (and `webhook_secret`) take a
/// string or `{"env": "VARIABLE"}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSyncConfig {
    /// Unique; 1 to 200 characters, not blank.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The platform id of an installed, enabled connector (e.g. `github`).
    pub platform: String,
    /// Whether the config is switched on (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Seconds between polls, 30 to 86400 (default 300).
    #[serde(default = "default_interval")]
    #[schema(minimum = 30, maximum = 86400)]
    pub sync_interval: i64,
    /// Whether the config takes part in the batch fallback sync (default true).
    #[serde(default = "yes")]
    pub batch_fallback_enabled: bool,
    /// Items per batch page, 1 to 1000 (default 100).
    #[serde(default = "default_batch")]
    #[schema(minimum = 1, maximum = 1000)]
    pub batch_size: i64,
    #[serde(default)]
    /// Elder -> platform creation only: when on, an Elder item created in the config's project
    /// is created on the platform too. Off by default. Whatever it says, platform items the
    /// config has not mapped are imported into the config's Elder project (the first run
    /// brings the platform's existing items; later platform creates keep arriving).
    pub two_way_create: bool,
    /// Whether the config receives webhooks (default true).
    #[serde(default = "yes")]
    pub webhook_enabled: bool,
    #[serde(default)]
    /// A string, or `{"env": "VARIABLE"}`; generated when webhooks are on and none is given.
    #[schema(value_type = Option<Value>)]
    pub webhook_secret: Option<Value>,
    #[serde(default)]
    /// The connector's settings (keys from its declared config schema; secret keys take a
    /// value or `{"env": "VARIABLE"}`), plus the engine's `conflict_strategy`: how a field
    /// changed on both sides is settled, one of `last_modified_wins` (the default),
    /// `elder_wins`, `external_wins`, `field_merge`, `manual`. Any other strategy is 422
    /// naming `config_json.conflict_strategy` and listing the allowed values.
    #[schema(value_type = Object)]
    pub config_json: Map<String, Value>,
    /// Row id of the Elder project to link; `None` for none.
    #[serde(default)]
    pub elder_project_id: Option<i64>,
}

/// The body of a PATCH: only the fields given change. In `config_json`, a key set to `null`
/// is removed; other keys are replaced.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncConfigPatch {
    /// Unique; 1 to 200 characters, not blank.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// The platform id of an installed, enabled connector.
    pub platform: Option<String>,
    /// Switch the config on or off.
    pub enabled: Option<bool>,
    /// Seconds between polls, 30 to 86400.
    #[schema(minimum = 30, maximum = 86400)]
    pub sync_interval: Option<i64>,
    /// Whether the config takes part in the batch fallback sync.
    pub batch_fallback_enabled: Option<bool>,
    /// Items per batch page, 1 to 1000.
    #[schema(minimum = 1, maximum = 1000)]
    pub batch_size: Option<i64>,
    /// Elder -> platform creation on or off (platform items are imported either way).
    pub two_way_create: Option<bool>,
    /// Whether the config receives webhooks (turning them on needs a webhook secret).
    pub webhook_enabled: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    /// A string, or `{"env": "VARIABLE"}`; `null` removes it (with webhooks off).
    #[schema(value_type = Option<Value>)]
    pub webhook_secret: Option<Option<Value>>,
    /// Keys to set (`null` removes one); `conflict_strategy` is checked as on create.
    #[schema(value_type = Option<Object>)]
    pub config_json: Option<Map<String, Value>>,
    /// Project link change: `Some(None)` (JSON `null`) unlinks it.
    #[serde(default, deserialize_with = "double_option")]
    pub elder_project_id: Option<Option<i64>>,
}

/// A config with its secrets in plaintext, for the sync engine only. Never serialised.
#[derive(Clone)]
pub struct ResolvedConfig {
    /// The config as the API shows it.
    pub config: SyncConfig,
    /// Non-secret settings.
    pub settings: Map<String, Value>,
    /// Secret settings, decrypted or read from the environment.
    pub secrets: BTreeMap<String, String>,
    /// The webhook secret in plaintext, decrypted or read from the environment; `None`: none set.
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for ResolvedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedConfig")
            .field("config", &self.config.id)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The validated, sealed form written to the database.
struct ConfigRow {
    name: String,
    platform: PlatformId,
    enabled: bool,
    sync_interval: i64,
    batch_fallback_enabled: bool,
    batch_size: i64,
    two_way_create: bool,
    webhook_enabled: bool,
    webhook_secret: Option<SealedSecret>,
    settings: Map<String, Value>,
    secrets: BTreeMap<String, SealedSecret>,
    elder_project_id: Option<i64>,
}

impl ConfigRow {
    fn validate(&self, requirements: &ConfigRequirements) -> Result<()> {
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(StoreError::invalid("name", "must be 1 to 200 characters"));
        }
        check_interval(self.sync_interval)?;
        check_batch_size(self.batch_size)?;
        check_conflict_strategy(&self.settings)?;
        check_status_map(&self.settings)?;
        require_secret(self.webhook_enabled, self.webhook_secret.is_some())?;
        let mut merged = self.settings.clone();
        for k in self.secrets.keys() {
            merged.insert(k.clone(), Value::String("set".into()));
        }
        requirements.check(&self.platform, &merged)
    }

    fn stored_json(&self) -> Result<String> {
        let mut out = self.settings.clone();
        for (k, s) in &self.secrets {
            out.insert(k.clone(), serde_json::to_value(s)?);
        }
        Ok(Value::Object(out).to_string())
    }

    fn encrypted_count(&self) -> i64 {
        let n = self.secrets.values().filter(|s| s.is_encrypted()).count();
        let w = self
            .webhook_secret
            .as_ref()
            .is_some_and(|s| s.is_encrypted());
        (n + usize::from(w)) as i64
    }
}

fn seal_webhook(v: &Value, store: &Store) -> Result<SealedSecret> {
    check_webhook_secret(v)?;
    SealedSecret::seal(
        &SecretInput::from_json("webhook_secret", v, &store.env_prefix)?,
        store.secret_box.as_ref(),
    )
}

/// A config just written, with the webhook secret the store generated for it (if it did):
/// the only time that value is ever shown.
#[derive(Debug, Clone)]
pub struct WrittenConfig {
    /// The config as stored.
    pub config: SyncConfig,
    /// The webhook secret the store generated, shown this once; `None` when the request gave
    /// one or webhooks are off.
    pub generated_webhook_secret: Option<String>,
}

impl Store {
    /// Like [`Store::create_config`], but checks the config against `requirements` (what
    /// the serving connector's schema requires) and, when webhooks are on and no
    /// `webhook_secret` is given, generates one in `form` and returns it (once).
    pub async fn create_config_generating(
        &self,
        new: &NewSyncConfig,
        form: WebhookSecretForm,
        requirements: &ConfigRequirements,
    ) -> Result<WrittenConfig> {
        let missing = matches!(new.webhook_secret, None | Some(Value::Null));
        if !(new.webhook_enabled && missing) {
            let config = self.insert_config(new, requirements).await?;
            return Ok(WrittenConfig {
                config,
                generated_webhook_secret: None,
            });
        }
        let secret = generate_webhook_secret(form);
        let mut with_secret = new.clone();
        with_secret.webhook_secret = Some(Value::String(secret.clone()));
        let config = self.insert_config(&with_secret, requirements).await?;
        Ok(WrittenConfig {
            config,
            generated_webhook_secret: Some(secret),
        })
    }

    /// Validates, seals secrets and inserts a config. Webhooks on without a
    /// `webhook_secret` is refused (422 naming `webhook_secret`). Which `config_json` keys
    /// the platform requires is not checked here: the store knows no platform's connector
    /// (the API checks them through [`Store::create_config_generating`]).
    pub async fn create_config(&self, new: &NewSyncConfig) -> Result<SyncConfig> {
        self.insert_config(new, &ConfigRequirements::none()).await
    }

    async fn insert_config(
        &self,
        new: &NewSyncConfig,
        requirements: &ConfigRequirements,
    ) -> Result<SyncConfig> {
        let (mut settings, mut secrets) =
            seal_config(&new.config_json, self.secret_box.as_ref(), &self.env_prefix)?;
        requirements.canonicalise(&mut settings, &mut secrets);
        let row = ConfigRow {
            name: new.name.trim().to_string(),
            platform: PlatformId::parse(&new.platform)?,
            enabled: new.enabled,
            sync_interval: new.sync_interval,
            batch_fallback_enabled: new.batch_fallback_enabled,
            batch_size: new.batch_size,
            two_way_create: new.two_way_create,
            webhook_enabled: new.webhook_enabled,
            webhook_secret: match &new.webhook_secret {
                None | Some(Value::Null) => None,
                Some(v) => Some(seal_webhook(v, self)?),
            },
            settings,
            secrets,
            elder_project_id: new.elder_project_id,
        };
        row.validate(requirements)?;
        let now = now_ms();
        let mut sql = Sql::new(
            "INSERT INTO sync_configs (name, platform, enabled, sync_interval, \
             batch_fallback_enabled, batch_size, two_way_create, webhook_enabled, webhook_secret, \
             config_json, encrypted_secrets, elder_project_id, created_at, updated_at) VALUES (",
        );
        bind_row(&mut sql, &row)?;
        sql.push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(") RETURNING *");
        let r = sql
            .query()
            .fetch_one(&self.pool)
            .await
            .map_err(|e| map_config_err(e.into()))?;
        config_from_row(&r)
    }

    /// One config by id.
    pub async fn get_config(&self, id: i64) -> Result<SyncConfig> {
        let r = sqlx::query("SELECT * FROM sync_configs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("sync config {id}")))?;
        config_from_row(&r)
    }

    /// All configs, by id.
    pub async fn list_configs(&self) -> Result<Vec<SyncConfig>> {
        let rows = sqlx::query("SELECT * FROM sync_configs ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(config_from_row).collect()
    }

    /// Applies a partial update; the result is validated as a whole (webhooks on without
    /// a secret is refused; platform-required keys are not checked, see
    /// [`Store::update_config_generating`]).
    pub async fn update_config(&self, id: i64, patch: &SyncConfigPatch) -> Result<SyncConfig> {
        let none = ConfigRequirements::none();
        Ok(self.write_patch(id, patch, None, &none).await?.config)
    }

    /// Like [`Store::update_config`], but checks the result against `requirements` (those
    /// of the platform the patched config targets) and, when the result has webhooks on and
    /// no secret, generates one in `form` and returns it (once).
    pub async fn update_config_generating(
        &self,
        id: i64,
        patch: &SyncConfigPatch,
        form: WebhookSecretForm,
        requirements: &ConfigRequirements,
    ) -> Result<WrittenConfig> {
        self.write_patch(id, patch, Some(form), requirements).await
    }

    async fn write_patch(
        &self,
        id: i64,
        patch: &SyncConfigPatch,
        generate: Option<WebhookSecretForm>,
        requirements: &ConfigRequirements,
    ) -> Result<WrittenConfig> {
        let mut tx = self.pool.begin().await?;
        lock_config(&mut tx, id).await?;
        let r = sqlx::query("SELECT * FROM sync_configs WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let current = config_from_row(&r)?;
        let mut row = self.apply_patch(current, patch, requirements)?;
        requirements.canonicalise(&mut row.settings, &mut row.secrets);
        let mut generated = None;
        if let Some(form) = generate.filter(|_| row.webhook_enabled && row.webhook_secret.is_none())
        {
            let secret = generate_webhook_secret(form);
            row.webhook_secret = Some(seal_webhook(&Value::String(secret.clone()), self)?);
            generated = Some(secret);
        }
        row.validate(requirements)?;
        let mut sql = Sql::new(
            "UPDATE sync_configs SET (name, platform, enabled, sync_interval, \
             batch_fallback_enabled, batch_size, two_way_create, webhook_enabled, webhook_secret, \
             config_json, encrypted_secrets, elder_project_id, updated_at) = (",
        );
        bind_row(&mut sql, &row)?;
        sql.push(", ").bind(now_ms()).push(") WHERE id = ").bind(id);
        sql.push(" RETURNING *");
        let r = sql
            .query()
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| map_config_err(e.into()))?;
        let out = config_from_row(&r)?;
        if out.webhook_enabled {
            clear_disabled_reason(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(WrittenConfig {
            config: out,
            generated_webhook_secret: generated,
        })
    }

    /// The config `cur` with patch `p` applied; alias keys in the patch count as their
    /// canonical keys (`requirements`), so a patch of `org` replaces a stored `owner`.
    fn apply_patch(
        &self,
        cur: SyncConfig,
        p: &SyncConfigPatch,
        requirements: &ConfigRequirements,
    ) -> Result<ConfigRow> {
        let mut settings = cur.config_json;
        let mut secrets = cur.sealed;
        if let Some(changes) = &p.config_json {
            let mut changes = changes.clone();
            requirements.canonicalise(&mut changes, &mut BTreeMap::<String, ()>::new());
            let (set, removed): (Map<String, Value>, Vec<String>) = split_nulls(&changes);
            for k in removed {
                settings.remove(&k);
                secrets.remove(&k);
            }
            let (new_settings, new_secrets) =
                seal_config(&set, self.secret_box.as_ref(), &self.env_prefix)?;
            settings.extend(new_settings);
            secrets.extend(new_secrets);
        }
        let webhook_secret = match &p.webhook_secret {
            None => cur.sealed_webhook,
            Some(None) => None,
            Some(Some(v)) => Some(seal_webhook(v, self)?),
        };
        Ok(ConfigRow {
            name: p.name.clone().map_or(cur.name, |n| n.trim().to_string()),
            platform: match &p.platform {
                Some(s) => PlatformId::parse(s)?,
                None => cur.platform,
            },
            enabled: p.enabled.unwrap_or(cur.enabled),
            sync_interval: p.sync_interval.unwrap_or(cur.sync_interval),
            batch_fallback_enabled: p
                .batch_fallback_enabled
                .unwrap_or(cur.batch_fallback_enabled),
            batch_size: p.batch_size.unwrap_or(cur.batch_size),
            two_way_create: p.two_way_create.unwrap_or(cur.two_way_create),
            webhook_enabled: p.webhook_enabled.unwrap_or(cur.webhook_enabled),
            webhook_secret,
            settings,
            secrets,
            elder_project_id: p.elder_project_id.unwrap_or(cur.elder_project_id),
        })
    }

    /// Deletes a config (its mappings, history and conflicts go with it).
    pub async fn delete_config(&self, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM sync_configs WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("sync config {id}")));
        }
        Ok(())
    }

    /// The config with its secrets in plaintext (for the sync engine; never for the API).
    pub async fn resolve_config(&self, id: i64) -> Result<ResolvedConfig> {
        let config = self.get_config(id).await?;
        let key = self.secret_box.as_ref();
        let mut secrets = BTreeMap::new();
        for (k, s) in &config.sealed {
            secrets.insert(k.clone(), s.resolve(k, key, &self.env_prefix)?);
        }
        let webhook_secret = config
            .sealed_webhook
            .as_ref()
            .map(|s| s.resolve("webhook_secret", key, &self.env_prefix))
            .transpose()?;
        Ok(ResolvedConfig {
            settings: config.config_json.clone(),
            config,
            secrets,
            webhook_secret,
        })
    }

    /// Records a finished sync on the config (`batch` selects `last_batch_sync_at`).
    pub async fn mark_config_synced(&self, id: i64, at: DateTime<Utc>, batch: bool) -> Result<()> {
        let col = if batch {
            "last_batch_sync_at"
        } else {
            "last_sync_at"
        };
        let mut sql = Sql::new(&format!("UPDATE sync_configs SET {col} = "));
        sql.bind(at.timestamp_millis())
            .push(" WHERE id = ")
            .bind(id);
        let done = sql.query().execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("sync config {id}")));
        }
        Ok(())
    }
}

fn split_nulls(m: &Map<String, Value>) -> (Map<String, Value>, Vec<String>) {
    let mut set = Map::new();
    let mut removed = Vec::new();
    for (k, v) in m {
        if v.is_null() {
            removed.push(k.clone());
        } else {
            set.insert(k.clone(), v.clone());
        }
    }
    (set, removed)
}

fn map_config_err(e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict(_) => {
            StoreError::Conflict("a sync config with this name exists".into())
        }
        StoreError::Invalid { field, .. } if field == "reference" => {
            StoreError::invalid("elder_project_id", "no such Elder project")
        }
        e => e,
    }
}

async fn lock_config(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: i64) -> Result<()> {
    let done = sqlx::query("UPDATE sync_configs SET id = id WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("sync config {id}")));
    }
    Ok(())
}

/// Webhooks are on again: the note saying why they were turned off no longer applies.
async fn clear_disabled_reason(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: i64) -> Result<()> {
    sqlx::query("UPDATE webhook_trust SET disabled_reason = NULL WHERE sync_config_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn bind_row(sql: &mut Sql, row: &ConfigRow) -> Result<()> {
    let webhook = row
        .webhook_secret
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    sql.bind(row.name.clone()).push(", ");
    sql.bind(row.platform.as_str()).push(", ");
    sql.bind(row.enabled).push(", ");
    sql.bind(row.sync_interval).push(", ");
    sql.bind(row.batch_fallback_enabled).push(", ");
    sql.bind(row.batch_size).push(", ");
    sql.bind(row.two_way_create).push(", ");
    sql.bind(row.webhook_enabled).push(", ");
    sql.bind(webhook).push(", ");
    sql.bind(row.stored_json()?).push(", ");
    sql.bind(row.encrypted_count()).push(", ");
    sql.bind(row.elder_project_id);
    Ok(())
}

pub(crate) fn config_from_row(r: &AnyRow) -> Result<SyncConfig> {
    let platform: String = r.try_get("platform")?;
    let stored: String = r.try_get("config_json")?;
    let stored: Map<String, Value> = serde_json::from_str(&stored)?;
    let mut settings = Map::new();
    let mut sealed = BTreeMap::new();
    for (k, v) in stored {
        if is_secret_key(&k) {
            sealed.insert(k, serde_json::from_value::<SealedSecret>(v)?);
        } else {
            settings.insert(k, v);
        }
    }
    let webhook: Option<String> = r.try_get("webhook_secret")?;
    let sealed_webhook = webhook
        .map(|w| serde_json::from_str::<SealedSecret>(&w))
        .transpose()?;
    Ok(SyncConfig {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        platform: PlatformId::parse(&platform)
            .map_err(|_| StoreError::Corrupt(format!("platform {platform}")))?,
        enabled: get_bool(r, "enabled")?,
        sync_interval: r.try_get("sync_interval")?,
        batch_fallback_enabled: get_bool(r, "batch_fallback_enabled")?,
        batch_size: r.try_get("batch_size")?,
        two_way_create: get_bool(r, "two_way_create")?,
        webhook_enabled: get_bool(r, "webhook_enabled")?,
        webhook_secret: sealed_webhook.as_ref().map(SealedSecret::status),
        config_json: settings,
        secrets: sealed
            .iter()
            .map(|(k, s)| (k.clone(), s.status()))
            .collect(),
        elder_project_id: r.try_get("elder_project_id")?,
        last_sync_at: from_ms_opt(r.try_get("last_sync_at")?)?,
        last_batch_sync_at: from_ms_opt(r.try_get("last_batch_sync_at")?)?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
        sealed,
        sealed_webhook,
    })
}
