//! Storage for Elder Sync: sqlx on SQLite (embedded default, WAL) and PostgreSQL, the sync
//! tables (the engine's too: webhook inbox, polling cursors, webhook health, create
//! reservations; no other crate runs SQL), Elder's own resources with an outbox, API
//! tokens, secrets encrypted at rest, comments on Elder's issues and their mappings, and the plugin state the replicas share.
//!
//! Open with [`Store::open`] (`sqlite://...`, a bare file path, or `postgres://...`); the
//! migrations under `migrations/<engine>` are applied on open. Secrets are encrypted with
//! ChaCha20-Poly1305 keyed by `ELDER_SECRET_KEY` (base64 of 32 bytes).

mod comment_mappings;
mod comments;
mod configs;
mod conflicts;
mod counts;
mod crypto;
mod cursors;
mod db;
mod dead_letters;
mod error;
mod history;
mod identities;
mod imports;
mod inbox;
mod inbox_writer;
mod leases;
mod links;
mod mappings;
mod outbox;
mod page;
mod platform;
mod plugin_state;
mod progress;
mod readiness;
mod replicas;
mod reservations;
mod resources;
mod retention;
mod secrets;
mod serde_util;
mod status;
mod store;
mod time;
mod tokens;
mod trust;
mod webhook_gate;
mod webhook_health;
mod webhook_secret;

#[cfg(feature = "testing")]
pub mod testing;

pub use comment_mappings::{CommentMapping, CommentMappingWrite};
pub use comments::{Comment, CommentPatch, ELDER_ORIGIN, ImportedComment, NewComment};
pub use configs::{NewSyncConfig, ResolvedConfig, SyncConfig, SyncConfigPatch, WrittenConfig};
pub use conflicts::{Conflict, ConflictType, NewConflict, ResolutionStrategy};
pub use crypto::{SECRET_KEY_ENV, SecretBox};
pub use cursors::{load_cursor, save_cursor};
pub use db::Backend;
pub use dead_letters::{DeadLetter, DeadLetterCounts, DeadLetterFilter, DeadLetterId, WorkQueue};
pub use error::{Result, StoreError};
pub use history::{HistoryEntry, HistoryFilter, NewHistory};
pub use identities::{Identity, IdentityPatch, NewIdentity};
pub use inbox::{
    InboxEntry, InboxInsert, claim_inbox, claim_inbox_of, complete_inbox, complete_inbox_many,
    configs_with_due_inbox, fail_inbox, inbox_depth, insert_inbox, pending_inbox_by_config,
};
pub use inbox_writer::{GROUP_MAX, InboxWriter};
pub use links::{
    open_conflict_types, rename_external_id, repoint_mapping, unresolved_conflicts_of,
};
pub use mappings::{Mapping, MappingFilter, MappingUpsert, SyncMethod, SyncStatus};
pub use outbox::{OutboxEntry, OutboxOperation, OutboxStatus};
pub use page::{PageRequest, Paged};
pub use platform::{
    BATCH_SIZE_RANGE, ConfigRequirements, PLATFORM_ID_MAX, PlatformId, RequiredKey,
    SYNC_INTERVAL_RANGE,
};
pub use plugin_state::{PLUGIN_CHANNEL, PluginChanges, PluginRecord, StoredPending, StoredVersion};
pub use progress::{PROGRESS_SEEN_WITHIN, RunProgress};
pub use replicas::{REPLICA_SEEN_WITHIN, ReplicaSeen};
pub use reservations::{
    RESERVED_PREFIX, find_reservation, has_reservations, is_reserved, placeholder,
};
pub use resources::{NewResource, Resource, ResourceFilter, ResourcePatch, ResourceStatus};
pub use retention::Pruned;
pub use secrets::{DEFAULT_ENV_PREFIX, SecretSource, SecretStatus, is_secret_key};
pub use serde_util::double_option;
pub use status::{ConfigSyncStatus, SyncOverview, WebhookStatus};
pub use store::Store;
pub use tokens::{ApiToken, Role};
pub use trust::WebhookTrust;
pub use webhook_gate::WebhookGate;
pub use webhook_health::{load_all_health, load_health, save_health};
pub use webhook_secret::{
    GENERATED_SECRET_BYTES, MIN_WHSEC_KEY_BYTES, WebhookSecretForm, check_webhook_secret,
    generate_webhook_secret,
};
