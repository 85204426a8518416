//! The two-way sync engine: conflict resolution, webhook inbox, polling, outbox, scheduler.
//!
//! `resolver`: the pure three-way conflict resolver over canonical items.
//! `signatures`: pure, constant-time webhook signature verification and delivery ids.

pub mod resolver;
pub mod signatures;
