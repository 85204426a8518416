//! The host's canonical data model, mirroring the newest WIT contract (`wit/since_v1.1.0/connector.wit`)
//! as plain Rust types with serde. The runtime converts to and from the generated
//! bindings; the store keeps these as JSON snapshots; the sync engine and resolver
//! reason over them. No I/O lives here.

mod clock;
mod comment;
mod connector_info;
mod error;
mod item;
mod secret_names;
mod shared_extras;
mod status_map;
mod strategy;

pub use clock::{duration_ms, now_ms};
pub use comment::{COMMENT_COUNT_KEY, Comment, comment_count_hint};
pub use connector_info::{
    AuthRule, ConfigField, ConnectorInfo, HmacAlgorithm, HmacSignature, SignatureEncoding,
    SignedContent, WebhookInfo, WebhookScheme,
};
pub use error::{ConnectorError, RateLimit};
pub use item::{Change, ChangeAction, Item, ItemPatch, ItemState, Kind, NewItem, Page};
pub use secret_names::is_secret_key;
pub use shared_extras::{
    BadSharedField, SHARED_EXTRAS, aligned_to, check_date_order, check_shared, is_colour, is_date,
    merged_into, shared_of, shared_of_text,
};
pub use status_map::{
    BadStatusMap, STATUS_MAP_KEY, StatusMap, check_status_map, closing_reasons, has_status_names,
};
pub use strategy::{CONFLICT_STRATEGY_KEY, Strategy, UnknownStrategy};
