//! The engine handle: the store, the connectors, metrics, settings, this replica's identity,
//! and one lease per sync config (`lease`: across replicas on one database) so a config's
//! webhook, poll and outbox work never interleave (a webhook for our own create waits until
//! the mapping is written, and never makes a twin).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use elder_sync_runtime::{ConnectorSettings, LoadedConnector};
use elder_sync_store::{InboxWriter, ResolvedConfig, Store, StoreError};
use elder_sync_telemetry::Metrics;
use serde_json::{Map, Value};
use tokio::sync::Notify;

use crate::error::EngineError;
use crate::gates::KeptGates;
use crate::lease::{self, ConfigLease};
use crate::pause::RateLimitPauses;
use crate::replica::Replica;
use crate::resolver::Strategy;
use crate::webhook_health::{HealthPolicy, WebhookHealth};
use elder_sync_runtime::ConnectorRegistry;
use elder_sync_store::{load_health, save_health};

/// Engine settings (from the service's environment).
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// The URL platforms reach this host at; webhook callback URLs are
    /// `{public_url}/api/v1/webhooks/{config_id}` (Trello signs it).
    pub public_url: Option<String>,
    /// The longest a rate-limit answer is waited out inside one run; longer waits end the
    /// run (cursor kept) and the next run resumes.
    pub max_rate_limit_wait: Duration,
    /// Webhook health thresholds.
    pub health: HealthPolicy,
    /// Attempts before an inbox or outbox item is parked as `error`.
    pub max_attempts: i64,
    /// Page size cap for batch-fallback runs (`SYNC_BATCH_FALLBACK_SIZE`); a config's own
    /// `batch_size` applies when it is smaller.
    pub batch_fallback_size: u32,
    /// How long completed inbox, outbox and history rows are kept (`ELDER_RETENTION_DAYS`);
    /// failed and parked rows are kept until handled.
    pub retention: Duration,
    /// Webhook deliveries worked at once (`ELDER_INBOX_WORKERS`): that many inbox workers,
    /// each working one config's batch at a time; within a batch the deliveries of
    /// different items are parsed side by side, and on PostgreSQL applied side by side too.
    /// One item's deliveries are always applied in the order they arrived.
    pub inbox_workers: usize,
}

/// How long a claimed inbox or outbox row stays invisible to other workers without renewal:
/// the claimer renews it while its batch runs (`lease::renew_claims`), so a replica that dies
/// mid-claim gives its rows back within this long.
pub const CLAIM_LEASE: Duration = crate::lease::CONFIG_LEASE;

/// The default number of inbox workers (`ELDER_INBOX_WORKERS`).
pub const DEFAULT_INBOX_WORKERS: usize = 4;

/// How long [`SyncEngine::try_lock_config`] waits for this process's own work on a config:
/// a finished run releases its lease in one statement, so a short wait covers it.
pub const LOCAL_RELEASE_GRACE: Duration = Duration::from_millis(250);

/// The default retention of completed work: 14 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            public_url: None,
            max_rate_limit_wait: Duration::from_secs(120),
            health: HealthPolicy::default(),
            max_attempts: 8,
            batch_fallback_size: 100,
            retention: DEFAULT_RETENTION,
            inbox_workers: DEFAULT_INBOX_WORKERS,
        }
    }
}

/// Shared engine state; cheap to clone.
#[derive(Clone)]
pub struct SyncEngine {
    /// The database: configs, mappings, resources, inbox, outbox, history.
    pub store: Store,
    /// The loaded connectors, one per platform.
    pub registry: Arc<ConnectorRegistry>,
    /// Where sync, webhook and connector metrics are recorded.
    pub metrics: Metrics,
    /// Timeouts, retry limits, health thresholds and retention, fixed at start-up.
    pub settings: Arc<EngineSettings>,
    /// Wakes the inbox worker when a delivery arrives.
    pub inbox_notify: Arc<Notify>,
    /// Wakes the outbox dispatcher.
    pub outbox_notify: Arc<Notify>,
    /// Configs whose platform asked to wait (rate limits): their work waits (`pause`).
    pub rate_limits: RateLimitPauses,
    /// This process among the replicas on the database (id generated at start).
    pub replica: Arc<Replica>,
    /// Writes webhook deliveries to the inbox, many per transaction (group commit).
    pub inbox_writer: InboxWriter,
    /// Configs' webhook gates kept in memory between deliveries (`gates`).
    pub gates: KeptGates,
    locks: Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
    /// Serialises read-modify-write of webhook health (concurrent deliveries).
    health_lock: Arc<tokio::sync::Mutex<()>>,
}

impl SyncEngine {
    /// A new engine over `store` and `registry`.
    pub fn new(
        store: Store,
        registry: Arc<ConnectorRegistry>,
        metrics: Metrics,
        settings: EngineSettings,
    ) -> SyncEngine {
        SyncEngine {
            inbox_writer: InboxWriter::new(store.clone()),
            gates: KeptGates::default(),
            store,
            registry,
            metrics,
            settings: Arc::new(settings),
            inbox_notify: Arc::new(Notify::new()),
            outbox_notify: Arc::new(Notify::new()),
            rate_limits: RateLimitPauses::default(),
            replica: Arc::new(Replica::generate()),
            locks: Arc::default(),
            health_lock: Arc::default(),
        }
    }

    /// Updates a config's stored webhook health with `f`, one update at a time, so
    /// concurrent deliveries never lose a count.
    pub async fn update_health(
        &self,
        config_id: i64,
        f: impl FnOnce(&mut WebhookHealth),
    ) -> Result<WebhookHealth, StoreError> {
        let _guard = self.health_lock.lock().await;
        let mut health = load_health(&self.store, config_id).await?;
        f(&mut health);
        save_health(&self.store, config_id, &health).await?;
        Ok(health)
    }

    /// Serialises work on one config across every replica on the database: waits for the
    /// config's lease, renewed until the returned guard drops.
    pub async fn lock_config(&self, config_id: i64) -> ConfigLease {
        lease::acquire(
            self,
            self.local_lock(config_id).lock_owned().await,
            config_id,
        )
        .await
    }

    /// The config's lease when nobody holds it now (in this process or another replica);
    /// `None` otherwise. It waits only [`LOCAL_RELEASE_GRACE`] for work of this process, so
    /// a run that has just finished (its lease is released by a spawned task) does not make
    /// the config look busy, and never waits on another replica.
    pub async fn try_lock_config(&self, config_id: i64) -> Option<ConfigLease> {
        let queue = self.local_lock(config_id).lock_owned();
        let local = tokio::time::timeout(LOCAL_RELEASE_GRACE, queue)
            .await
            .ok()?;
        lease::try_acquire(self, local, config_id).await
    }

    /// The in-process queue of a config's work.
    fn local_lock(&self, config_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().expect("config locks poisoned");
        locks.entry(config_id).or_default().clone()
    }

    /// The same engine speaking as `replica` (e.g. the identity kept in the data directory).
    pub fn with_replica(mut self, replica: Replica) -> SyncEngine {
        self.replica = Arc::new(replica);
        self
    }

    /// The connector serving a config's platform.
    pub fn connector_for(&self, rc: &ResolvedConfig) -> Result<Arc<LoadedConnector>, EngineError> {
        Ok(self.registry.get(rc.config.platform.as_str())?)
    }

    /// The callback URL a platform is told to call for `config_id`.
    pub fn callback_url(&self, config_id: i64) -> Option<String> {
        self.settings
            .public_url
            .as_ref()
            .map(|u| format!("{}/api/v1/webhooks/{config_id}", u.trim_end_matches('/')))
    }
}

/// The connector-facing configuration of a resolved config: its settings as text plus
/// its secrets, marked as such (the runtime's `ConnectorSettings::split` withholds them
/// from the guest whatever the connector declares, and applies them at egress only).
/// `status_map` reaches the connector with its `open`/`closed` entries only: its status
/// names are the host's to translate (`terms`).
pub fn connector_settings(rc: &ResolvedConfig) -> ConnectorSettings {
    ConnectorSettings::from_settings(&connector_facing(&rc.settings))
        .with_secrets(rc.secrets.clone())
}

/// `settings` with the host's entries of `status_map` left out.
fn connector_facing(settings: &Map<String, Value>) -> std::borrow::Cow<'_, Map<String, Value>> {
    let key = elder_sync_model::STATUS_MAP_KEY;
    let Some(map) = settings.get(key) else {
        return std::borrow::Cow::Borrowed(settings);
    };
    let parsed = match map {
        Value::String(s) => serde_json::from_str::<Value>(s).ok(),
        other => Some(other.clone()),
    };
    let states: Map<String, Value> = parsed
        .as_ref()
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter(|(k, _)| matches!(k.as_str(), "open" | "closed"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut out = settings.clone();
    if states.is_empty() {
        out.remove(key);
    } else {
        out.insert(key.to_string(), Value::Object(states));
    }
    std::borrow::Cow::Owned(out)
}

/// The config's conflict strategy (`config_json.conflict_strategy`, checked by the store on
/// every write; default last-modified-wins).
pub fn strategy_of(rc: &ResolvedConfig) -> Strategy {
    rc.settings
        .get(elder_sync_model::CONFLICT_STRATEGY_KEY)
        .and_then(Value::as_str)
        .and_then(|s| Strategy::parse(s).ok())
        .unwrap_or_default()
}
