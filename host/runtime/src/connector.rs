//! [`LoadedConnector`]: a described, linked connector and its typed calls (the comment
//! calls of contract 1.1 included; a 1.0 component is asked for none). Every call gets a
//! fresh store, the config entries [`ConnectorSettings::split`] lets it see, and an
//! egress policy built from `describe` and the full config; a batch of `parse-webhook`
//! calls of one config shares one store (see the sandbox's `batch`).

use std::collections::BTreeSet;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use elder_sync_model::{
    Change, Comment, ConnectorError, ConnectorInfo, Item, ItemPatch, Kind, NewItem, Page,
};
use wasmtime::Store;

use crate::bindings::types as t;
use crate::bindings::{ConnectorExport, comments};
use crate::connector_settings::ConnectorSettings;
use crate::convert;
use crate::egress::policy::{EgressPolicy, Network};
use crate::error::CallError;
use crate::sandbox::Sandbox;
use crate::state::HostState;

/// A loaded connector. Send + Sync; calls may run concurrently, each in its own store.
pub struct LoadedConnector {
    sandbox: Sandbox,
    info: ConnectorInfo,
    /// What `comment-kinds` said at load (empty for a 1.0 component).
    comment_kinds: Vec<Kind>,
    source_hash: String,
    /// Keys any approved version of this connector declared secret: withheld from this
    /// version too, whatever its own `describe` says.
    ever_secret: RwLock<BTreeSet<String>>,
}

impl std::fmt::Debug for LoadedConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedConnector")
            .field("id", &self.info.id)
            .field("version", &self.info.version)
            .field("source_hash", &self.source_hash)
            .finish()
    }
}

type GuestResult<T> = wasmtime::Result<Result<T, t::ConnectorError>>;

/// One webhook delivery handed to `parse-webhook`: its headers and raw body.
pub type WebhookDelivery = (Vec<(String, String)>, Vec<u8>);

impl LoadedConnector {
    pub(crate) fn new(
        sandbox: Sandbox,
        info: ConnectorInfo,
        comment_kinds: Vec<Kind>,
        source_hash: String,
    ) -> Self {
        LoadedConnector {
            sandbox,
            info,
            comment_kinds,
            source_hash,
            ever_secret: RwLock::default(),
        }
    }

    /// Withholds these keys from the guest as well (keys earlier approved versions
    /// declared secret); the set only grows.
    pub fn withhold_keys(&self, keys: impl IntoIterator<Item = String>) {
        let mut set = self.ever_secret.write().unwrap_or_else(|p| p.into_inner());
        set.extend(keys);
    }

    /// The keys withheld beyond this version's own secret flags and the config's secrets.
    pub fn withheld_keys(&self) -> BTreeSet<String> {
        self.ever_secret
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// What `describe` said.
    pub fn info(&self) -> &ConnectorInfo {
        &self.info
    }

    /// The kinds whose comments the connector syncs, as `comment-kinds` said at load;
    /// empty for a 1.0 component (asked nothing: it has no comments).
    pub fn comment_kinds(&self) -> &[Kind] {
        &self.comment_kinds
    }

    /// SHA-256 (hex) of the component bytes.
    pub fn source_hash(&self) -> &str {
        &self.source_hash
    }

    /// What the guest sees of `cfg` (its entries) and the egress policy for its calls.
    fn prepare(&self, cfg: &ConnectorSettings) -> (Vec<t::ConfigEntry>, EgressPolicy) {
        let split = cfg.split(&self.info, &self.withheld_keys());
        let entries: Vec<t::ConfigEntry> = split
            .guest
            .into_iter()
            .map(|(key, value)| t::ConfigEntry { key, value })
            .collect();
        let shared = self.sandbox.shared();
        let network = Network {
            allow_plain_http: shared.cfg.allow_plain_http,
            allow_private: shared.cfg.allow_private_networks,
        };
        let policy =
            EgressPolicy::new(&self.info, cfg.clone(), network).redacting(split.withheld_values);
        (entries, policy)
    }

    async fn invoke<T>(
        &self,
        function: &str,
        cfg: &ConnectorSettings,
        f: impl AsyncFnOnce(&mut Store<HostState>, ConnectorExport<'_>, &t::Config) -> GuestResult<T>,
    ) -> Result<T, CallError> {
        let started = Instant::now();
        let (entries, policy) = self.prepare(cfg);
        let result = self
            .sandbox
            .run(policy, async |store, exports| {
                f(store, exports.connector(), &entries).await
            })
            .await;
        let result = flatten(result);
        self.observe(function, &result, started.elapsed());
        result
    }

    fn observe<T>(&self, function: &str, result: &Result<T, CallError>, took: Duration) {
        let observer = &self.sandbox.shared().observer;
        let id = self.info.id.as_str();
        let outcome = match result {
            Ok(_) => "ok",
            Err(e) => e.outcome(),
        };
        if let Err(CallError::Trap { kind, message }) = result {
            tracing::warn!(connector = %id, function, kind = %kind, "connector trapped: {message}");
            observer.trapped(id, *kind);
        }
        observer.call_finished(id, function, outcome, took.as_secs_f64());
    }

    /// Checks a configuration without I/O.
    pub async fn validate_config(&self, cfg: &ConnectorSettings) -> Result<(), CallError> {
        self.invoke("validate_config", cfg, async |s, g, c| {
            g.call_validate_config(s, c).await
        })
        .await
    }

    /// Checks that the platform answers; returns what it reached.
    pub async fn test_connection(&self, cfg: &ConnectorSettings) -> Result<String, CallError> {
        self.invoke("test_connection", cfg, async |s, g, c| {
            g.call_test_connection(s, c).await
        })
        .await
    }

    /// Lists changes of `kind` since `cursor`.
    pub async fn list_changes(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Page, CallError> {
        let kind = convert::kind_to_wit(kind);
        self.invoke("list_changes", cfg, async |s, g, c| {
            g.call_list_changes(s, c, kind, cursor.as_deref(), page_size)
                .await
        })
        .await
        .map(convert::page_from_wit)
    }

    /// Reads one item.
    pub async fn get(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        id: &str,
    ) -> Result<Item, CallError> {
        let kind = convert::kind_to_wit(kind);
        self.invoke("get", cfg, async |s, g, c| g.call_get(s, c, kind, id).await)
            .await
            .map(convert::item_from_wit)
    }

    /// Creates an item.
    pub async fn create(&self, cfg: &ConnectorSettings, item: NewItem) -> Result<Item, CallError> {
        let item = convert::new_item_to_wit(item);
        self.invoke("create", cfg, async |s, g, c| {
            g.call_create(s, c, &item).await
        })
        .await
        .map(convert::item_from_wit)
    }

    /// Applies a partial update.
    pub async fn update(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        id: &str,
        patch: ItemPatch,
    ) -> Result<Item, CallError> {
        let kind = convert::kind_to_wit(kind);
        let patch = convert::patch_to_wit(patch);
        self.invoke("update", cfg, async |s, g, c| {
            g.call_update(s, c, kind, id, &patch).await
        })
        .await
        .map(convert::item_from_wit)
    }

    /// Closes an item.
    pub async fn close(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        id: &str,
    ) -> Result<Item, CallError> {
        let kind = convert::kind_to_wit(kind);
        self.invoke("close", cfg, async |s, g, c| {
            g.call_close(s, c, kind, id).await
        })
        .await
        .map(convert::item_from_wit)
    }

    /// Reopens an item.
    pub async fn reopen(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        id: &str,
    ) -> Result<Item, CallError> {
        let kind = convert::kind_to_wit(kind);
        self.invoke("reopen", cfg, async |s, g, c| {
            g.call_reopen(s, c, kind, id).await
        })
        .await
        .map(convert::item_from_wit)
    }

    /// Deletes an item.
    pub async fn delete(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        id: &str,
    ) -> Result<(), CallError> {
        let kind = convert::kind_to_wit(kind);
        self.invoke("delete", cfg, async |s, g, c| {
            g.call_delete(s, c, kind, id).await
        })
        .await
    }

    /// Translates an authenticated webhook delivery into change events.
    pub async fn parse_webhook(
        &self,
        cfg: &ConnectorSettings,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<Vec<Change>, CallError> {
        self.invoke("parse_webhook", cfg, async |s, g, c| {
            g.call_parse_webhook(s, c, &headers, &body).await
        })
        .await
        .map(changes_from_wit)
    }

    /// Translates many authenticated deliveries of one config into change events: one
    /// result per delivery, in order, each the same as [`LoadedConnector::parse_webhook`]
    /// would give. The deliveries share one instance (`parse-webhook` is pure), so
    /// instantiation is paid once; each still has the whole call deadline, and a delivery
    /// that traps or exhausts a limit fails alone (the ones after it run again in fresh
    /// instances). Never mix configs in one batch.
    pub async fn parse_webhook_batch(
        &self,
        cfg: &ConnectorSettings,
        deliveries: Vec<WebhookDelivery>,
    ) -> Vec<Result<Vec<Change>, CallError>> {
        let (entries, policy) = self.prepare(cfg);
        let results = self
            .sandbox
            .run_parse_batch(&policy, &entries, &deliveries)
            .await;
        results
            .into_iter()
            .map(|(result, took)| {
                let result = flatten(result).map(changes_from_wit);
                self.observe("parse_webhook", &result, took);
                result
            })
            .collect()
    }
}

/// The comment calls of contract 1.1. A kind outside [`LoadedConnector::comment_kinds`]
/// (every kind, for a 1.0 component) is answered `unsupported` without instantiating.
impl LoadedConnector {
    async fn invoke_comments<T>(
        &self,
        function: &str,
        operation: &str,
        cfg: &ConnectorSettings,
        kind: Kind,
        f: impl AsyncFnOnce(&mut Store<HostState>, &comments::Guest, &t::Config) -> GuestResult<T>,
    ) -> Result<T, CallError> {
        if !self.comment_kinds.contains(&kind) {
            return Err(comments_unsupported(operation, kind));
        }
        let started = Instant::now();
        let (entries, policy) = self.prepare(cfg);
        let result = self
            .sandbox
            .run(policy, async |store, exports| match exports.comments() {
                Some(guest) => f(store, guest, &entries).await,
                None => Ok(Err(t::ConnectorError::Unsupported(format!(
                    "{operation} for {kind}"
                )))),
            })
            .await;
        let result = flatten(result);
        self.observe(function, &result, started.elapsed());
        result
    }

    /// Every comment of one item, oldest first.
    pub async fn list_comments(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        item_id: &str,
    ) -> Result<Vec<Comment>, CallError> {
        let wit_kind = convert::kind_to_wit(kind);
        self.invoke_comments(
            "list_comments",
            "list-comments",
            cfg,
            kind,
            async |s, g, c| g.call_list_comments(s, c, wit_kind, item_id).await,
        )
        .await
        .map(|list| list.into_iter().map(convert::comment_from_wit).collect())
    }

    /// Adds a comment with a Markdown body; returns it as stored.
    pub async fn create_comment(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        item_id: &str,
        body: &str,
    ) -> Result<Comment, CallError> {
        let wit_kind = convert::kind_to_wit(kind);
        self.invoke_comments(
            "create_comment",
            "create-comment",
            cfg,
            kind,
            async |s, g, c| g.call_create_comment(s, c, wit_kind, item_id, body).await,
        )
        .await
        .map(convert::comment_from_wit)
    }

    /// Replaces a comment's Markdown body; returns it as stored.
    pub async fn update_comment(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        item_id: &str,
        comment_id: &str,
        body: &str,
    ) -> Result<Comment, CallError> {
        let wit_kind = convert::kind_to_wit(kind);
        self.invoke_comments(
            "update_comment",
            "update-comment",
            cfg,
            kind,
            async |s, g, c| {
                g.call_update_comment(s, c, wit_kind, item_id, comment_id, body)
                    .await
            },
        )
        .await
        .map(convert::comment_from_wit)
    }

    /// Deletes a comment; one already gone is not an error.
    pub async fn delete_comment(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        item_id: &str,
        comment_id: &str,
    ) -> Result<(), CallError> {
        let wit_kind = convert::kind_to_wit(kind);
        self.invoke_comments(
            "delete_comment",
            "delete-comment",
            cfg,
            kind,
            async |s, g, c| {
                g.call_delete_comment(s, c, wit_kind, item_id, comment_id)
                    .await
            },
        )
        .await
    }
}

/// The answer to a comment call the connector was not asked: the same `unsupported`
/// the SDK gives for an undeclared kind (`list-comments for issue`).
fn comments_unsupported(operation: &str, kind: Kind) -> CallError {
    CallError::Connector(ConnectorError::Unsupported(format!(
        "{operation} for {kind}"
    )))
}

/// A guest's `connector-error` answer becomes [`CallError::Connector`].
fn flatten<T>(result: Result<Result<T, t::ConnectorError>, CallError>) -> Result<T, CallError> {
    match result {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(CallError::Connector(convert::error_from_wit(e))),
        Err(e) => Err(e),
    }
}

fn changes_from_wit(changes: Vec<t::Change>) -> Vec<Change> {
    changes.into_iter().map(convert::change_from_wit).collect()
}
