//! The conflict resolver: pure three-way merge of an Elder item and an external item
//! against the last synced snapshot (the base). No I/O.
//!
//! Rules (see `resolve`):
//! - a field changed on one side only is taken, under every strategy;
//! - a field changed on both sides to different values is a conflict, settled by the
//!   strategy (`last_modified_wins` by default; ties go to Elder);
//! - deleted on one side and changed on the other is `deleted_local` / `deleted_external`;
//! - a state or status change the receiving side cannot make is `invalid_transition`:
//!   that field is held (not written), and the new base keeps the receiver's value so
//!   the change is tried again on the next sync.

mod capabilities;
mod deletion;
mod fields;
mod merge;
mod patch;
mod resolve;
mod transition;
mod types;

pub use capabilities::Capabilities;
pub use fields::{Field, FieldValue};
pub use patch::{apply_patch, diff};
pub use resolve::resolve;
pub use types::{
    ConflictType, FieldConflict, Resolution, ResolveInput, Side, SideAction, Strategy,
    UnknownStrategy,
};
