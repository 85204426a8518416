//! The engine's own tables (migration `0002_sync_engine.sql`): the webhook inbox, polling
//! cursors and webhook health; plus a few reads and writes on the store's mapping and
//! conflict tables (links, create reservations). Queries run on the store's pool; the same SQL serves
//! SQLite and PostgreSQL.

mod cursors;
mod health;
mod inbox;
mod links;
mod reservations;

pub use cursors::{load_cursor, save_cursor};
pub use health::{load_health, save_health};
pub use inbox::{
    InboxEntry, InboxInsert, claim_inbox, complete_inbox, fail_inbox, inbox_depth, insert_inbox,
    pending_inbox_by_config,
};
pub use links::{open_conflict_types, repoint_mapping, unresolved_conflicts_of};
pub use reservations::{RESERVED_PREFIX, find_reservation, is_reserved, placeholder};

pub use elder_sync_model::now_ms;
